#!/usr/bin/python3
"""A local stand-in for the Slack Web API, for integration tests.

    fake_slack.py --port 0 [--token xoxb-test] [--verbose]

Listens on 127.0.0.1 and prints exactly one line, "READY <port>", once it accepts requests.
Serves the methods the Slack plugin calls under /api/<method>, the way Slack does: GET with a
query string or POST with a form or (for write methods) a JSON body; every answer is
HTTP 200 with {"ok": true, ...} or {"ok": false, "error": "<slack_error>"}, and a
rate limit is HTTP 429 with Retry-After. Requests must carry "Authorization: Bearer <token>".

Control endpoints for the test harness (no auth):
    GET  /_fake/requests             every /api/ request received, oldest first
    POST /_fake/reset                back to the seeded state; forgets requests and failures
    POST /_fake/ratelimit            {"count": N, "retry_after": 1}: the next N /api/ requests
                                     answer 429 {"ok":false,"error":"ratelimited"}
    POST /_fake/tokens               {"accept": [...], "expired": [...]}: further tokens it accepts
                                     (e.g. OAuth access tokens) and ones it answers with Slack's
                                     {"ok":false,"error":"token_expired"} (HTTP 200, as Slack does)
    POST /_fake/fail                 {"count": N, "status": 503}: the next N /api/ requests
                                     answer that status with a non-JSON (HTML) body
Both take an optional "method" ("chat.getPermalink") to hit only calls of that method.
chat.postMessage to the channel "ratelimited" always answers 429 (Retry-After: 1).

The Events API, sent the way Slack sends it: JSON POSTs signed with the app's signing secret
(X-Slack-Signature: v0=hex(HMAC-SHA256(secret, "v0:" + X-Slack-Request-Timestamp + ":" + body))),
retried up to 3 times with X-Slack-Retry-Num / X-Slack-Retry-Reason when the answer is not a
2xx within 3 seconds (quicker than Slack's 1 and 5 minutes):
    POST /_fake/events/request_url   {"url", "signing_secret"}: sets the app's Request URL after
                                     Slack's check: a signed url_verification whose challenge the
                                     URL must echo; answers {"verified": bool, "status", "body"}
    POST /_fake/events/send          {"event": {...}, "resend": N}: one event_callback to the
                                     Request URL (plus N deliberate re-sends, as after a timeout);
                                     answers {"event_id", "statuses": [...]}
"""

import base64
import hashlib
import hmac
import http.client
import json
import re
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, urlsplit

import fake_server  # tests/fakes/fake_server.py: the shared command line and serving loop

TEAM = {"id": "T0000000001", "name": "Fake Workspace", "url": "https://fake-workspace.slack.com/"}
BOT = {"user": "plugboard-bot", "user_id": "U00000000B0", "bot_id": "B0000000001"}
SCOPES = "chat:write,channels:read,channels:manage,users:read,users:read.email"

# Methods that take a JSON body; Slack's read methods only take query or form arguments.
JSON_METHODS = {"chat.postMessage", "conversations.create", "conversations.setPurpose"}


class SlackError(Exception):
    def __init__(self, error, **extra):
        super().__init__(error)
        self.body = {"ok": False, "error": error, **extra}


class RateLimited(Exception):
    def __init__(self, retry_after):
        super().__init__("ratelimited")
        self.retry_after = retry_after


def channel_object(cid, name, *, private=False, member=True, archived=False, purpose=""):
    return {
        "id": cid, "name": name, "name_normalized": name, "is_channel": not private,
        "is_group": private, "is_im": False, "is_mpim": False, "is_private": private,
        "is_archived": archived, "is_general": name == "general", "is_member": member,
        "created": 1700000000, "creator": BOT["user_id"], "num_members": 3,
        "topic": {"value": "", "creator": "", "last_set": 0},
        "purpose": {"value": purpose, "creator": "", "last_set": 0},
    }


class Workspace:
    """Everything the fake remembers, behind one lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.accepted = set()  # tokens accepted besides --token (OAuth access tokens)
        self.expired = set()   # tokens answered with token_expired
        self.accept_prefix = ""  # accept any token starting with this (an OAuth server's JWTs)
        self.channels = [  # in creation order, which is conversations.list order
            channel_object("C0000000001", "general", purpose="Company-wide announcements"),
            channel_object("C0000000002", "random"),
        ]
        for n in range(3, 153):  # enough for pagination at the default limit of 100
            self.channels.append(channel_object(
                f"C{n:010d}", f"channel-{n:03d}", private=n % 10 == 0, member=n % 2 == 1,
                archived=n % 25 == 0))
        self.users = [{
            "id": "U0000000001", "team_id": TEAM["id"], "name": "alice", "deleted": False,
            "real_name": "Alice Example", "tz": "Europe/Berlin", "tz_label": "Central European Time",
            "tz_offset": 3600, "is_admin": False, "is_bot": False, "is_app_user": False,
            "profile": {"real_name": "Alice Example", "display_name": "alice",
                        "email": "alice@example.com"},
        }]
        self.messages = {}  # (channel id, ts) -> message
        self.next_ts = 100
        self.requests = []
        self.failures = []  # pending forced answers: (status, retry_after, method or None)

    def channel(self, ref):
        ref = (ref or "").lstrip("#")
        for c in self.channels:
            if ref in (c["id"], c["name"]):
                return c
        raise SlackError("channel_not_found")


STATE = Workspace()


def as_bool(value):
    return value is True or str(value).lower() in ("true", "1")


# --- Web API methods: each takes the merged arguments and returns the success body. -------

def chat_post_message(args):
    if args.get("channel") == "ratelimited":
        raise RateLimited(1)
    channel = STATE.channel(args.get("channel"))
    if channel["is_archived"]:
        raise SlackError("is_archived")
    if not channel["is_member"]:
        raise SlackError("not_in_channel")
    if not (args.get("text") or args.get("blocks") or args.get("attachments")):
        raise SlackError("no_text")
    ts = f"1700000000.{STATE.next_ts:06d}"
    STATE.next_ts += 100
    message = {"type": "message", "subtype": "bot_message", "text": args.get("text", ""),
               "user": BOT["user_id"], "bot_id": BOT["bot_id"], "ts": ts, "team": TEAM["id"]}
    for key in ("blocks", "attachments", "username", "icon_emoji", "icon_url", "thread_ts"):
        if key in args:
            message[key] = args[key]
    STATE.messages[(channel["id"], ts)] = message
    return {"channel": channel["id"], "ts": ts, "message": message}


def chat_get_permalink(args):
    channel = STATE.channel(args.get("channel"))
    ts = args.get("message_ts", "")
    if (channel["id"], ts) not in STATE.messages:
        raise SlackError("message_not_found")
    return {"channel": channel["id"],
            "permalink": f"{TEAM['url']}archives/{channel['id']}/p{ts.replace('.', '')}"}


def encode_cursor(offset):
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def conversations_list(args):
    types = set((args.get("types") or "public_channel").split(","))
    if not types <= {"public_channel", "private_channel", "mpim", "im"}:
        raise SlackError("invalid_types")
    try:
        limit = min(max(int(args.get("limit") or 100), 1), 1000)
    except ValueError:
        raise SlackError("invalid_limit") from None
    offset = 0
    if args.get("cursor"):
        try:
            kind, _, value = base64.b64decode(args["cursor"], validate=True).decode().partition(":")
            offset = int(value)
            assert kind == "offset" and offset >= 0
        except Exception:
            raise SlackError("invalid_cursor") from None
    matching = [c for c in STATE.channels
                if ("private_channel" if c["is_private"] else "public_channel") in types
                and not (as_bool(args.get("exclude_archived")) and c["is_archived"])]
    page = matching[offset:offset + limit]
    more = offset + limit < len(matching)
    return {"channels": page,
            "response_metadata": {"next_cursor": encode_cursor(offset + limit) if more else ""}}


NAME_OK = re.compile(r"^[a-z0-9_-]+$")


def conversations_create(args):
    name = args.get("name") or ""
    if not name:
        raise SlackError("invalid_name_required")
    if len(name) > 80:
        raise SlackError("invalid_name_maxlength")
    if not NAME_OK.match(name):
        raise SlackError("invalid_name_specials")
    if not name.strip("-_"):
        raise SlackError("invalid_name_punctuation")
    if any(c["name"] == name for c in STATE.channels):
        raise SlackError("name_taken")
    private = as_bool(args.get("is_private", False))
    channel = channel_object(f"C{len(STATE.channels) + 1:010d}", name, private=private)
    STATE.channels.append(channel)
    return {"channel": channel}


def conversations_set_purpose(args):
    channel = STATE.channel(args.get("channel"))
    purpose = args.get("purpose") or ""
    if len(purpose) > 250:
        raise SlackError("too_long")
    channel["purpose"] = {"value": purpose, "creator": BOT["user_id"], "last_set": 1700000000}
    return {"channel": channel}


def users_lookup_by_email(args):
    email = (args.get("email") or "").lower()
    if not email:
        raise SlackError("invalid_arguments",
                         response_metadata={"messages": ["[ERROR] missing required field: email"]})
    for user in STATE.users:
        if user["profile"]["email"] == email:
            return {"user": user}
    raise SlackError("users_not_found")


def auth_test(_args):
    return {"url": TEAM["url"], "team": TEAM["name"], "user": BOT["user"], "team_id": TEAM["id"],
            "user_id": BOT["user_id"], "bot_id": BOT["bot_id"], "is_enterprise_install": False}


METHODS = {
    "chat.postMessage": chat_post_message,
    "chat.getPermalink": chat_get_permalink,
    "conversations.list": conversations_list,
    "conversations.create": conversations_create,
    "conversations.setPurpose": conversations_set_purpose,
    "users.lookupByEmail": users_lookup_by_email,
    "auth.test": auth_test,
}


# --- Events API: Slack calling the app ---------------------------------------------------------

EVENTS = {"url": None, "secret": None}


def signed_post(url, body, retry_num=0):
    """POSTs body as Slack does; returns (status, text), status 0 when there was no answer."""
    parts = urlsplit(url)
    ts = str(int(time.time()))
    data = json.dumps(body).encode()
    sig = "v0=" + hmac.new(EVENTS["secret"].encode(), b"v0:" + ts.encode() + b":" + data,
                           hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": ts,
               "X-Slack-Signature": sig, "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)"}
    if retry_num:
        headers["X-Slack-Retry-Num"] = str(retry_num)
        headers["X-Slack-Retry-Reason"] = "http_timeout"
    try:
        conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=3)
        conn.request("POST", parts.path + ("?" + parts.query if parts.query else ""), data, headers)
        resp = conn.getresponse()
        text = resp.read().decode("utf-8", "replace")
        conn.close()
        return resp.status, text
    except OSError:
        return 0, ""


def events_control(path, args):
    if path == "/_fake/events/request_url":
        EVENTS["url"], EVENTS["secret"] = args["url"], args["signing_secret"]
        challenge = uuid.uuid4().hex
        status, text = signed_post(EVENTS["url"], {"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl",
                                                   "challenge": challenge, "type": "url_verification"})
        return {"verified": status == 200 and text.strip() == challenge, "status": status, "body": text}
    if path == "/_fake/events/send":
        event_id = "Ev" + uuid.uuid4().hex[:10].upper()
        body = {"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "team_id": TEAM["id"], "api_app_id": "A0000000001",
                "event": args.get("event", {}), "type": "event_callback", "event_id": event_id,
                "event_time": int(time.time()), "authorizations": [{"team_id": TEAM["id"],
                                                                    "user_id": BOT["user_id"], "is_bot": True}]}
        statuses = []
        for attempt in range(4):  # the first try and Slack's 3 retries
            status, _ = signed_post(EVENTS["url"], body, retry_num=attempt)
            statuses.append(status)
            if 200 <= status < 300:
                break
            time.sleep(0.2)
        for n in range(int(args.get("resend", 0))):
            statuses.append(signed_post(EVENTS["url"], body, retry_num=len(statuses) + n)[0])
        return {"event_id": event_id, "statuses": statuses}
    return {"error": f"no control endpoint {path}"}


# --- HTTP ----------------------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the host's pooled client expects
    token = "xoxb-test"
    verbose = False

    def do_GET(self):
        self.route()

    def do_POST(self):
        self.route()

    def log_message(self, fmt, *args):
        if self.verbose:
            sys.stderr.write("fake_slack: " + fmt % args + "\n")

    def send(self, status, body, headers=None, content_type="application/json; charset=utf-8"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
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
        if url.path.startswith("/api/"):
            return self.api(url.path[len("/api/"):], url.query, raw)
        self.send(404, b"Not Found\n", content_type="text/plain")

    def control(self, path, raw):
        try:
            args = json.loads(raw) if raw else {}
        except ValueError:
            return self.send(400, {"error": "body must be JSON"})
        if path.startswith("/_fake/events/") and self.command == "POST":
            return self.send(200, events_control(path, args))  # no lock held while it calls out
        with STATE.lock:
            if path == "/_fake/requests" and self.command == "GET":
                return self.send(200, {"requests": STATE.requests})
            if path == "/_fake/reset" and self.command == "POST":
                STATE.reset()
                return self.send(200, {"ok": True})
            if path == "/_fake/tokens" and self.command == "POST":
                STATE.accepted.update(args.get("accept", []))
                if "accept_prefix" in args:
                    STATE.accept_prefix = args["accept_prefix"]
                STATE.expired.update(args.get("expired", []))
                return self.send(200, {"ok": True})
            if path in ("/_fake/ratelimit", "/_fake/fail") and self.command == "POST":
                status = 429 if path == "/_fake/ratelimit" else int(args.get("status", 503))
                failure = (status, int(args.get("retry_after", 1)), args.get("method"))
                STATE.failures += [failure] * int(args.get("count", 1))
                return self.send(200, {"ok": True, "pending": len(STATE.failures)})
        self.send(404, {"error": f"no control endpoint {self.command} {path}"})

    def parse_args(self, method, query, raw):
        """Merges query and body arguments the way Slack does; returns (args, warnings)."""
        args = dict(parse_qsl(query))
        warnings = []
        content_type = self.headers.get("Content-Type", "")
        if raw and content_type.startswith("application/json"):
            if method not in JSON_METHODS:
                return args, warnings  # Slack ignores JSON bodies on these methods
            if "charset" not in content_type:
                warnings.append("missing_charset")
            try:
                body = json.loads(raw)
            except ValueError:
                raise SlackError("invalid_json") from None
            if not isinstance(body, dict):
                raise SlackError("json_not_object")
            args.update(body)
        elif raw:  # application/x-www-form-urlencoded (Slack's default)
            args.update(parse_qsl(raw.decode()))
        return args, warnings

    def api(self, method, query, raw):
        record = {"method": self.command, "path": self.path, "headers": dict(self.headers),
                  "body": raw.decode(errors="replace")}
        status, body, headers = self.answer(method, query, raw)
        record["status"] = status
        with STATE.lock:
            STATE.requests.append(record)
        if isinstance(body, bytes):
            return self.send(status, body, headers, content_type="text/html")
        self.send(status, body, headers)

    def answer(self, method, query, raw):
        """Returns (status, body, headers) for one Web API call."""
        with STATE.lock:
            failure = next((f for f in STATE.failures if f[2] in (None, method)), None)
            if failure:
                STATE.failures.remove(failure)
                status, retry_after, _ = failure
                if status == 429:
                    return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}
                return status, b"<html><body>Service Unavailable</body></html>\n", {}
        if method not in METHODS:
            return 404, {"ok": False, "error": "unknown_method", "req_method": method}, {}
        try:
            args, warnings = self.parse_args(method, query, raw)
            auth = self.headers.get("Authorization", "")
            token = auth[len("Bearer "):] if auth.startswith("Bearer ") else args.pop("token", None)
            if not token:
                raise SlackError("not_authed")
            if token in STATE.expired:
                raise SlackError("token_expired")
            if (token != self.token and token not in STATE.accepted
                    and not (STATE.accept_prefix and token.startswith(STATE.accept_prefix))):
                raise SlackError("invalid_auth")
            with STATE.lock:
                body = {"ok": True, **METHODS[method](args)}
        except SlackError as e:
            return 200, e.body, {}
        except RateLimited as e:
            return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(e.retry_after)}
        if warnings:
            body["warning"] = ",".join(warnings)
            body.setdefault("response_metadata", {})["warnings"] = warnings
        return 200, body, {"X-OAuth-Scopes": SCOPES, "X-Accepted-OAuth-Scopes": ""}


def main():
    fake_server.serve(Handler, "A fake Slack Web API for tests.", default_token="xoxb-test")


if __name__ == "__main__":
    main()
