// Starts oauth2-mock-server's OAuth2Server (a real OAuth2/OIDC authorization server) on
// 127.0.0.1 for Plugboard's OAuth2 tests, and a small control endpoint beside it.
//
//   node mock_server.mjs [--client-id ID --client-secret SECRET]
//
// Prints one line "READY <oauth port> <control port>" once both listen, then runs until
// stdin closes or SIGTERM/SIGINT arrives (so a test harness that dies takes it along).
//
// The server's behaviour is steered only through the library's documented event hooks
// (beforeAuthorizeRedirect, beforeTokenSigning, beforeResponse, beforeRevoke):
// - every authorize, token and revoke request is recorded: grant type, how the client
//   authenticated (HTTP Basic or body), whether a PKCE code_verifier came, the form fields;
// - with --client-id/--client-secret, token requests must authenticate as that client
//   (Basic with RFC 6749 2.3.1 form-encoding, or client_id/client_secret in the body), or
//   get 401 invalid_client;
// - authorization codes are single-use and bound to the authorize request's redirect_uri,
//   and a code issued with a code_challenge needs its code_verifier (the library itself
//   checks a verifier only when one is sent);
// - refresh tokens must have been issued by this server and not revoked (through /revoke or
//   the control endpoint), or the refresh answers 400 invalid_grant;
// - expires_in can be set for every following token response, and the next token response
//   can be replaced or made to omit its refresh_token.
//
// Control endpoint (JSON in and out):
//   GET  /requests                  recorded requests, oldest first
//   POST /reset                     forget requests and one-shot overrides
//   POST /config {expires_in}       expires_in of every following token response (null: default)
//   POST /revoke-token {token}      mark a refresh token revoked
//   POST /next-token-response {status, body} | {omit_refresh_token: true}
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { OAuth2Server } from 'oauth2-mock-server';

function argument(name) {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : undefined;
}

const expectedClient = { id: argument('--client-id'), secret: argument('--client-secret') };

const state = {
  requests: [],
  pending: new Set(), // bodies of revoke requests still being read
  expiresIn: undefined,
  nextTokenResponse: undefined,
  codes: new Map(), // code -> { redirect_uri, challenged }
  issuedRefreshTokens: new Set(),
  revokedTokens: new Set(),
};

// RFC 6749 2.3.1: the client id and secret are form-encoded before Basic encoding.
function formDecode(text) {
  return decodeURIComponent(text.replace(/\+/g, ' '));
}

function clientAuthentication(req, body) {
  const header = req.headers.authorization;
  if (header && /^basic /i.test(header)) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return { method: 'basic', id: undefined, secret: undefined };
    return {
      method: 'basic',
      id: formDecode(decoded.slice(0, colon)),
      secret: formDecode(decoded.slice(colon + 1)),
    };
  }
  if (body.client_id !== undefined) {
    return { method: 'body', id: body.client_id, secret: body.client_secret };
  }
  return { method: 'none', id: undefined, secret: undefined };
}

function refuse(response, statusCode, error, description) {
  response.statusCode = statusCode;
  response.body = { error, error_description: description };
}

const server = new OAuth2Server();
await server.issuer.keys.generate('RS256');
const service = server.service;

service.on('beforeAuthorizeRedirect', (redirect, req) => {
  const code = redirect.url.searchParams.get('code');
  if (code) {
    state.codes.set(code, {
      redirect_uri: req.query.redirect_uri,
      challenged: typeof req.query.code_challenge === 'string',
    });
  }
  state.requests.push({ endpoint: 'authorize', query: { ...req.query } });
});

// Every token unique (a jti, as real providers add), so a refreshed access token differs
// from the one before even within the same second; exp follows the configured expires_in.
service.on('beforeTokenSigning', (token) => {
  token.payload.jti = randomUUID();
  if (state.expiresIn !== undefined) token.payload.exp = Math.floor(Date.now() / 1000) + state.expiresIn;
});

service.on('beforeResponse', (response, req) => {
  const body = req.body ?? {};
  const auth = clientAuthentication(req, body);
  state.requests.push({
    endpoint: 'token',
    grant_type: body.grant_type,
    client_auth: auth.method,
    client_id: auth.id,
    client_secret: auth.secret,
    has_code_verifier: typeof body.code_verifier === 'string',
    content_type: req.headers['content-type'],
    body: { ...body },
  });

  if (response.statusCode !== 200) return;
  if (expectedClient.id !== undefined && (auth.id !== expectedClient.id || auth.secret !== expectedClient.secret)) {
    refuse(response, 401, 'invalid_client', 'client authentication failed');
    return;
  }
  if (body.grant_type === 'authorization_code') {
    const issued = state.codes.get(body.code);
    state.codes.delete(body.code);
    if (!issued) return refuse(response, 400, 'invalid_grant', 'unknown or already used authorization code');
    if (issued.redirect_uri !== body.redirect_uri) return refuse(response, 400, 'invalid_grant', 'redirect_uri mismatch');
    if (issued.challenged && typeof body.code_verifier !== 'string')
      return refuse(response, 400, 'invalid_grant', 'code_verifier required');
  }
  if (body.grant_type === 'refresh_token') {
    const token = body.refresh_token;
    if (!state.issuedRefreshTokens.has(token) || state.revokedTokens.has(token))
      return refuse(response, 400, 'invalid_grant', 'refresh token is invalid, expired or revoked');
  }

  const override = state.nextTokenResponse;
  state.nextTokenResponse = undefined;
  if (override && override.status !== undefined) {
    response.statusCode = override.status;
    response.body = override.body;
    return;
  }
  if (state.expiresIn !== undefined) response.body.expires_in = state.expiresIn;
  if (override && override.omit_refresh_token) delete response.body.refresh_token;
  if (response.body.refresh_token) state.issuedRefreshTokens.add(response.body.refresh_token);
});

// The library answers /revoke without reading its (form-encoded) body; read it here.
service.on('beforeRevoke', (_response, req) => {
  const record = {
    endpoint: 'revoke',
    client_auth: 'none',
    content_type: req.headers['content-type'],
    body: {},
  };
  state.requests.push(record);
  const reading = new Promise((resolve) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const body = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      const auth = clientAuthentication(req, body);
      Object.assign(record, { body, client_auth: auth.method, client_id: auth.id, client_secret: auth.secret });
      if (body.token) state.revokedTokens.add(body.token);
      resolve();
    });
    req.on('error', resolve);
  });
  state.pending.add(reading);
  reading.then(() => state.pending.delete(reading));
});

await server.start(0, '127.0.0.1');

function readJson(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text ? JSON.parse(text) : {});
      } catch (e) {
        reject(e);
      }
    });
    req.on('error', reject);
  });
}

const control = createServer(async (req, res) => {
  const reply = (status, value) => {
    const text = JSON.stringify(value);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  try {
    const body = req.method === 'POST' ? await readJson(req) : {};
    if (req.method === 'GET' && req.url === '/requests') {
      await Promise.all([...state.pending]);
      return reply(200, state.requests);
    }
    if (req.method === 'POST' && req.url === '/reset') {
      await Promise.all([...state.pending]);
      state.requests = [];
      state.nextTokenResponse = undefined;
      state.expiresIn = undefined;
      return reply(200, {});
    }
    if (req.method === 'POST' && req.url === '/config') {
      state.expiresIn = body.expires_in ?? undefined;
      return reply(200, {});
    }
    if (req.method === 'POST' && req.url === '/revoke-token') {
      state.revokedTokens.add(body.token);
      return reply(200, {});
    }
    if (req.method === 'POST' && req.url === '/next-token-response') {
      state.nextTokenResponse = body;
      return reply(200, {});
    }
    return reply(404, { error: 'not_found' });
  } catch (e) {
    return reply(400, { error: String(e) });
  }
});
await new Promise((resolve) => control.listen(0, '127.0.0.1', resolve));

process.stdout.write(`READY ${server.address().port} ${control.address().port}\n`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  control.close();
  await server.stop().catch(() => {});
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
