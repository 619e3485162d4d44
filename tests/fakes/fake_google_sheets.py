#!/usr/bin/python3
"""A local stand-in for the Google Sheets API v4, for integration tests.

    fake_google_sheets.py --port 0 [--token ya29.test-token] [--verbose]

Listens on 127.0.0.1 and prints exactly one line, "READY <port>", once it accepts requests.
Serves the calls the Google Sheets plugin makes, under /v4 as Google does (so a client's base
URL is http://127.0.0.1:<port>/v4):

    GET  /v4/spreadsheets/{id}                          spreadsheets.get (title and sheet titles)
    GET  /v4/spreadsheets/{id}/values/{range}           spreadsheets.values.get
    POST /v4/spreadsheets/{id}/values/{range}:append    spreadsheets.values.append
    POST /v4/spreadsheets/{id}/values:batchUpdate       spreadsheets.values.batchUpdate

Ranges are A1 notation ("Sheet1", "'My Sheet'!A1:C5", "A2:B"), percent-encoded or not.
Requests must carry "Authorization: Bearer <token>". Failures are Google's error bodies,
{"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}}:
401 UNAUTHENTICATED without a token or with a wrong or expired one, 403 PERMISSION_DENIED for a
spreadsheet seeded with "forbidden": true, 404 NOT_FOUND for an unknown spreadsheet, 400
INVALID_ARGUMENT for a range it cannot parse ("Unable to parse range: ...") or a missing
valueInputOption. Cells are kept as text (what FORMATTED_VALUE shows); null in a write leaves
the cell as it was.

Control endpoints for the test harness (no auth):
    GET  /_fake/requests                 every /v4/ request received, oldest first
    POST /_fake/reset                    no spreadsheets, requests, failures or extra tokens
    POST /_fake/spreadsheets             {"spreadsheetId", "title"?, "forbidden"?,
                                          "sheets": {"Sheet1": [["Name", ...], [...], ...]}}:
                                         creates or replaces a spreadsheet (first row = header)
    GET  /_fake/spreadsheets/{id}        {"spreadsheetId", "title", "sheets": {name: rows}}
    POST /_fake/fail                     {"count": N, "status": 429|500|503, "retry_after": 1}:
                                         the next N /v4/ requests answer that status with Google's
                                         RESOURCE_EXHAUSTED / INTERNAL / UNAVAILABLE body (and
                                         Retry-After when retry_after is given, which is the default)
    POST /_fake/tokens                   {"accept": [...], "expired": [...], "accept_prefix": "...",
                                          "refresh": [...]}: further access tokens it accepts, ones it
                                         answers with 401 UNAUTHENTICATED (reason ACCESS_TOKEN_EXPIRED),
                                         and refresh tokens POST /token honours

It also stands in for Google's token endpoint (https://oauth2.googleapis.com/token), so an
OAuth2 connection's refresh can be exercised: POST /token with the form grant_type=refresh_token
and a refresh token registered through /_fake/tokens answers
{"access_token": "ya29.refreshed-<n>", "expires_in": 3599, "scope": ..., "token_type": "Bearer"}
(no new refresh token, as Google does) and accepts the new access token from then on; any other
refresh token gets 400 {"error": "invalid_grant", "error_description": "Token has been expired or
revoked."}. Token requests are listed by /_fake/requests too.
"""

import json
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, parse_qsl, unquote, urlsplit

import fake_server  # tests/fakes/fake_server.py: the shared command line and serving loop

AUTH_HELP = ("Expected OAuth 2 access token, login cookie or other valid authentication credential. "
             "See https://developers.google.com/identity/sign-in/web/devconsole-project.")


class GoogleError(Exception):
    """One of Google's error answers: HTTP status, body and headers."""

    def __init__(self, code, status, message, reason=None, headers=None):
        super().__init__(message)
        self.code = code
        self.headers = headers or {}
        error = {"code": code, "message": message, "status": status}
        if reason:
            error["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason,
                                 "domain": "googleapis.com",
                                 "metadata": {"service": "sheets.googleapis.com"}}]
        self.body = {"error": error}


def not_found():
    return GoogleError(404, "NOT_FOUND", "Requested entity was not found.")


def bad_range(text):
    return GoogleError(400, "INVALID_ARGUMENT", f"Unable to parse range: {text}")


FORCED = {
    429: ("RESOURCE_EXHAUSTED",
          "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user' "
          "of service 'sheets.googleapis.com' for consumer 'project_number:000000000000'.",
          "RATE_LIMIT_EXCEEDED"),
    500: ("INTERNAL", "Internal error encountered.", None),
    503: ("UNAVAILABLE", "The service is currently unavailable.", None),
}


# --- A1 notation ----------------------------------------------------------------------------

def column_index(letters):
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - ord("A") + 1)
    return n - 1


def column_letters(index):
    letters = ""
    n = index + 1
    while n > 0:
        n, rem = divmod(n - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters


def quote_sheet(name):
    """How Google writes a sheet name in the ranges it returns."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) and not re.fullmatch(r"[A-Za-z]{1,3}\d+", name):
        return name
    return "'" + name.replace("'", "''") + "'"


CELL = re.compile(r"^([A-Za-z]{1,3})?(\d+)?$")


def parse_cells(text):
    """'A1:C5', 'A2', 'A:C', 'A2:C' -> (row1, col1, row2, col2), zero-based, None for open ends."""
    parts = text.split(":")
    if len(parts) > 2 or not text:
        return None
    ends = []
    for part in parts:
        m = CELL.match(part)
        if not m or not (m.group(1) or m.group(2)):
            return None
        col = column_index(m.group(1)) if m.group(1) else None
        row = int(m.group(2)) - 1 if m.group(2) else None
        if row is not None and row < 0:
            return None
        ends.append((row, col))
    (r1, c1), (r2, c2) = ends[0], ends[-1]
    return (r1 or 0, c1 or 0, r2, c2) if len(parts) == 2 else (r1 or 0, c1 or 0, r1, c1)


class Range:
    def __init__(self, sheet, r1, c1, r2, c2):
        self.sheet, self.r1, self.c1, self.r2, self.c2 = sheet, r1, c1, r2, c2


def parse_range(book, text):
    """A1 range text -> Range on a sheet of book; GoogleError 400 when it cannot be read."""
    sheet_part, cells = None, None
    if text.startswith("'"):
        i, name = 1, ""
        while i < len(text):
            if text[i] == "'":
                if text[i + 1:i + 2] == "'":
                    name += "'"
                    i += 2
                    continue
                break
            name += text[i]
            i += 1
        else:
            raise bad_range(text)
        sheet_part, rest = name, text[i + 1:]
        if rest.startswith("!"):
            cells = rest[1:]
        elif rest:
            raise bad_range(text)
    elif "!" in text:
        sheet_part, cells = text.split("!", 1)
    elif text in book["sheets"]:
        sheet_part = text
    else:
        cells = text  # a range on the first sheet
    if sheet_part is None:
        sheet_part = next(iter(book["sheets"]))
    if sheet_part not in book["sheets"]:
        raise bad_range(text)
    if cells is None or cells == "":
        return Range(sheet_part, 0, 0, None, None)
    parsed = parse_cells(cells)
    if parsed is None:
        raise bad_range(text)
    return Range(sheet_part, *parsed)


def a1(sheet, r1, c1, r2, c2):
    return f"{quote_sheet(sheet)}!{column_letters(c1)}{r1 + 1}:{column_letters(c2)}{r2 + 1}"


# --- the spreadsheets ------------------------------------------------------------------------

def cell_text(value):
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def trimmed(rows):
    """Rows as Google returns them: trailing blank cells and trailing blank rows left out."""
    out = []
    for row in rows:
        row = list(row)
        while row and row[-1] == "":
            row.pop()
        out.append(row)
    while out and not out[-1]:
        out.pop()
    return out


class State:
    """Everything the fake remembers, behind one lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.books = {}
        self.accepted = set()
        self.expired = set()
        self.accept_prefix = ""
        self.refresh_tokens = set()
        self.refreshed = 0
        self.requests = []
        self.failures = []  # pending forced answers: (status, retry_after or None)

    def book(self, spreadsheet_id):
        book = self.books.get(spreadsheet_id)
        if book is None:
            raise not_found()
        if book.get("forbidden"):
            raise GoogleError(403, "PERMISSION_DENIED", "The caller does not have permission")
        return book


STATE = State()


def write_cells(grid, r0, c0, values):
    """Writes a block of values at (r0, c0); null cells are left as they were."""
    for i, row in enumerate(values):
        r = r0 + i
        while len(grid) <= r:
            grid.append([])
        for j, value in enumerate(row):
            if value is None:
                continue
            c = c0 + j
            while len(grid[r]) <= c:
                grid[r].append("")
            grid[r][c] = cell_text(value)


def values_get(book, rng, query):
    grid = trimmed(book["sheets"][rng.sheet])
    r2 = rng.r2 if rng.r2 is not None else max(len(grid) - 1, rng.r1)
    width = max((len(r) for r in grid), default=1)
    c2 = rng.c2 if rng.c2 is not None else max(width - 1, rng.c1)
    block = [row[rng.c1:c2 + 1] for row in grid[rng.r1:r2 + 1]]
    if query.get("majorDimension", ["ROWS"])[0] == "COLUMNS":
        block = [list(col) for col in zip(*[r + [""] * (c2 - rng.c1 + 1 - len(r)) for r in block])]
    body = {"range": a1(rng.sheet, rng.r1, rng.c1, r2 if rng.r2 is not None else max(r2, 999),
                        c2 if rng.c2 is not None else max(c2, 25)),
            "majorDimension": query.get("majorDimension", ["ROWS"])[0]}
    block = trimmed(block)
    if block:
        body["values"] = block
    return body


def require_input_option(query, body=None):
    option = (body or {}).get("valueInputOption") or query.get("valueInputOption", [None])[0]
    if option is None:
        raise GoogleError(400, "INVALID_ARGUMENT", "'valueInputOption' is required but not specified")
    if option not in ("RAW", "USER_ENTERED"):
        raise GoogleError(400, "INVALID_ARGUMENT",
                          f"Invalid value at 'value_input_option' (type.googleapis.com/"
                          f"google.apps.sheets.v4.ValueInputOption), \"{option}\"")
    return option


def check_values(values):
    if not isinstance(values, list) or not all(isinstance(r, list) for r in values):
        raise GoogleError(400, "INVALID_ARGUMENT",
                          "Invalid JSON payload received. Unknown name \"values\": Proto field is not repeating, "
                          "cannot start list.")
    for row in values:
        for cell in row:
            if isinstance(cell, (list, dict)):
                raise GoogleError(400, "INVALID_ARGUMENT",
                                  "Invalid values[0][0]: list_value {} is not a valid cell value")


def values_append(book, spreadsheet_id, rng, query, body):
    require_input_option(query)
    values = body.get("values", [])
    check_values(values)
    grid = book["sheets"][rng.sheet]
    data = trimmed(grid)
    table = None
    if data:
        width = max(len(r) for r in data)
        table = a1(rng.sheet, 0, 0, len(data) - 1, width - 1)
    start = len(data)
    if query.get("insertDataOption", ["OVERWRITE"])[0] == "INSERT_ROWS":
        grid[start:start] = [[] for _ in values]
    else:
        del grid[start:]
    write_cells(grid, start, rng.c1, values)
    cols = max((len(r) for r in values), default=0)
    updates = {"spreadsheetId": spreadsheet_id,
               "updatedRange": a1(rng.sheet, start, rng.c1, start + len(values) - 1, rng.c1 + max(cols, 1) - 1),
               "updatedRows": len(values), "updatedColumns": cols,
               "updatedCells": sum(1 for r in values for c in r if c is not None)}
    out = {"spreadsheetId": spreadsheet_id, "updates": updates}
    if table:
        out["tableRange"] = table
    return out


def values_batch_update(book, spreadsheet_id, body):
    require_input_option({}, body)
    data = body.get("data")
    if not isinstance(data, list) or not data:
        raise GoogleError(400, "INVALID_ARGUMENT", "Must specify at least one data range")
    parsed = []
    for item in data:  # everything is checked before anything is written, as Google does
        rng = parse_range(book, item.get("range", ""))
        values = item.get("values", [])
        check_values(values)
        if item.get("majorDimension") == "COLUMNS":
            values = [list(r) for r in zip(*values)]
        parsed.append((rng, values))
    responses, sheets = [], set()
    totals = {"rows": 0, "cols": 0, "cells": 0}
    for rng, values in parsed:
        grid = book["sheets"][rng.sheet]
        write_cells(grid, rng.r1, rng.c1, values)
        rows, cols = len(values), max((len(r) for r in values), default=0)
        cells = sum(1 for r in values for c in r if c is not None)
        written = a1(rng.sheet, rng.r1, rng.c1, rng.r1 + max(rows, 1) - 1, rng.c1 + max(cols, 1) - 1)
        resp = {"spreadsheetId": spreadsheet_id, "updatedRange": written, "updatedRows": rows,
                "updatedColumns": cols, "updatedCells": cells}
        if body.get("includeValuesInResponse"):
            block = [grid[r][rng.c1:rng.c1 + cols] if r < len(grid) else [] for r in range(rng.r1, rng.r1 + rows)]
            resp["updatedData"] = {"range": written, "majorDimension": "ROWS", "values": block}
        responses.append(resp)
        sheets.add(rng.sheet)
        totals["rows"] += rows
        totals["cols"] += cols
        totals["cells"] += cells
    return {"spreadsheetId": spreadsheet_id, "totalUpdatedRows": totals["rows"],
            "totalUpdatedColumns": totals["cols"], "totalUpdatedCells": totals["cells"],
            "totalUpdatedSheets": len(sheets), "responses": responses}


def spreadsheets_get(book, spreadsheet_id):
    return {"spreadsheetId": spreadsheet_id, "properties": {"title": book["title"], "locale": "en_US"},
            "sheets": [{"properties": {"sheetId": i, "title": name, "index": i, "sheetType": "GRID"}}
                       for i, name in enumerate(book["sheets"])],
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{spreadsheet_id}/edit"}


# --- HTTP ----------------------------------------------------------------------------------

SPREADSHEET = re.compile(r"^/v4/spreadsheets/([^/:]+)(.*)$")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the host's pooled client expects
    token = "ya29.test-token"
    verbose = False

    def do_GET(self):
        self.route()

    def do_POST(self):
        self.route()

    def do_PUT(self):
        self.route()

    def log_message(self, fmt, *args):
        if self.verbose:
            sys.stderr.write("fake_google_sheets: " + fmt % args + "\n")

    def send(self, status, body, headers=None):
        data = json.dumps(body, indent=2).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
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
        if url.path.startswith("/v4/"):
            return self.api(url, raw)
        if url.path == "/token" and self.command == "POST":
            return self.token_endpoint(raw)
        self.send(404, {"error": {"code": 404, "message": "Not Found", "status": "NOT_FOUND"}})

    def control(self, path, raw):
        try:
            args = json.loads(raw) if raw else {}
        except ValueError:
            return self.send(400, {"error": "body must be JSON"})
        with STATE.lock:
            if path == "/_fake/requests" and self.command == "GET":
                return self.send(200, {"requests": STATE.requests})
            if path == "/_fake/reset" and self.command == "POST":
                STATE.reset()
                return self.send(200, {"ok": True})
            if path == "/_fake/spreadsheets" and self.command == "POST":
                sheets = args.get("sheets") or {"Sheet1": []}
                STATE.books[args["spreadsheetId"]] = {
                    "title": args.get("title", "Untitled spreadsheet"),
                    "forbidden": bool(args.get("forbidden")),
                    "sheets": {name: [[cell_text(c) for c in row] for row in rows] for name, rows in sheets.items()},
                }
                return self.send(200, {"ok": True})
            if path.startswith("/_fake/spreadsheets/") and self.command == "GET":
                sid = unquote(path[len("/_fake/spreadsheets/"):])
                book = STATE.books.get(sid)
                if book is None:
                    return self.send(404, {"error": f"no spreadsheet {sid}"})
                return self.send(200, {"spreadsheetId": sid, "title": book["title"],
                                       "sheets": {n: trimmed(rows) for n, rows in book["sheets"].items()}})
            if path == "/_fake/tokens" and self.command == "POST":
                STATE.accepted.update(args.get("accept", []))
                STATE.expired.update(args.get("expired", []))
                STATE.refresh_tokens.update(args.get("refresh", []))
                if "accept_prefix" in args:
                    STATE.accept_prefix = args["accept_prefix"]
                return self.send(200, {"ok": True})
            if path == "/_fake/fail" and self.command == "POST":
                status = int(args.get("status", 503))
                if status not in FORCED:
                    return self.send(400, {"error": f"status must be one of {sorted(FORCED)}"})
                retry_after = args.get("retry_after", 1)
                STATE.failures += [(status, retry_after)] * int(args.get("count", 1))
                return self.send(200, {"ok": True, "pending": len(STATE.failures)})
        self.send(404, {"error": f"no control endpoint {self.command} {path}"})

    def api(self, url, raw):
        record = {"method": self.command, "path": self.path, "headers": dict(self.headers),
                  "body": raw.decode(errors="replace")}
        try:
            status, body, headers = 200, self.answer(url, raw), {}
        except GoogleError as e:
            status, body, headers = e.code, e.body, e.headers
        record["status"] = status
        with STATE.lock:
            STATE.requests.append(record)
        self.send(status, body, headers)

    def token_endpoint(self, raw):
        """Google's token endpoint, refresh_token grant only."""
        form = dict(parse_qsl(raw.decode(errors="replace")))
        record = {"method": "POST", "path": self.path, "headers": dict(self.headers), "body": "[form]",
                  "grant_type": form.get("grant_type")}
        with STATE.lock:
            if form.get("grant_type") != "refresh_token":
                status, body = 400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type: "
                                     + form.get("grant_type", "")}
            elif form.get("refresh_token") not in STATE.refresh_tokens:
                status, body = 400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
            else:
                STATE.refreshed += 1
                access = f"ya29.refreshed-{STATE.refreshed}"
                STATE.accepted.add(access)
                status, body = 200, {"access_token": access, "expires_in": 3599, "token_type": "Bearer",
                                     "scope": "https://www.googleapis.com/auth/spreadsheets"}
            record["status"] = status
            STATE.requests.append(record)
        self.send(status, body, {"Cache-Control": "no-cache, no-store, max-age=0, must-revalidate"})

    def authenticate(self):
        auth = self.headers.get("Authorization", "")
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else ""
        challenge = {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'}
        if not token:
            raise GoogleError(401, "UNAUTHENTICATED", "Request is missing required authentication credential. "
                              + AUTH_HELP, reason="CREDENTIALS_MISSING",
                              headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'})
        if token in STATE.expired:
            raise GoogleError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials. " + AUTH_HELP,
                              reason="ACCESS_TOKEN_EXPIRED", headers=challenge)
        if (token != self.token and token not in STATE.accepted
                and not (STATE.accept_prefix and token.startswith(STATE.accept_prefix))):
            raise GoogleError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials. " + AUTH_HELP,
                              reason="ACCESS_TOKEN_TYPE_UNSUPPORTED", headers=challenge)

    def answer(self, url, raw):
        """The success body of one API call; raises GoogleError for a failure."""
        with STATE.lock:
            if STATE.failures:
                status, retry_after = STATE.failures.pop(0)
                name, message, reason = FORCED[status]
                headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
                raise GoogleError(status, name, message, reason=reason, headers=headers)
        self.authenticate()
        m = SPREADSHEET.match(url.path)
        if not m:
            raise GoogleError(404, "NOT_FOUND", "Method not found.")
        spreadsheet_id, rest = unquote(m.group(1)), m.group(2)
        query = parse_qs(url.query)
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            raise GoogleError(400, "INVALID_ARGUMENT", "Invalid JSON payload received.") from None
        if not isinstance(body, dict):
            raise GoogleError(400, "INVALID_ARGUMENT", "Invalid JSON payload received. Expected an object.")
        with STATE.lock:
            book = STATE.book(spreadsheet_id)
            if rest == "" and self.command == "GET":
                return spreadsheets_get(book, spreadsheet_id)
            if rest == "/values:batchUpdate" and self.command == "POST":
                return values_batch_update(book, spreadsheet_id, body)
            if rest.startswith("/values/"):
                target = rest[len("/values/"):]
                if self.command == "POST" and target.endswith(":append"):
                    rng = parse_range(book, unquote(target[:-len(":append")]))
                    return values_append(book, spreadsheet_id, rng, query, body)
                if self.command == "GET":
                    return values_get(book, parse_range(book, unquote(target)), query)
        raise GoogleError(404, "NOT_FOUND", "Method not found.")


def main():
    fake_server.serve(Handler, "A fake Google Sheets API v4 for tests.", default_token="ya29.test-token")


if __name__ == "__main__":
    main()
