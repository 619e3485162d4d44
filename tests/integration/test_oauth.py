#!/usr/bin/python3
"""OAuth2 end to end against a real authorization server (oauth2-mock-server, tests/oauth):
authorize URL with PKCE, callback, execute, refresh on the provider's expiry signal and before
expiry, one refresh for many concurrent executions, a refused refresh, revocation on delete,
client credentials, and no secret in any response or log line."""

import json
import os
import subprocess
import threading
import time
import unittest
import urllib.parse

from harness import PlugboardTestCase, request, _LineReader, _stop

CLIENT_ID = "plugboard-test-client"
CLIENT_SECRET = "client-secret-never-shown-5150"
HERE = os.path.dirname(os.path.abspath(__file__))


class MockOAuth:
    """The real authorization server, and its control endpoint."""

    def __init__(self):
        node = os.environ.get("PLUGBOARD_NODE") or "node"
        script = os.path.join(os.environ.get("PLUGBOARD_SOURCE_DIR", os.path.join(HERE, "..", "..")),
                              "tests", "oauth", "mock_server.mjs")
        self.proc = subprocess.Popen([node, script, "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True)
        line = _LineReader(self.proc.stdout).wait_for("READY", 30)
        _, port, control = line.split()
        self.url = f"http://127.0.0.1:{port}"
        self.control_url = f"http://127.0.0.1:{control}"

    def control(self, method, path, body=None):
        r = request(self.control_url, method, path, body=body)
        assert r.status == 200, r
        return r.json

    def token_requests(self, grant_type=None):
        reqs = [r for r in self.control("GET", "/requests") if r.get("endpoint") == "token"]
        return [r for r in reqs if grant_type is None or r.get("grant_type") == grant_type]

    def revocations(self):
        return [r for r in self.control("GET", "/requests") if r.get("endpoint") == "revoke"]

    def close(self):
        _stop(self.proc)


class OAuthTest(PlugboardTestCase):
    @classmethod
    def setUpClass(cls):
        cls.oauth = MockOAuth()
        super().setUpClass()
        cls.env.fake.control("POST", "/_fake/tokens", {"accept_prefix": "eyJ"})  # the server's JWTs
        r = cls.env.call("POST", "/api/v2/integrations", {
            "name": "Slack via OAuth", "type": "slack", "authType": "oauth2", "clientId": CLIENT_ID,
            "clientSecret": CLIENT_SECRET, "authUri": cls.oauth.url + "/authorize",
            "tokenUri": cls.oauth.url + "/token", "revocationUri": cls.oauth.url + "/revoke",
            "scope": "chat:write users:read"}, key=cls.key)
        assert r.status == 201, r
        cls.integration = r.json

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.oauth.close()

    def setUp(self):
        self.seen = []
        self.oauth.control("POST", "/reset")  # no one-shot override leaks into the next test

    def call(self, *a, **kw):
        r = super().call(*a, **kw)
        self.seen.append(r.text)
        return r

    def tearDown(self):
        for text in self.seen:
            self.assertNotIn(CLIENT_SECRET, text)

    # --- the dance ---------------------------------------------------------------------------

    def connect(self, name, integration=None):
        slug = (integration or self.integration)["slug"]
        r = self.call("GET", f"/api/v2/oauth/{slug}/authorize-url"
                             f"?project_id={self.project}&name={urllib.parse.quote(name)}")
        self.assertEqual(r.status, 200, r)
        url = urllib.parse.urlsplit(r.json["oauth_url"])
        q = dict(urllib.parse.parse_qsl(url.query))
        self.assertEqual((q["code_challenge_method"], q["client_id"], q["state"]), ("S256", CLIENT_ID, r.json["state"]))
        self.assertEqual(q["redirect_uri"], self.env.url + "/api/v2/oauth/callback")
        # The user's browser at the provider, which redirects back with a code.
        consent = request(self.oauth.url, "GET", url.path + "?" + url.query)
        self.assertEqual(consent.status, 302, consent)
        back = urllib.parse.urlsplit(consent.headers["location"])
        done = request(self.env.url, "GET", back.path + "?" + back.query)
        self.seen.append(done.text)
        self.assertEqual(done.status, 201, done)
        self.assertEqual(done.json["status"], "connected")
        # A state is single-use: replaying the callback fails.
        replay = request(self.env.url, "GET", back.path + "?" + back.query)
        self.assertEqual((replay.status, replay.json["errors"][0]["field"]), (400, "used_state"))
        return done.json["connection"]

    def slack_token(self):
        return self.env.fake.requests()[-1]["headers"]["Authorization"][len("Bearer "):]

    def lookup(self, conn):
        return self.execute(conn["id"], "user-lookup", {"email": "alice@example.com"})

    def test_authorize_callback_execute_and_refresh_on_expiry_signal(self):
        conn = self.connect("Mine")
        exchange = self.oauth.token_requests("authorization_code")[-1]
        self.assertTrue(exchange["has_code_verifier"])
        self.assertEqual(self.lookup(conn).status, 200)
        first = self.slack_token()

        # Slack says token_expired (HTTP 200 with an error body): refresh once, retry, succeed.
        refreshes = len(self.oauth.token_requests("refresh_token"))
        self.env.fake.control("POST", "/_fake/tokens", {"expired": [first]})
        r = self.lookup(conn)
        self.assertEqual(r.status, 200, r)
        self.assertNotEqual(self.slack_token(), first)
        self.assertEqual(len(self.oauth.token_requests("refresh_token")), refreshes + 1)

    def test_refresh_before_expiry_once_for_many_executions(self):
        conn = self.connect("Short lived")
        self.oauth.control("POST", "/config", {"expires_in": 2})
        try:
            self.env.fake.control("POST", "/_fake/tokens", {"expired": [self._token_after(conn)]})
            self.assertEqual(self.lookup(conn).status, 200)  # refreshed: the new token lives 2 s
            time.sleep(1.5)  # within the refresh window of a 2 s token
            before = len(self.oauth.token_requests("refresh_token"))
            results = []
            threads = [threading.Thread(target=lambda: results.append(self.lookup(conn).status)) for _ in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual(results, [200] * 8)
            self.assertEqual(len(self.oauth.token_requests("refresh_token")), before + 1)
        finally:
            self.oauth.control("POST", "/config", {"expires_in": None})

    def _token_after(self, conn):
        self.assertEqual(self.lookup(conn).status, 200)
        return self.slack_token()

    def test_refused_refresh_needs_reauthorization(self):
        conn = self.connect("Refused")
        token = self._token_after(conn)
        self.oauth.control("POST", "/next-token-response",
                           {"status": 400, "body": {"error": "invalid_grant", "error_description": "revoked"}})
        self.env.fake.control("POST", "/_fake/tokens", {"expired": [token]})
        r = self.lookup(conn)
        self.assertExecuteError(r, 400, "CONNECTION_INACTIVE")
        self.assertEqual(r.json["error"]["details"]["status"], "reauthorization_required")
        self.assertIn("invalid_grant", r.json["error"]["details"]["reason"])
        got = self.call("GET", f"/api/v2/connections/{conn['id']}").json
        self.assertEqual(got["status"], "reauthorization_required")
        # From now on it fails at once, without asking the provider again.
        before = len(self.oauth.token_requests())
        self.assertExecuteError(self.lookup(conn), 400, "CONNECTION_INACTIVE")
        self.assertEqual(len(self.oauth.token_requests()), before)

    def test_delete_revokes_tokens_at_the_provider(self):
        conn = self.connect("To revoke")
        before = len(self.oauth.revocations())
        self.assertEqual(self.call("DELETE", f"/api/v2/connections/{conn['id']}").status, 204)
        revoked = self.oauth.revocations()[before:]
        self.assertEqual(sorted(r["body"].get("token_type_hint") for r in revoked), ["access_token", "refresh_token"])
        self.assertTrue(all(r["client_id"] == CLIENT_ID for r in revoked))
        self.assertEqual(self.call("GET", f"/api/v2/connections/{conn['id']}").json["status"], "disconnected")

    def test_deleting_an_integration_revokes_its_connections_tokens(self):
        body = {k: v for k, v in self.integration.items() if k in ("type", "authType", "clientId", "authUri",
                                                                 "tokenUri", "revocationUri", "scope")}
        body.update(name="Short-lived OAuth app", clientSecret=CLIENT_SECRET)
        r = self.call("POST", "/api/v2/integrations", body)
        self.assertEqual(r.status, 201, r)
        self.connect("Doomed", integration=r.json)
        before = len(self.oauth.revocations())
        self.assertEqual(self.call("DELETE", f"/api/v2/integrations/{r.json['id']}").status, 204)
        self.assertEqual(len(self.oauth.revocations()) - before, 2)  # refresh and access token

    def test_client_credentials_connection(self):
        r = self.call("POST", f"/api/v2/oauth/{self.integration['id']}/client-credentials",
                      {"project_id": self.project, "name": "Service account"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(self.oauth.token_requests("client_credentials")[-1]["client_id"], CLIENT_ID)
        self.assertEqual(self.lookup(r.json).status, 200)

    def test_bad_states_and_denials(self):
        bad = request(self.env.url, "GET", "/api/v2/oauth/callback?code=x&state=forged.1.abc")
        self.assertEqual((bad.status, bad.json["errors"][0]["field"]), (400, "invalid_state"))
        denied = request(self.env.url, "GET", "/api/v2/oauth/callback?error=access_denied&state=x")
        self.assertEqual((denied.status, denied.json["errors"][0]["code"]), (400, "oauth_denied"))
        default = self.call("GET", f"/api/v2/oauth/slack/authorize-url?project_id={self.project}")
        self.assertApiError(default, 400, "validation_error")  # the default integration uses bearer tokens

    def test_secrets_never_reach_the_log(self):
        self.connect("Logged")
        self.assertNotIn(CLIENT_SECRET, self.env.log_text())


if __name__ == "__main__":
    unittest.main()
