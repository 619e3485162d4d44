#!/usr/bin/python3
"""A local stand-in for the Google Drive API v3, for integration tests and the upload benchmark.

    fake_google_drive.py --port 0 [--token ya29.test-token] [--verbose]

Listens on 127.0.0.1 and prints exactly one line, "READY <port>", once it accepts requests.
Serves the paths and methods the Google Drive plugin calls, the way Google does:

    GET  /drive/v3/about?fields=user                         the account's user
    GET  /drive/v3/files?q=&pageSize=&pageToken=&fields=     files.list (a subset of the q syntax)
    POST /drive/v3/files                                     files.create, metadata only (folders)
    GET  /drive/v3/files/{id}[?alt=media]                    files.get, metadata or the content
    POST /drive/v3/files/{id}/permissions                    permissions.create
    POST /upload/drive/v3/files?uploadType=multipart         multipart/related: metadata + media
    POST /upload/drive/v3/files?uploadType=resumable         opens a session: 200 + Location
    PUT  <Location> (…&upload_id=…) with Content-Range       308 + Range until the last byte,
                                                             then 200 with the file resource
    GET  /drive/v3/changes/startPageToken                   {"kind", "startPageToken"}: the next change
    GET  /drive/v3/changes?pageToken=&pageSize=&includeRemoved=&fields=
                                                             changes.list: the changes from the token on,
                                                             pageSize (default 100, at most 1000) per page
                                                             with nextPageToken, and newStartPageToken on
                                                             the last page; 400 for a missing or unknown
                                                             pageToken, as Google answers
    POST /token                                             Google's token endpoint (refresh_token grant),
                                                             so an expired OAuth2 token can be refreshed

Every created or changed file is appended to a change log (a change: changeType "file", fileId,
time, removed, and the file resource as it is now), which is what the Changes API pages through.

Requests must carry "Authorization: Bearer <token>"; otherwise (or with a token marked expired)
the answer is Google's 401 UNAUTHENTICATED body. Errors use Google's body:
{"error": {"code": 404, "message": "...", "errors": [{"domain", "reason", "message"}], "status": "NOT_FOUND"}}.
`fields` is honoured for top-level names and one level of nesting ("files(id,name)").

Control endpoints for the test harness (no auth):
    GET  /_fake/requests        every API request received, oldest first (bodies over 64 KiB are
                                replaced by their length and sha256)
    GET  /_fake/files           every stored file: metadata plus size and sha256 of its content
    POST /_fake/reset           back to the seeded state; forgets requests and failures
    POST /_fake/tokens          {"accept": [...], "expired": [...], "accept_prefix": "...", "refresh": [...]}:
                                further access tokens, expired ones (401), and refresh tokens that
                                POST /token honours (it answers {"access_token": "ya29.refreshed-<n>",
                                "expires_in": 3599, ...} and accepts that token from then on)
    POST /_fake/files           {"name", "parents": [...], "mimeType"?, "content"?, "count"?, "trashed"?}:
                                creates files as a user would in the Drive UI (count of them, named
                                name-000, name-001, … when count is given), each a change
    POST /_fake/update          {"id", "name"?, "description"?, "parents"?}: edits or moves a file (a change)
    POST /_fake/trash           {"id"}: moves a file to the trash (a change with trashed: true)
    POST /_fake/remove          {"id"}: deletes a file for good (a change with removed: true)
    POST /_fake/fail            {"count": N, "status": 429|500|503, "retry_after": 1, "path": "..."}:
                                the next N API requests (whose path contains `path`, when given)
                                answer that status with Google's body (429 RESOURCE_EXHAUSTED,
                                503 UNAVAILABLE, 500 INTERNAL) and Retry-After
    POST /_fake/ratelimit       the same with status 429
    POST /_fake/short_ack       {"count": N}: the next N resumable chunks are only half taken
                                (the 308's Range acknowledges fewer bytes than were sent)
Seeded (created 2024-01-15, long before any test): folder "fold_reports" ("Reports") holding 25 files report-00.txt … report-24.txt, and a
Google Doc "doc_notes" (which has no content to download).
"""

import base64
import hashlib
import json
import re
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, urlsplit

import fake_server  # tests/fakes/fake_server.py: the shared command line and serving loop

USER = {"kind": "drive#user", "displayName": "Ada Lovelace", "emailAddress": "ada@example.com",
        "permissionId": "01234567890123456789", "me": True,
        "photoLink": "https://lh3.googleusercontent.com/a/default-user"}
FOLDER = "application/vnd.google-apps.folder"
CHUNK_GRANULARITY = 256 * 1024
SEEDED_AT = "2024-01-15T10:30:00.000Z"  # the seeded files are old; what the API creates is stamped now
RECORD_LIMIT = 64 * 1024


class DriveError(Exception):
    STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
              429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}

    def __init__(self, code, message, reason, headers=None, **extra):
        super().__init__(message)
        self.code = code
        self.headers = headers or {}
        error = {"message": message, "domain": "global", "reason": reason}
        error.update(extra)
        self.body = {"error": {"code": code, "message": message, "errors": [error],
                               "status": self.STATUS.get(code, "UNKNOWN")}}


def unauthenticated():
    return DriveError(401, "Request had invalid authentication credentials. Expected OAuth 2 access token, "
                      "login cookie or other valid authentication credential. See "
                      "https://developers.google.com/identity/sign-in/web/devconsole-project.",
                      "authError", {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'},
                      location="Authorization", locationType="header")


def not_found(file_id):
    return DriveError(404, f"File not found: {file_id}.", "notFound", location="fileId", locationType="parameter")


def forced(status, retry_after):
    headers = {"Retry-After": str(retry_after)}
    if status == 429:
        return DriveError(429, "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user'.",
                          "rateLimitExceeded", headers)
    if status == 503:
        return DriveError(503, "The service is currently unavailable.", "backendError", headers)
    return DriveError(status, "Internal Error", "internalError" if status == 500 else "backendError", headers)


def now():
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"


class Drive:
    """Everything the fake remembers, behind one lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.accepted = set()
        self.expired = set()
        self.accept_prefix = ""
        self.files = {}      # id -> metadata (Drive's file resource, without content)
        self.contents = {}   # id -> bytes
        self.order = []      # ids in creation order (files.list order)
        self.permissions = {}  # file id -> [permission]
        self.sessions = {}   # upload_id -> {"meta", "length", "type", "data": bytearray}
        self.requests = []
        self.failures = []   # [(status, retry_after, path substring or None)]
        self.short_acks = 0
        self.next_id = 1
        self.changes = []    # the change log: {"fileId", "time", "removed"}; change n is changes[n - 1]
        self.refresh_tokens = set()
        self.refreshed = 0
        self.add("fold_reports", "Reports", FOLDER, [], None, created=SEEDED_AT)
        for n in range(25):
            self.add(None, f"report-{n:02d}.txt", "text/plain", ["fold_reports"], f"report {n}\n".encode(),
                     created=SEEDED_AT)
        self.add("doc_notes", "Notes", "application/vnd.google-apps.document", [], None, created=SEEDED_AT)

    def new_id(self):
        fid = f"file_{self.next_id:06d}_{uuid.uuid4().hex[:8]}"
        self.next_id += 1
        return fid

    def add(self, fid, name, mime, parents, content, description=None, created=None):
        fid = fid or self.new_id()
        created = created or now()
        meta = {"kind": "drive#file", "id": fid, "name": name, "mimeType": mime,
                "parents": parents or ["root"], "createdTime": created, "modifiedTime": created,
                "trashed": False,
                "owners": [{"kind": "drive#user", "displayName": USER["displayName"],
                            "emailAddress": USER["emailAddress"], "me": True}]}
        if mime == FOLDER:
            meta["webViewLink"] = f"https://drive.google.com/drive/folders/{fid}"
        else:
            meta["webViewLink"] = f"https://drive.google.com/file/d/{fid}/view?usp=drivesdk"
        if description:
            meta["description"] = description
        if content is not None:
            meta["size"] = str(len(content))
            meta["md5Checksum"] = hashlib.md5(content).hexdigest()
            self.contents[fid] = bytes(content)
        self.files[fid] = meta
        self.order.append(fid)
        self.changed(fid)
        return meta

    def changed(self, fid, removed=False):
        self.changes.append({"fileId": fid, "time": now(), "removed": removed})

    def get(self, fid):
        if fid not in self.files:
            raise not_found(fid)
        return self.files[fid]


STATE = Drive()


# --- fields and q ----------------------------------------------------------------------------

def parse_fields(spec):
    """'a,b(c,d)' -> {'a': None, 'b': {'c': None, 'd': None}}; None for '*' or empty."""
    if not spec or spec.strip() == "*":
        return None

    def parse(i, stop):
        res = {}
        name = ""
        while i < len(spec):
            c = spec[i]
            if c == "(":
                sub, i = parse(i + 1, ")")
                res[name.strip()] = sub
                name = ""
            elif c == ",":
                if name.strip():
                    res[name.strip()] = None
                name = ""
            elif c == stop:
                break
            else:
                name += c
            i += 1
        if name.strip():
            res[name.strip()] = None
        return res, i

    out, _ = parse(0, None)
    return out


def apply_fields(obj, fields):
    if fields is None or not isinstance(obj, dict):
        return obj
    out = {}
    for name, sub in fields.items():
        if name in obj:
            v = obj[name]
            out[name] = [apply_fields(x, sub) for x in v] if isinstance(v, list) else apply_fields(v, sub)
    return out


TERM = re.compile(r"""^\s*(?:
    '(?P<parent>(?:[^'\\]|\\.)*)'\s+in\s+parents |
    (?P<field>name|mimeType|fullText)\s*(?P<op>contains|=|!=)\s*'(?P<value>(?:[^'\\]|\\.)*)' |
    trashed\s*=\s*(?P<trashed>true|false)
)\s*$""", re.X)


def matcher(q):
    """A predicate for a subset of Drive's q syntax: terms joined by `and`."""
    if not q:
        return lambda meta: not meta["trashed"]
    preds = []
    for term in re.split(r"\s+and\s+", q.strip()):
        term = term.strip()
        while term.startswith("(") and term.endswith(")"):
            term = term[1:-1].strip()
        m = TERM.match(term)
        if not m:
            raise DriveError(400, "Invalid Value", "invalid", location="q", locationType="parameter")
        unescape = lambda s: re.sub(r"\\(.)", r"\1", s)  # noqa: E731
        if m.group("parent") is not None:
            parent = unescape(m.group("parent"))
            preds.append(lambda meta, p=parent: p in meta["parents"])
        elif m.group("trashed"):
            want = m.group("trashed") == "true"
            preds.append(lambda meta, w=want: meta["trashed"] == w)
        else:
            field, op, value = m.group("field"), m.group("op"), unescape(m.group("value"))
            field = "name" if field == "fullText" else field
            if op == "contains":
                preds.append(lambda meta, f=field, v=value: v.lower() in meta[f].lower())
            elif op == "=":
                preds.append(lambda meta, f=field, v=value: meta[f] == v)
            else:
                preds.append(lambda meta, f=field, v=value: meta[f] != v)
    return lambda meta: all(p(meta) for p in preds)


# --- the API ---------------------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    token = "ya29.test-token"
    verbose = False

    def do_GET(self):
        self.route()

    def do_POST(self):
        self.route()

    def do_PUT(self):
        self.route()

    def do_DELETE(self):
        self.route()

    def log_message(self, fmt, *args):
        if self.verbose:
            sys.stderr.write("fake_google_drive: " + fmt % args + "\n")

    def send(self, status, body, headers=None, content_type="application/json; charset=UTF-8"):
        data = body if isinstance(body, (bytes, bytearray)) else json.dumps(body).encode()
        self.send_response(status)
        if data or status != 308:
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
        if url.path == "/token" and self.command == "POST":
            return self.token_endpoint(raw)
        record = {"method": self.command, "path": self.path, "headers": dict(self.headers),
                  "body_length": len(raw), "body_sha256": hashlib.sha256(raw).hexdigest()}
        if len(raw) <= RECORD_LIMIT:
            record["body"] = raw.decode(errors="replace")
        try:
            status, body, headers, ctype = self.api(url, raw)
        except DriveError as e:
            status, body, headers, ctype = e.code, e.body, e.headers, "application/json; charset=UTF-8"
        record["status"] = status
        with STATE.lock:
            STATE.requests.append(record)
        self.send(status, body, headers, ctype)

    def control(self, path, raw):
        try:
            args = json.loads(raw) if raw else {}
        except ValueError:
            return self.send(400, {"error": "body must be JSON"})
        with STATE.lock:
            if path == "/_fake/requests" and self.command == "GET":
                return self.send(200, {"requests": STATE.requests})
            if path == "/_fake/files" and self.command == "GET":
                files = []
                for fid in STATE.order:
                    meta = dict(STATE.files[fid])
                    if fid in STATE.contents:
                        meta["sha256"] = hashlib.sha256(STATE.contents[fid]).hexdigest()
                    meta["permissions"] = STATE.permissions.get(fid, [])
                    files.append(meta)
                return self.send(200, {"files": files})
            if path == "/_fake/reset" and self.command == "POST":
                STATE.reset()
                return self.send(200, {"ok": True})
            if path == "/_fake/tokens" and self.command == "POST":
                STATE.accepted.update(args.get("accept", []))
                STATE.expired.update(args.get("expired", []))
                STATE.refresh_tokens.update(args.get("refresh", []))
                if "accept_prefix" in args:
                    STATE.accept_prefix = args["accept_prefix"]
                return self.send(200, {"ok": True})
            if path in ("/_fake/fail", "/_fake/ratelimit") and self.command == "POST":
                status = 429 if path == "/_fake/ratelimit" else int(args.get("status", 503))
                STATE.failures += [(status, int(args.get("retry_after", 1)), args.get("path"))] * int(args.get("count", 1))
                return self.send(200, {"ok": True, "pending": len(STATE.failures)})
            if path == "/_fake/files" and self.command == "POST":
                count = args.get("count")
                made = []
                for n in range(count if count is not None else 1):
                    name = args.get("name", "Untitled") + (f"-{n:03d}" if count is not None else "")
                    content = args.get("content", "").encode()
                    meta = STATE.add(None, name, args.get("mimeType", "text/plain"), args.get("parents"),
                                     None if args.get("mimeType") == FOLDER else content)
                    if args.get("trashed"):
                        meta["trashed"] = True
                    made.append(meta)
                return self.send(200, {"files": made})
            if path == "/_fake/update" and self.command == "POST":
                meta = STATE.files.get(args.get("id"))
                if meta is None:
                    return self.send(404, {"error": f"no file {args.get('id')}"})
                for key in ("name", "description", "parents"):
                    if key in args:
                        meta[key] = args[key]
                meta["modifiedTime"] = now()
                STATE.changed(meta["id"])
                return self.send(200, {"file": meta})
            if path in ("/_fake/trash", "/_fake/remove") and self.command == "POST":
                fid = args.get("id")
                if fid not in STATE.files:
                    return self.send(404, {"error": f"no file {fid}"})
                if path == "/_fake/trash":
                    STATE.files[fid]["trashed"] = True
                    STATE.changed(fid)
                else:
                    del STATE.files[fid]
                    STATE.order.remove(fid)
                    STATE.changed(fid, removed=True)
                return self.send(200, {"ok": True})
            if path == "/_fake/short_ack" and self.command == "POST":
                STATE.short_acks += int(args.get("count", 1))
                return self.send(200, {"ok": True})
        self.send(404, {"error": f"no control endpoint {self.command} {path}"})

    def authorize(self):
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            raise unauthenticated()
        token = auth[len("Bearer "):]
        with STATE.lock:
            if token in STATE.expired:
                raise unauthenticated()
            if token != self.token and token not in STATE.accepted and not (
                    STATE.accept_prefix and token.startswith(STATE.accept_prefix)):
                raise unauthenticated()

    def api(self, url, raw):
        """Returns (status, body, headers, content type) or raises DriveError."""
        with STATE.lock:
            failure = next((f for f in STATE.failures if f[2] is None or f[2] in self.path), None)
            if failure:
                STATE.failures.remove(failure)
        if failure:
            raise forced(failure[0], failure[1])
        self.authorize()
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        fields = parse_fields(query.get("fields"))
        path, method = url.path, self.command
        ok = "application/json; charset=UTF-8"
        with STATE.lock:
            if path == "/drive/v3/about" and method == "GET":
                if not query.get("fields"):
                    raise DriveError(400, "The 'fields' parameter is required for this method.", "required",
                                     location="fields", locationType="parameter")
                return 200, apply_fields({"kind": "drive#about", "user": USER}, fields), {}, ok
            if path == "/drive/v3/files" and method == "GET":
                return 200, self.list_files(query, fields), {}, ok
            if path == "/drive/v3/changes/startPageToken" and method == "GET":
                body = {"kind": "drive#startPageToken", "startPageToken": str(len(STATE.changes) + 1)}
                return 200, apply_fields(body, fields), {}, ok
            if path == "/drive/v3/changes" and method == "GET":
                return 200, self.list_changes(query, fields), {}, ok
            if path == "/drive/v3/files" and method == "POST":
                meta = self.json_body(raw)
                return 200, apply_fields(self.create(meta, None), fields), {}, ok
            m = re.fullmatch(r"/drive/v3/files/([^/]+)", path)
            if m and method == "GET":
                meta = STATE.get(m.group(1))
                if query.get("alt") == "media":
                    if meta["mimeType"].startswith("application/vnd.google-apps."):
                        raise DriveError(403, "Only files with binary content can be downloaded. Use Export with "
                                         "Docs Editors files.", "fileNotDownloadable",
                                         location="alt", locationType="parameter")
                    return 200, STATE.contents.get(meta["id"], b""), {}, meta["mimeType"]
                return 200, apply_fields(meta, fields), {}, ok
            m = re.fullmatch(r"/drive/v3/files/([^/]+)/permissions", path)
            if m and method == "POST":
                return 200, apply_fields(self.share(m.group(1), self.json_body(raw), query), fields), {}, ok
            if path == "/upload/drive/v3/files" and method == "POST":
                kind = query.get("uploadType")
                if kind == "multipart":
                    meta, content = self.multipart(raw)
                    return 200, apply_fields(self.create(meta, content), fields), {}, ok
                if kind == "resumable":
                    return self.open_session(query, raw)
                if kind == "media":
                    return 200, apply_fields(self.create({"name": "Untitled"}, raw), fields), {}, ok
                raise DriveError(400, f"Invalid value '{kind}'. Values must match the following regular expression: "
                                 "'media|multipart|resumable'", "invalidParameter",
                                 location="uploadType", locationType="parameter")
            if path == "/upload/drive/v3/files" and method == "PUT":
                return self.put_chunk(query, raw)
        raise DriveError(404, "Not Found", "notFound")

    def json_body(self, raw):
        if not self.headers.get("Content-Type", "").startswith("application/json"):
            raise DriveError(400, "Content-Type must be application/json", "badContent")
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            raise DriveError(400, "Invalid JSON payload received.", "parseError") from None
        if not isinstance(body, dict):
            raise DriveError(400, "Invalid JSON payload received.", "parseError")
        return body

    def create(self, meta, content):
        parents = meta.get("parents") or []
        for p in parents:
            if p != "root":
                parent = STATE.get(p)
                if parent["mimeType"] != FOLDER:
                    raise DriveError(400, "The specified parent is not a folder.", "invalidParent")
        mime = meta.get("mimeType") or "application/octet-stream"
        if content is None and mime != FOLDER:
            content = b""
        return STATE.add(None, meta.get("name") or "Untitled", mime, parents, content, meta.get("description"))

    def list_files(self, query, fields):
        pred = matcher(query.get("q"))
        try:
            size = int(query.get("pageSize") or 100)
        except ValueError:
            raise DriveError(400, "Invalid value for pageSize", "invalid") from None
        if not 1 <= size <= 1000:
            raise DriveError(400, f"Invalid value '{size}'. Values must be within the range: [1, 1000]", "invalid",
                             location="pageSize", locationType="parameter")
        offset = 0
        if query.get("pageToken"):
            try:
                offset = int(base64.urlsafe_b64decode(query["pageToken"]).decode().split(":")[1])
            except Exception:
                raise DriveError(400, "Invalid Value", "invalid", location="pageToken",
                                 locationType="parameter") from None
        matching = [STATE.files[f] for f in STATE.order if pred(STATE.files[f])]
        page = matching[offset:offset + size]
        body = {"kind": "drive#fileList", "incompleteSearch": False, "files": page}
        if offset + size < len(matching):
            body["nextPageToken"] = base64.urlsafe_b64encode(f"offset:{offset + size}".encode()).decode()
        return apply_fields(body, fields)

    def list_changes(self, query, fields):
        token = query.get("pageToken")
        if not token:
            raise DriveError(400, "Required parameter: pageToken", "required", location="pageToken",
                             locationType="parameter")
        if not token.isdigit() or not 1 <= int(token) <= len(STATE.changes) + 1:
            raise DriveError(400, "Invalid Value", "invalid", location="pageToken", locationType="parameter")
        try:
            size = int(query.get("pageSize") or 100)
        except ValueError:
            raise DriveError(400, "Invalid value for pageSize", "invalid") from None
        if not 1 <= size <= 1000:
            raise DriveError(400, f"Invalid value '{size}'. Values must be within the range: [1, 1000]", "invalid",
                             location="pageSize", locationType="parameter")
        include_removed = query.get("includeRemoved", "true") != "false"
        start = int(token) - 1
        page = STATE.changes[start:start + size]
        changes = []
        for c in page:
            if c["removed"] and not include_removed:
                continue
            change = {"kind": "drive#change", "changeType": "file", "time": c["time"], "removed": c["removed"],
                      "fileId": c["fileId"]}
            if not c["removed"] and c["fileId"] in STATE.files:
                change["file"] = STATE.files[c["fileId"]]
            changes.append(change)
        body = {"kind": "drive#changeList", "changes": changes}
        if start + size < len(STATE.changes):
            body["nextPageToken"] = str(start + size + 1)
        else:
            body["newStartPageToken"] = str(len(STATE.changes) + 1)
        return apply_fields(body, fields)

    def token_endpoint(self, raw):
        """Google's token endpoint, refresh_token grant only."""
        form = dict(parse_qsl(raw.decode(errors="replace")))
        record = {"method": "POST", "path": self.path, "headers": dict(self.headers), "body": "[form]",
                  "grant_type": form.get("grant_type")}
        with STATE.lock:
            if form.get("grant_type") != "refresh_token":
                status, body = 400, {"error": "unsupported_grant_type",
                                     "error_description": "Invalid grant_type: " + form.get("grant_type", "")}
            elif form.get("refresh_token") not in STATE.refresh_tokens:
                status, body = 400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
            else:
                STATE.refreshed += 1
                access = f"ya29.refreshed-{STATE.refreshed}"
                STATE.accepted.add(access)
                status, body = 200, {"access_token": access, "expires_in": 3599, "token_type": "Bearer",
                                     "scope": "https://www.googleapis.com/auth/drive.file"}
            record["status"] = status
            STATE.requests.append(record)
        self.send(status, body, {"Cache-Control": "no-cache, no-store, max-age=0, must-revalidate"})

    def share(self, fid, body, query):
        STATE.get(fid)
        role, kind, email = body.get("role"), body.get("type"), body.get("emailAddress")
        if role not in ("owner", "organizer", "fileOrganizer", "writer", "commenter", "reader"):
            raise DriveError(400, "The permission role field is required." if not role else
                             f"Invalid permission role: {role}.", "invalid", location="permission.role")
        if kind not in ("user", "group", "domain", "anyone"):
            raise DriveError(400, "The permission type field is required.", "required", location="permission.type")
        if kind in ("user", "group") and not email:
            raise DriveError(400, "The permission emailAddress field is required.", "required")
        if role == "owner" and query.get("transferOwnership") != "true":
            raise DriveError(403, "The transferOwnership parameter must be enabled when the permission role is "
                             "'owner'.", "forbidden", location="transferOwnership", locationType="parameter")
        perm = {"kind": "drive#permission", "id": f"perm_{uuid.uuid4().hex[:12]}", "type": kind, "role": role,
                "emailAddress": email,
                "sendNotificationEmail": query.get("sendNotificationEmail", "true")}
        STATE.permissions.setdefault(fid, []).append(perm)
        return perm

    def multipart(self, raw):
        ctype = self.headers.get("Content-Type", "")
        m = re.match(r'multipart/related;\s*boundary="?([^";]+)"?', ctype)
        if not m:
            raise DriveError(400, "Bad content type. Please use multipart.", "badContent")
        delim = b"--" + m.group(1).encode()
        parts = raw.split(delim)
        # ['', part1, part2, '--\r\n']
        if len(parts) < 4 or not parts[-1].startswith(b"--"):
            raise DriveError(400, "Malformed multipart body.", "badContent")
        bodies = []
        for part in parts[1:-1]:
            if not part.startswith(b"\r\n") or not part.endswith(b"\r\n"):
                raise DriveError(400, "Malformed multipart body.", "badContent")
            head, sep, content = part[2:-2].partition(b"\r\n\r\n")
            if not sep:
                raise DriveError(400, "Malformed multipart body.", "badContent")
            bodies.append((head.decode(errors="replace"), content))
        if len(bodies) != 2 or "application/json" not in bodies[0][0].lower():
            raise DriveError(400, "Multipart upload needs a JSON metadata part and a media part.", "badContent")
        try:
            meta = json.loads(bodies[0][1])
        except ValueError:
            raise DriveError(400, "Invalid JSON payload received.", "parseError") from None
        media_type = re.search(r"(?im)^content-type:\s*(.+)$", bodies[1][0])
        meta.setdefault("mimeType", media_type.group(1).strip() if media_type else "application/octet-stream")
        return meta, bodies[1][1]

    def open_session(self, query, raw):
        meta = self.json_body(raw) if raw else {}
        for p in meta.get("parents") or []:
            STATE.get(p)
        length = self.headers.get("X-Upload-Content-Length")
        upload_id = uuid.uuid4().hex
        STATE.sessions[upload_id] = {"meta": meta, "length": int(length) if length else None,
                                     "type": self.headers.get("X-Upload-Content-Type"), "data": bytearray(),
                                     "fields": query.get("fields")}
        host = self.headers.get("Host", f"127.0.0.1:{self.server.server_address[1]}")
        location = f"http://{host}/upload/drive/v3/files?uploadType=resumable&upload_id={upload_id}"
        return 200, b"", {"Location": location, "X-GUploader-UploadID": upload_id}, "text/plain"

    def put_chunk(self, query, raw):
        session = STATE.sessions.get(query.get("upload_id", ""))
        if session is None:
            raise DriveError(404, "Upload session not found or expired.", "notFound")
        crange = self.headers.get("Content-Range", "")
        data = session["data"]
        m = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+|\*)", crange)
        status_query = re.fullmatch(r"bytes \*/(\d+|\*)", crange)
        if status_query:
            total = status_query.group(1)
            if total != "*" and int(total) == len(data):
                return self.finish(query["upload_id"], session)
            return self.incomplete(data)
        if not m:
            raise DriveError(400, "Failed to parse Content-Range header.", "badRequest")
        first, last, total = int(m.group(1)), int(m.group(2)), m.group(3)
        if last - first + 1 != len(raw):
            raise DriveError(400, "Content-Range does not match the body's length.", "badRequest")
        if first > len(data):
            raise DriveError(400, f"Invalid request. Expected the next byte at {len(data)}.", "badRequest")
        total = int(total) if total != "*" else None
        if session["length"] is not None and total is not None and total != session["length"]:
            raise DriveError(400, "The upload's total length changed.", "badRequest")
        final = total is not None and last + 1 == total
        if not final and (last + 1) % CHUNK_GRANULARITY != 0:
            raise DriveError(400, "Chunks other than the last must be multiples of 256 KiB.", "badRequest")
        take = raw[len(data) - first:]  # a resent chunk overlaps what is already held
        if STATE.short_acks > 0 and len(take) > CHUNK_GRANULARITY:
            STATE.short_acks -= 1
            keep = (len(take) // 2) // CHUNK_GRANULARITY * CHUNK_GRANULARITY
            data += take[:keep]
            return self.incomplete(data)
        data += take
        if final and len(data) == total:
            return self.finish(query["upload_id"], session)
        return self.incomplete(data)

    def incomplete(self, data):
        headers = {"Range": f"bytes=0-{len(data) - 1}"} if data else {}
        return 308, b"", headers, "text/plain"

    def finish(self, upload_id, session):
        del STATE.sessions[upload_id]
        meta = dict(session["meta"])
        meta.setdefault("mimeType", session["type"] or "application/octet-stream")
        created = self.create(meta, bytes(session["data"]))
        return 200, apply_fields(created, parse_fields(session["fields"])), {}, "application/json; charset=UTF-8"


def main():
    fake_server.serve(Handler, "A fake Google Drive API v3 for tests.", default_token="ya29.test-token")


if __name__ == "__main__":
    main()
