#!/usr/bin/python3
"""A local stand-in for Microsoft Graph (the Teams parts) and Teams incoming webhooks, for tests.

    fake_graph.py --port 0 [--token graph-test] [--verbose]

Listens on 127.0.0.1 and prints exactly one line, "READY <port>", once it accepts requests.
Serves, under /v1.0 as Graph does, with "Authorization: Bearer <token>" required:

    GET  /v1.0/me                                          the signed-in user
    GET  /v1.0/me/joinedTeams                              5 teams, 2 per page (@odata.nextLink)
    GET  /v1.0/teams/{team-id}/channels                    a team's channels (10 per page)
    POST /v1.0/teams/{team-id}/channels/{channel-id}/messages   post a chatMessage (201)
    GET  /v1.0/teams/{team-id}/channels/{channel-id}/messages/{message-id}   one chatMessage
    POST   /v1.0/subscriptions                             change notifications (created, on
                                                           /teams/{t}/channels/{c}/messages): checks
                                                           the body as Graph does (notificationUrl
                                                           https, or http to a loopback host for
                                                           tests; expirationDateTime in the future
                                                           and at most 60 minutes away; clientState
                                                           at most 128 characters), then POSTs the
                                                           validation handshake to notificationUrl
                                                           (?validationToken=..., text/plain, empty
                                                           body) and answers 201 only when the
                                                           endpoint echoed the token with 200 within
                                                           10 s, else 400 InvalidRequest
    GET    /v1.0/subscriptions/{id}                        one subscription
    PATCH  /v1.0/subscriptions/{id}                        renew: a new expirationDateTime (200)
    DELETE /v1.0/subscriptions/{id}                        204; 404 ResourceNotFound when unknown

Every message stored in a channel (through the API or /_fake/channel_message) is announced to
the subscriptions on that channel as Graph does without resource data: POST notificationUrl
{"value": [{"subscriptionId", "subscriptionExpirationDateTime", "changeType": "created",
"resource": "teams('t')/channels('c')/messages('m')", "resourceData": {"id", "@odata.type",
"@odata.id"}, "clientState", "tenantId"}]}, expecting a 2xx. Expired subscriptions are dropped.

Errors use Graph's body {"error": {"code", "message", "innerError": {"date", "request-id",
"client-request-id"}}}: 401 InvalidAuthenticationToken ("Access token is empty." without a
token, "Lifetime validation failed, the token is expired." for expired ones), 404 NotFound for
an unknown team or channel, 400 BadRequest for a message Graph would refuse (an attachment the
body does not reference with <attachment id="..."></attachment>, a reference to no attachment,
or card content that is not a string holding JSON). $select is honoured; $skiptoken pages.

    POST /webhookb2/<anything>                             a Teams incoming webhook: answers
                                                           "1" and records the payload; a
                                                           payload with neither text nor
                                                           attachments gets 400 "Bad payload..."

    GET  /oauth2/v2.0/authorize                            the Microsoft identity platform's
                                                           consent: redirects (302) straight back
                                                           to redirect_uri with a code and state
    POST /oauth2/v2.0/token                                authorization_code and refresh_token
                                                           grants (form body); each issues a new
                                                           access token the Graph paths accept

Control endpoints for the test harness (no auth):
    GET  /_fake/requests     every /v1.0 and /webhookb2 request received, oldest first
    GET  /_fake/messages     channel messages posted through Graph, as stored
    GET  /_fake/webhooks     payloads received by incoming webhooks: [{"path", "payload"}]
    GET  /_fake/oauth        token requests received: [{"grant_type", "client_id", ...}]
    POST /_fake/reset        back to the seeded state; forgets requests, messages and failures
    POST /_fake/tokens       {"accept": [...], "expired": [...]}: further tokens it accepts and
                             ones it answers with 401 "Lifetime validation failed..."
    POST /_fake/ratelimit    {"count": N, "retry_after": 1}: the next N requests answer 429
                             TooManyRequests with Retry-After
    POST /_fake/fail         {"count": N, "status": 503, "retry_after": 1}: the next N requests
                             answer that status (503 ServiceNotAvailable, 504 GatewayTimeout)
    GET  /_fake/subscriptions            the live subscriptions, clientState included
    GET  /_fake/validations              handshakes sent: [{"url", "status", "echoed"}]
    POST /_fake/subscriptions/drop       {"id"}: Graph forgets a subscription (as after failed
                                         deliveries): a later PATCH answers 404
    POST /_fake/channel_message          {"team_id", "channel_id", "text", "from"?, "resend"?}:
                                         someone posts in the channel; the notifications go out
                                         before this answers, sent 1 + resend times (Graph
                                         redelivers), and it answers {"message", "deliveries":
                                         [{"url", "status", "body"}]}
Both take an optional "path" (a substring, e.g. "/messages" or "/webhookb2/") to hit only
matching requests.
"""

import base64
import calendar
import http.client
import json
import re
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import fake_server  # tests/fakes/fake_server.py: the shared command line and serving loop

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
ME = {
    "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
    "id": "48d31887-5fad-4d73-a9f5-3c356e68a038",
    "displayName": "Megan Bowen",
    "givenName": "Megan", "surname": "Bowen", "jobTitle": "Marketing Manager",
    "mail": "MeganB@contoso.onmicrosoft.com",
    "userPrincipalName": "MeganB@contoso.onmicrosoft.com",
    "businessPhones": ["+1 412 555 0109"], "mobilePhone": None, "officeLocation": "12/1110",
    "preferredLanguage": "en-US",
}
TEAMS_PAGE = 2
CHANNELS_PAGE = 10
ATTACHMENT_REF = re.compile(r'<attachment id="([^"]*)"\s*>\s*</attachment>')


class GraphError(Exception):
    def __init__(self, status, code, message, headers=None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}

    def body(self):
        return {"error": {"code": self.code, "message": self.message, "innerError": {
            "date": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()),
            "request-id": str(uuid.uuid4()), "client-request-id": str(uuid.uuid4())}}}


def team(tid, name, description):
    return {"id": tid, "createdDateTime": None, "displayName": name, "description": description,
            "internalId": None, "classification": None, "specialization": None, "visibility": None,
            "webUrl": None, "isArchived": False, "tenantId": TENANT, "isMembershipLimitedToOwners": None,
            "memberSettings": None, "guestSettings": None, "messagingSettings": None,
            "funSettings": None, "discoverySettings": None, "summary": None}


def channel(cid, name, description=None, membership="standard"):
    return {"id": cid, "createdDateTime": "2023-06-01T10:00:00.000Z", "displayName": name,
            "description": description, "isFavoriteByDefault": None, "email": "",
            "tenantId": TENANT, "membershipType": membership, "isArchived": False,
            "webUrl": f"https://teams.microsoft.com/l/channel/{cid}/{name}?groupId=&tenantId={TENANT}"}


class State:
    """Everything the fake remembers, behind one lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.accepted = set()
        self.expired = set()
        self.teams = [
            team("02bd9fd6-8f93-4758-87c3-1fb73740a315", "HR Taskforce", "Working on HR stuff"),
            team("8090c93e-ba7c-433e-9f39-08c7ba07c0b3", "X1050 Launch Team", "Welcome to the team that we've assembled to launch our product."),
            team("b695c5a5-3f8e-4ac6-9a5c-8a53a5c8f1d4", "Mark 8 Project Team", None),
            team("e4183b04-c9a2-417c-bde4-70e3ee46a6dc", "Sales and Marketing", "Contoso sales"),
            team("f9a8d2c4-5b6e-4c7d-8e9f-0a1b2c3d4e5f", "Retail", "Retail stores"),
        ]
        first = self.teams[0]["id"]
        self.channels = {
            first: [
                channel("19:561fbdbbfca848a484f0a6f00ce9dbbd@thread.tacv2", "General", "HR Taskforce General"),
                channel("19:2a7c3e9e7b9f4fbe8f0c4d6d2b4a1c5e@thread.tacv2", "Announcements", None),
                channel("19:9d3f0e5c2b1a4e7f8c6d5b4a3c2e1f0d@thread.tacv2", "Leadership", "Private", "private"),
            ],
            self.teams[1]["id"]: [
                channel(f"19:{n:032x}@thread.tacv2", f"Channel {n:02d}") for n in range(1, 26)
            ],
        }
        for t in self.teams[2:]:
            self.channels[t["id"]] = [channel(f"19:{uuid.uuid5(uuid.NAMESPACE_URL, t['id']).hex}@thread.tacv2",
                                              "General")]
        self.messages = []   # chatMessages posted, oldest first
        self.webhooks = []   # {"path", "payload"}
        self.requests = []
        self.failures = []   # pending forced answers: (status, retry_after, path substring or None)
        self.next_id = 1700000000000
        self.codes = {}         # authorization code -> scope
        self.refresh_tokens = set()
        self.token_requests = []
        self.issued = 0
        self.subscriptions = {}  # id -> Graph's subscription resource (clientState included)
        self.validations = []


MAX_LIFETIME = 60 * 60  # Graph's longest subscription to channel messages, seconds
RESOURCE = re.compile(r"^/?teams/([^/]+)/channels/([^/]+)/messages$")


STATE = State()


def page_of(items, query, size, base, path):
    try:
        offset = int(base64.b64decode(query.get("$skiptoken", "")).decode() or 0) if query.get("$skiptoken") else 0
    except Exception:
        raise GraphError(400, "BadRequest", "Invalid $skiptoken") from None
    page = items[offset:offset + size]
    select = [f for f in query.get("$select", "").split(",") if f]
    if select:
        page = [{k: v for k, v in item.items() if k in select or k == "id"} for item in page]
    body = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#" + path.strip("/").replace("/", "_"),
            "@odata.count": len(items), "value": page}
    if offset + size < len(items):
        q = {k: v for k, v in query.items() if k != "$skiptoken"}
        q["$skiptoken"] = base64.b64encode(str(offset + size).encode()).decode()
        body["@odata.nextLink"] = f"{base}/v1.0{path}?" + urlencode(q, safe="$,")
    return body


def find_team(tid):
    for t in STATE.teams:
        if t["id"] == tid:
            return t
    raise GraphError(404, "NotFound", f"No team found with Group Id {tid}")


def find_channel(tid, cid):
    find_team(tid)
    for c in STATE.channels.get(tid, []):
        if c["id"] == cid:
            return c
    raise GraphError(404, "NotFound", "Channel not found")


def post_message(tid, cid, msg):
    chan = find_channel(tid, cid)
    if not isinstance(msg, dict):
        raise GraphError(400, "BadRequest", "Empty Payload. JSON content expected.")
    body = msg.get("body")
    if not isinstance(body, dict) or not isinstance(body.get("content"), str):
        raise GraphError(400, "BadRequest", "Missing body content")
    ctype = body.get("contentType", "text")
    if ctype not in ("text", "html"):
        raise GraphError(400, "BadRequest", f"Invalid value '{ctype}' for body contentType")
    attachments = msg.get("attachments") or []
    if not isinstance(attachments, list):
        raise GraphError(400, "BadRequest", "Invalid attachments")
    ids = []
    for a in attachments:
        if not isinstance(a, dict) or not a.get("id") or not a.get("contentType"):
            raise GraphError(400, "BadRequest", "Attachment id and contentType are required")
        content = a.get("content")
        if content is not None and not isinstance(content, str):
            raise GraphError(400, "BadRequest",
                             "Invalid attachment content: expected a string, got " + type(content).__name__)
        if a["contentType"].startswith("application/vnd.microsoft.card."):
            try:
                card = json.loads(content or "")
                assert isinstance(card, dict)
            except Exception:
                raise GraphError(400, "BadRequest", f"Attachment {a['id']} has invalid card content") from None
        ids.append(a["id"])
    referenced = ATTACHMENT_REF.findall(body["content"]) if ctype == "html" else []
    for aid in ids:
        if aid not in referenced:
            raise GraphError(400, "BadRequest",
                             f"Attachment with id '{aid}' is not referenced in the message body")
    for aid in referenced:
        if aid not in ids:
            raise GraphError(400, "BadRequest", f"Message body references attachment '{aid}' which does not exist")
    if not body["content"].strip() and not attachments:
        raise GraphError(400, "BadRequest", "Message body cannot be empty")
    STATE.next_id += 1
    mid = str(STATE.next_id)
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    stored = {
        "@odata.context": f"https://graph.microsoft.com/v1.0/$metadata#teams('{tid}')/channels('{cid}')/messages/$entity",
        "id": mid, "replyToId": None, "etag": mid, "messageType": "message",
        "createdDateTime": now, "lastModifiedDateTime": now, "lastEditedDateTime": None,
        "deletedDateTime": None, "subject": msg.get("subject"), "summary": None, "chatId": None,
        "importance": msg.get("importance", "normal"), "locale": "en-us",
        "webUrl": (f"https://teams.microsoft.com/l/message/{chan['id']}/{mid}?groupId={tid}"
                   f"&tenantId={TENANT}&createdTime={mid}&parentMessageId={mid}"),
        "policyViolation": None, "eventDetail": None,
        "from": {"application": None, "device": None,
                 "user": {"id": ME["id"], "displayName": ME["displayName"], "userIdentityType": "aadUser",
                          "tenantId": TENANT}},
        "body": {"contentType": ctype, "content": body["content"]},
        "channelIdentity": {"teamId": tid, "channelId": cid},
        "attachments": [{"id": a["id"], "contentType": a["contentType"], "contentUrl": a.get("contentUrl"),
                         "content": a.get("content"), "name": a.get("name"),
                         "thumbnailUrl": a.get("thumbnailUrl"), "teamsAppId": None} for a in attachments],
        "mentions": [], "reactions": [],
    }
    STATE.messages.append(stored)
    return 201, stored


# --- change notifications -------------------------------------------------------------------

def parse_time(text):
    """Graph's DateTimeOffset ("2024-01-15T10:30:00.0000000Z") -> epoch seconds, or None."""
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]00:00)", text or "")
    return calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")) if m else None


def graph_time(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def post_to(url, body, headers, timeout):
    """POST to a notification URL -> (status, response text); status 0 when it cannot be reached."""
    u = urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=timeout)
    try:
        conn.request("POST", u.path + ("?" + u.query if u.query else ""), body=body, headers=headers)
        r = conn.getresponse()
        return r.status, r.read().decode(errors="replace"), r.getheader("Content-Type", "")
    except OSError as e:
        return 0, str(e), ""
    finally:
        conn.close()


def check_expiration(text):
    at = parse_time(text)
    if at is None:
        raise GraphError(400, "InvalidRequest", f"Invalid expirationDateTime '{text}'.")
    if at <= time.time():
        raise GraphError(400, "InvalidRequest", "Subscription expiration must be in the future.")
    if at > time.time() + MAX_LIFETIME + 60:
        raise GraphError(400, "InvalidRequest", "Subscription expiration can only be 60 minutes in the future.")
    return at


def validate(url):
    """Graph's handshake: POST url?validationToken=... and expect the token back, 200, text/plain."""
    token = f"Validation: Testing client application reachability for subscription Request-Id: {uuid.uuid4()}"
    sep = "&" if "?" in url else "?"
    status, text, ctype = post_to(url + sep + urlencode({"validationToken": token}), b"",
                                  {"Content-Type": "text/plain; charset=utf-8"}, timeout=10)
    ok = status == 200 and text == token and ctype.startswith("text/plain")
    with STATE.lock:
        STATE.validations.append({"url": url, "status": status, "echoed": text == token})
    if not ok:
        raise GraphError(400, "InvalidRequest", "Subscription validation request failed. Notification endpoint must "
                         "respond with 200 OK to validation request.")


def create_subscription(raw):
    try:
        body = json.loads(raw or b"")
        assert isinstance(body, dict)
    except Exception:
        raise GraphError(400, "BadRequest", "Unable to read JSON request payload.") from None
    url = body.get("notificationUrl") or ""
    u = urlsplit(url)
    if not (u.scheme == "https" or (u.scheme == "http" and u.hostname in ("127.0.0.1", "localhost"))):
        raise GraphError(400, "InvalidRequest", "The Notification Url must be an https url.")
    if body.get("changeType") not in ("created", "updated", "deleted", "created,updated", "created,updated,deleted"):
        raise GraphError(400, "InvalidRequest", f"Invalid changeType '{body.get('changeType')}'.")
    m = RESOURCE.match(unquote(body.get("resource") or ""))
    if not m:
        raise GraphError(400, "InvalidRequest", f"Invalid resource '{body.get('resource')}'.")
    with STATE.lock:
        find_channel(m.group(1), m.group(2))
    expires = check_expiration(body.get("expirationDateTime"))
    client_state = body.get("clientState")
    if client_state is not None and (not isinstance(client_state, str) or len(client_state) > 128):
        raise GraphError(400, "InvalidRequest", "clientState must be a string of at most 128 characters.")
    validate(url)
    sub = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#subscriptions/$entity",
           "id": str(uuid.uuid4()), "resource": body["resource"], "applicationId": str(uuid.uuid4()),
           "changeType": body["changeType"], "clientState": client_state, "notificationUrl": url,
           "notificationQueryOptions": None, "lifecycleNotificationUrl": None,
           "expirationDateTime": graph_time(expires), "creatorId": ME["id"], "includeResourceData": False,
           "latestSupportedTlsVersion": body.get("latestSupportedTlsVersion", "v1_2"),
           "encryptionCertificate": None, "encryptionCertificateId": None,
           "notificationUrlAppId": None, "team_id": m.group(1), "channel_id": m.group(2)}
    with STATE.lock:
        STATE.subscriptions[sub["id"]] = sub
    return 201, public(sub)


def public(sub):
    return {k: v for k, v in sub.items() if k not in ("team_id", "channel_id")}


def live_subscription(sid):
    sub = STATE.subscriptions.get(sid)
    if sub and parse_time(sub["expirationDateTime"]) <= time.time():
        del STATE.subscriptions[sid]  # Graph removes expired subscriptions
        sub = None
    if not sub:
        raise GraphError(404, "ResourceNotFound", f"The object was not found. Subscription '{sid}' does not exist.")
    return sub


def notify(message, resend=0):
    """Announces a stored message to the subscriptions on its channel; returns the deliveries."""
    tid, cid = message["channelIdentity"]["teamId"], message["channelIdentity"]["channelId"]
    with STATE.lock:
        targets = [dict(s) for s in STATE.subscriptions.values()
                   if s["team_id"] == tid and s["channel_id"] == cid and "created" in s["changeType"]
                   and parse_time(s["expirationDateTime"]) > time.time()]
    deliveries = []
    for sub in targets:
        resource = f"teams('{tid}')/channels('{cid}')/messages('{message['id']}')"
        note = {"value": [{"subscriptionId": sub["id"], "subscriptionExpirationDateTime": sub["expirationDateTime"],
                           "changeType": "created", "resource": resource,
                           "resourceData": {"id": message["id"], "@odata.type": "#Microsoft.Graph.chatMessage",
                                            "@odata.id": resource},
                           "clientState": sub["clientState"], "tenantId": TENANT}]}
        for _ in range(1 + resend):
            status, text, _ = post_to(sub["notificationUrl"], json.dumps(note).encode(),
                                      {"Content-Type": "application/json; charset=utf-8"}, timeout=10)
            deliveries.append({"url": sub["notificationUrl"], "status": status, "body": text})
    return deliveries


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    token = "graph-test"
    verbose = False

    def do_GET(self):
        self.route()

    def do_POST(self):
        self.route()

    def do_PATCH(self):
        self.route()

    def do_DELETE(self):
        self.route()

    def log_message(self, fmt, *args):
        if self.verbose:
            sys.stderr.write("fake_graph: " + fmt % args + "\n")

    def send(self, status, body, headers=None, content_type="application/json; odata.metadata=minimal; charset=utf-8"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("request-id", str(uuid.uuid4()))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def route(self):
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if url.path.startswith("/_fake/"):
            return self.control(url.path, raw)
        if url.path.startswith("/v1.0/") or url.path.startswith("/webhookb2/"):
            return self.api(url, raw)
        if url.path == "/oauth2/v2.0/authorize" and self.command == "GET":
            return self.authorize(url)
        if url.path == "/oauth2/v2.0/token" and self.command == "POST":
            return self.token_endpoint(raw)
        self.send(404, b"Not Found\n", content_type="text/plain")

    def control(self, path, raw):
        try:
            args = json.loads(raw) if raw else {}
        except ValueError:
            return self.send(400, {"error": "body must be JSON"})
        with STATE.lock:
            if self.command == "GET" and path == "/_fake/requests":
                return self.send(200, {"requests": STATE.requests})
            if self.command == "GET" and path == "/_fake/messages":
                return self.send(200, {"messages": STATE.messages})
            if self.command == "GET" and path == "/_fake/webhooks":
                return self.send(200, {"webhooks": STATE.webhooks})
            if self.command == "GET" and path == "/_fake/oauth":
                return self.send(200, {"token_requests": STATE.token_requests})
            if self.command == "POST" and path == "/_fake/reset":
                STATE.reset()
                return self.send(200, {"ok": True})
            if self.command == "POST" and path == "/_fake/tokens":
                STATE.accepted.update(args.get("accept", []))
                STATE.expired.update(args.get("expired", []))
                return self.send(200, {"ok": True})
            if self.command == "POST" and path in ("/_fake/ratelimit", "/_fake/fail"):
                status = 429 if path == "/_fake/ratelimit" else int(args.get("status", 503))
                ra = args.get("retry_after", 1 if status == 429 else None)
                STATE.failures += [(status, ra, args.get("path"))] * int(args.get("count", 1))
                return self.send(200, {"ok": True, "pending": len(STATE.failures)})
            if self.command == "GET" and path == "/_fake/subscriptions":
                return self.send(200, {"subscriptions": list(STATE.subscriptions.values())})
            if self.command == "GET" and path == "/_fake/validations":
                return self.send(200, {"validations": STATE.validations})
            if self.command == "POST" and path == "/_fake/subscriptions/drop":
                dropped = STATE.subscriptions.pop(args.get("id"), None)
                return self.send(200 if dropped else 404, {"ok": dropped is not None})
        if self.command == "POST" and path == "/_fake/channel_message":
            try:
                with STATE.lock:
                    message = post_message(args.get("team_id"), args.get("channel_id"),
                                           {"body": {"contentType": "text", "content": args.get("text", "")}})[1]
                    if args.get("from"):
                        message["from"]["user"] = {"id": str(uuid.uuid4()), "displayName": args["from"],
                                                   "userIdentityType": "aadUser", "tenantId": TENANT}
            except GraphError as e:
                return self.send(e.status, e.body())
            return self.send(200, {"message": message, "deliveries": notify(message, int(args.get("resend", 0)))})
        self.send(404, {"error": f"no control endpoint {self.command} {path}"})

    def api(self, url, raw):
        record = {"method": self.command, "path": self.path, "headers": dict(self.headers),
                  "body": raw.decode(errors="replace")}
        try:
            status, body, headers = self.answer(url, raw)
        except GraphError as e:
            status, body, headers = e.status, e.body(), e.headers
        record["status"] = status
        with STATE.lock:
            STATE.requests.append(record)
        if isinstance(body, bytes):
            return self.send(status, body, headers, content_type="text/plain; charset=utf-8")
        self.send(status, body, headers)

    def forced_failure(self):
        with STATE.lock:
            failure = next((f for f in STATE.failures if f[2] is None or f[2] in self.path), None)
            if not failure:
                return
            STATE.failures.remove(failure)
        status, retry_after, _ = failure
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        code, message = {429: ("TooManyRequests", "Too many requests."),
                         503: ("ServiceNotAvailable", "The service is temporarily unavailable. Please retry later."),
                         504: ("GatewayTimeout", "The gateway did not receive a response in time.")
                         }.get(status, ("UnknownError", f"HTTP {status}"))
        raise GraphError(status, code, message, headers)

    def answer(self, url, raw):
        self.forced_failure()
        if url.path.startswith("/webhookb2/"):
            return self.webhook(url.path, raw)
        auth = self.headers.get("Authorization", "")
        token = auth[len("Bearer "):].strip() if auth.startswith("Bearer ") else ""
        www = {"WWW-Authenticate": 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/'
                                   'oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"'}
        if not token:
            raise GraphError(401, "InvalidAuthenticationToken", "Access token is empty.", www)
        if token in STATE.expired:
            raise GraphError(401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.", www)
        if token != self.token and token not in STATE.accepted:
            raise GraphError(401, "InvalidAuthenticationToken", "IDX14100: JWT is not well formed, there are no dots (.).", www)

        query = dict(parse_qsl(url.query))
        parts = [unquote(p) for p in url.path[len("/v1.0/"):].split("/")]
        base = f"http://{self.headers.get('Host')}"
        if parts[0] == "subscriptions":
            return self.subscriptions(parts, raw)
        with STATE.lock:
            if self.command == "GET" and parts == ["me"]:
                select = [f for f in query.get("$select", "").split(",") if f]
                me = {k: v for k, v in ME.items() if not select or k in select or k.startswith("@")}
                return 200, me, {}
            if self.command == "GET" and parts == ["me", "joinedTeams"]:
                return 200, page_of(STATE.teams, query, TEAMS_PAGE, base, "/me/joinedTeams"), {}
            if self.command == "GET" and len(parts) == 3 and parts[0] == "teams" and parts[2] == "channels":
                find_team(parts[1])
                return 200, page_of(STATE.channels.get(parts[1], []), query, CHANNELS_PAGE, base,
                                    f"/teams/{parts[1]}/channels"), {}
            if (self.command == "POST" and len(parts) == 5 and parts[0] == "teams" and parts[2] == "channels"
                    and parts[4] == "messages"):
                try:
                    msg = json.loads(raw) if raw else None
                except ValueError:
                    raise GraphError(400, "BadRequest", "Unable to read JSON request payload.") from None
                status, body = post_message(parts[1], parts[3], msg)
                # Graph delivers change notifications on its own time, not within the POST.
                threading.Thread(target=notify, args=(dict(body),), daemon=True).start()
                return status, body, {"Location": body["@odata.context"]}
            if (self.command == "GET" and len(parts) == 6 and parts[0] == "teams" and parts[2] == "channels"
                    and parts[4] == "messages"):
                find_channel(parts[1], parts[3])
                for m in STATE.messages:
                    if m["id"] == parts[5] and m["channelIdentity"] == {"teamId": parts[1], "channelId": parts[3]}:
                        return 200, m, {}
                raise GraphError(404, "NotFound", "Message not found")
        raise GraphError(400, "BadRequest", f"Resource not found for the segment '{parts[-1]}'.")

    def subscriptions(self, parts, raw):
        if self.command == "POST" and parts == ["subscriptions"]:
            status, body = create_subscription(raw)
            return status, body, {}
        if len(parts) != 2:
            raise GraphError(400, "BadRequest", f"Resource not found for the segment '{parts[-1]}'.")
        with STATE.lock:
            sub = live_subscription(parts[1])
            if self.command == "GET":
                return 200, public(sub), {}
            if self.command == "DELETE":
                del STATE.subscriptions[sub["id"]]
                return 204, b"", {}
        if self.command == "PATCH":
            try:
                body = json.loads(raw or b"")
                assert isinstance(body, dict)
            except Exception:
                raise GraphError(400, "BadRequest", "Unable to read JSON request payload.") from None
            expires = check_expiration(body.get("expirationDateTime"))
            with STATE.lock:
                sub = live_subscription(parts[1])
                sub["expirationDateTime"] = graph_time(expires)
                return 200, public(sub), {}
        raise GraphError(405, "Request_BadRequest", "Method not allowed.")

    def authorize(self, url):
        q = dict(parse_qsl(url.query))
        if not q.get("client_id") or not q.get("redirect_uri") or q.get("response_type") != "code":
            return self.send(400, b"AADSTS900144: The request body must contain client_id, redirect_uri and "
                                  b"response_type=code.", content_type="text/plain")
        code = "0.AX" + uuid.uuid4().hex
        with STATE.lock:
            STATE.codes[code] = q.get("scope", "")
        sep = "&" if "?" in q["redirect_uri"] else "?"
        location = q["redirect_uri"] + sep + urlencode({"code": code, "state": q.get("state", ""),
                                                         "session_state": str(uuid.uuid4())})
        self.send(302, b"", {"Location": location}, content_type="text/html")

    def token_endpoint(self, raw):
        form = dict(parse_qsl(raw.decode()))
        grant = form.get("grant_type", "")
        auth = self.headers.get("Authorization", "")
        client_id = form.get("client_id")
        if not client_id and auth.startswith("Basic "):
            client_id = base64.b64decode(auth[6:]).decode(errors="replace").partition(":")[0]

        def fail(error, description, code):
            return self.send(400, {"error": error, "error_description": f"AADSTS{code}: {description}",
                                   "error_codes": [code], "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ"),
                                   "trace_id": str(uuid.uuid4()), "correlation_id": str(uuid.uuid4())})

        with STATE.lock:
            STATE.token_requests.append({"grant_type": grant, "client_id": client_id,
                                         "has_code_verifier": "code_verifier" in form})
            if not client_id:
                return fail("invalid_request", "The request body must contain the following parameter: "
                                               "'client_id'.", 900144)
            if grant == "authorization_code":
                scope = STATE.codes.pop(form.get("code", ""), None)
                if scope is None:
                    return fail("invalid_grant", "The provided authorization code or refresh token has "
                                                 "expired due to inactivity.", 70008)
            elif grant == "refresh_token":
                if form.get("refresh_token") not in STATE.refresh_tokens:
                    return fail("invalid_grant", "The refresh token has expired or is invalid.", 700082)
                scope = form.get("scope", "")
            else:
                return fail("unsupported_grant_type", f"The provided value for the input parameter "
                                                      f"'grant_type' is not valid: {grant}.", 70003)
            STATE.issued += 1
            access = f"eyJ0eXAiOiJKV1QifQ.fake-graph-access-{STATE.issued}.{uuid.uuid4().hex}"
            refresh = f"0.AR{uuid.uuid4().hex}"
            STATE.accepted.add(access)
            STATE.refresh_tokens.add(refresh)
        self.send(200, {"token_type": "Bearer", "scope": scope or "https://graph.microsoft.com/.default",
                        "expires_in": 3599, "ext_expires_in": 3599, "access_token": access,
                        "refresh_token": refresh})

    def webhook(self, path, raw):
        if self.command != "POST":
            return 405, b"Method Not Allowed", {}
        try:
            payload = json.loads(raw)
        except ValueError:
            return 400, b"Bad payload received by generic incoming webhook.", {}
        if not isinstance(payload, dict) or not (payload.get("text") or payload.get("attachments")
                                                 or payload.get("sections") or payload.get("summary")):
            return 400, b"Bad payload received by generic incoming webhook.", {}
        with STATE.lock:
            STATE.webhooks.append({"path": path, "payload": payload})
        return 200, b"1", {}


def main():
    fake_server.serve(Handler, "A fake Microsoft Graph (Teams) and Teams incoming webhooks.", default_token="graph-test")


if __name__ == "__main__":
    main()
