#!/usr/bin/python3
"""Google Sheets end to end: every action through POST /api/v2/execute with seed 004's
parameters and response shapes, on an integration whose apiBaseUri points at
tests/fakes/fake_google_sheets.py; what the fake received and what the sheet holds afterwards
are checked there. Also AND/OR, returnAll/updateAll, unknown columns, Google's error bodies,
429 with Retry-After, repeated 503, missing parameters and the connection test."""

import json
import os
import subprocess
import time
import unittest
import urllib.parse

from harness import PYTHON, SOURCE_DIR, STARTUP_TIMEOUT, PlugboardTestCase, _LineReader, _stop, request

FAKE = os.path.join(SOURCE_DIR, "tests", "fakes", "fake_google_sheets.py")
TOKEN = "ya29.sheets-test-token"
SEED_ID = "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms"  # seed 004's spreadsheet


class FakeSheets:
    def __init__(self, log_dir):
        self.log = open(os.path.join(log_dir, "fake_google_sheets.log"), "w")
        self.proc = subprocess.Popen([PYTHON, FAKE, "--port", "0", "--token", TOKEN],
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = _LineReader(self.proc.stdout).wait_for("READY ", STARTUP_TIMEOUT)
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"

    def control(self, method, path, body=None):
        r = request(self.url, method, path, body=body)
        assert r.status == 200, r
        return r.json

    def reset(self):
        self.control("POST", "/_fake/reset", {})

    def seed(self, spreadsheet_id, sheets, **extra):
        self.control("POST", "/_fake/spreadsheets", dict(extra, spreadsheetId=spreadsheet_id, sheets=sheets))

    def sheet(self, spreadsheet_id, name="Sheet1"):
        return self.control("GET", "/_fake/spreadsheets/" + urllib.parse.quote(spreadsheet_id))["sheets"][name]

    def fail(self, count, status, retry_after=1):
        self.control("POST", "/_fake/fail", {"count": count, "status": status, "retry_after": retry_after})

    def requests(self):
        return self.control("GET", "/_fake/requests")["requests"]

    def close(self):
        _stop(self.proc)
        self.log.close()


PEOPLE = [
    ["Name", "Status", "Age", "Email"],
    ["John Doe", "Active", "25", "john@example.com"],
    ["Jane Roe", "Active", "31", "jane@example.com"],
    ["Bob Poe", "Inactive", "25", "bob@example.com"],
    ["Ann Loe", "Active"],  # trailing cells blank: Google leaves them out
]

TASKS = [
    ["ID", "Title", "Status", "UpdatedAt"],
    ["99", "Write seeds", "Open", ""],
    ["100", "Ship plugin", "Open", "2025-10-01"],
    ["101", "Write docs", "Open", "2025-10-02"],
    ["100", "Duplicate id", "Open", ""],
]


class GoogleSheetsTest(PlugboardTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.sheets = FakeSheets(cls.env.dir)
            r = cls.env.call("POST", "/api/v2/integrations",
                             {"name": "Sheets Fake", "type": "google_sheets", "apiBaseUri": cls.sheets.url + "/v4"},
                             key=cls.key)
            assert r.status == 201, r
            cls.integration = r.json
            cls.conn = cls.connect_bearer(TOKEN)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            if getattr(cls, "sheets", None):
                cls.sheets.close()
        finally:
            super().tearDownClass()

    @classmethod
    def connect_bearer(cls, token, **extra):
        body = {"integration_id": cls.integration["id"], "project_id": cls.project, "auth_type": "bearer",
                "credentials": {"token": token}}
        body.update(extra)
        r = cls.env.call("POST", "/api/v2/connections", body, key=cls.key)
        assert r.status == 201, r
        return r.json["id"]

    def setUp(self):
        self.sheets.reset()
        self.sheets.seed(SEED_ID, {"Sheet1": PEOPLE, "Tasks": TASKS}, title="Seed 004")

    def run_action(self, action, parameters, conn=None):
        return self.execute(conn or self.conn, action, parameters)

    def assertOk(self, r, action_name):
        self.assertEqual(r.status, 200, r)
        self.assertEqual(set(r.json), {"success", "data", "metadata"}, r)
        self.assertIs(r.json["success"], True, r)
        self.assertEqual(r.json["metadata"]["action"], action_name)
        self.assertEqual(r.json["metadata"]["integration"], "Google Sheets")
        return r.json["data"]

    def api_requests(self, suffix=""):
        return [q for q in self.sheets.requests() if urllib.parse.urlsplit(q["path"]).path.endswith(suffix)]

    # --- append-row --------------------------------------------------------------------------

    def test_append_row_seed_example(self):
        self.sheets.seed("1234567890", {"Sheet1": [["First", "Last", "Email"]]})
        r = self.run_action("append-row", {"spreadsheetId": "1234567890", "values": [["John", "Doe", "john@example.com"]]})
        data = self.assertOk(r, "Append Row")
        self.assertEqual(data, {"spreadsheetId": "1234567890", "tableRange": "Sheet1!A1:C1",
                                "updatedRange": "Sheet1!A2:C2", "updatedRows": 1, "updatedColumns": 3,
                                "updatedCells": 3})
        self.assertEqual(self.sheets.sheet("1234567890"),
                         [["First", "Last", "Email"], ["John", "Doe", "john@example.com"]])
        (sent,) = self.sheets.requests()
        self.assertEqual(sent["method"], "POST")
        self.assertEqual(sent["path"], "/v4/spreadsheets/1234567890/values/Sheet1:append"
                                       "?valueInputOption=USER_ENTERED&insertDataOption=INSERT_ROWS")
        self.assertEqual(sent["headers"]["Authorization"], "Bearer " + TOKEN)

    def test_append_flat_row_to_a_quoted_sheet_raw(self):
        self.sheets.seed("s2", {"Sheet1": [], "O'Brien Q1": [["A", "B", "C"], ["1", "2", "3"]]})
        r = self.run_action("append-row", {"spreadsheetId": "s2", "sheetName": "O'Brien Q1",
                                           "values": ["x", 2, True], "valueInputOption": "RAW"})
        data = self.assertOk(r, "Append Row")
        self.assertEqual((data["updatedRange"], data["updatedRows"], data["updatedCells"]),
                         ("'O''Brien Q1'!A3:C3", 1, 3))
        self.assertEqual(self.sheets.sheet("s2", "O'Brien Q1")[-1], ["x", "2", "TRUE"])
        path = self.sheets.requests()[0]["path"]
        self.assertTrue(path.startswith("/v4/spreadsheets/s2/values/%27O%27%27Brien%20Q1%27:append?valueInputOption=RAW"),
                        path)

    def test_append_many_rows(self):
        r = self.run_action("append-row", {"spreadsheetId": SEED_ID, "values": [["A", "Active"], ["B", "Active", 40]]})
        data = self.assertOk(r, "Append Row")
        self.assertEqual((data["updatedRange"], data["updatedRows"], data["updatedCells"]), ("Sheet1!A6:C7", 2, 5))
        self.assertEqual(self.sheets.sheet(SEED_ID)[-2:], [["A", "Active"], ["B", "Active", "40"]])

    # --- search-rows-advanced ----------------------------------------------------------------

    def seed_search(self, conn=None, **changes):
        params = {"spreadsheetId": SEED_ID, "sheetName": "Sheet1",
                  "filters": [{"columnName": "Status", "searchValue": "Active"},
                              {"columnName": "Age", "searchValue": "25"}],
                  "filterLogic": "AND", "returnAll": True}
        params.update(changes)
        return self.run_action("search-rows-advanced", params, conn=conn)

    def test_search_seed_example(self):
        data = self.assertOk(self.seed_search(), "Search Rows (Advanced)")
        self.assertEqual(data, {"rows": [{"Name": "John Doe", "Status": "Active", "Age": "25",
                                          "Email": "john@example.com"}], "count": 1})
        self.assertEqual(list(data), ["rows", "count"])
        (sent,) = self.sheets.requests()
        self.assertEqual((sent["method"], urllib.parse.urlsplit(sent["path"]).path),
                         ("GET", f"/v4/spreadsheets/{SEED_ID}/values/Sheet1"))
        self.assertIn("valueRenderOption=FORMATTED_VALUE", sent["path"])

    def test_search_or_and_return_all(self):
        either = [{"columnName": "Status", "searchValue": "Inactive"}, {"columnName": "Age", "searchValue": "31"}]
        data = self.assertOk(self.seed_search(filters=either, filterLogic="OR"), "Search Rows (Advanced)")
        self.assertEqual([row["Name"] for row in data["rows"]], ["Jane Roe", "Bob Poe"])
        self.assertEqual(data["count"], 2)
        both = self.assertOk(self.seed_search(filters=either, filterLogic="AND"), "Search Rows (Advanced)")
        self.assertEqual(both, {"rows": [], "count": 0})
        active = [{"columnName": "Status", "searchValue": "Active"}]
        first = self.assertOk(self.seed_search(filters=active, returnAll=False), "Search Rows (Advanced)")
        self.assertEqual((first["count"], first["rows"][0]["Name"]), (1, "John Doe"))
        default = self.run_action("search-rows-advanced", {"spreadsheetId": SEED_ID, "filters": active})
        self.assertEqual(self.assertOk(default, "Search Rows (Advanced)")["count"], 1)  # AND, first match only
        every = self.assertOk(self.seed_search(filters=active), "Search Rows (Advanced)")
        self.assertEqual([row["Name"] for row in every["rows"]], ["John Doe", "Jane Roe", "Ann Loe"])
        # Blank trailing cells come back as "", every header column present.
        self.assertEqual(every["rows"][2], {"Name": "Ann Loe", "Status": "Active", "Age": "", "Email": ""})

    def test_search_matching_is_exact_text(self):
        number = self.assertOk(self.seed_search(filters=[{"columnName": "Age", "searchValue": 25}]),
                               "Search Rows (Advanced)")
        self.assertEqual(number["count"], 2)  # 25 matches the cell showing "25"
        lower = self.assertOk(self.seed_search(filters=[{"columnName": "Status", "searchValue": "active"}]),
                              "Search Rows (Advanced)")
        self.assertEqual(lower["count"], 0)  # case-sensitive
        blank = self.assertOk(self.seed_search(filters=[{"columnName": "Email", "searchValue": ""}]),
                              "Search Rows (Advanced)")
        self.assertEqual([row["Name"] for row in blank["rows"]], ["Ann Loe"])

    def test_search_another_sheet_and_empty_sheet(self):
        data = self.assertOk(self.seed_search(sheetName="Tasks", filters=[{"columnName": "ID", "searchValue": "100"}]),
                             "Search Rows (Advanced)")
        self.assertEqual([row["Title"] for row in data["rows"]], ["Ship plugin", "Duplicate id"])
        self.sheets.seed("empty", {"Sheet1": []})
        r = self.run_action("search-rows-advanced", {"spreadsheetId": "empty",
                                                     "filters": [{"columnName": "Status", "searchValue": "x"}]})
        err = self.assertExecuteError(r, 500, "EXECUTION_FAILED")
        self.assertEqual((err["details"]["error_code"], err["details"]["available_columns"]), ("COLUMN_NOT_FOUND", []))

    def test_search_unknown_column(self):
        r = self.seed_search(filters=[{"columnName": "Stat", "searchValue": "Active"}])
        err = self.assertExecuteError(r, 500, "EXECUTION_FAILED")
        d = err["details"]
        self.assertEqual((d["error_code"], d["column"], d["sheetName"]), ("COLUMN_NOT_FOUND", "Stat", "Sheet1"))
        self.assertEqual(d["available_columns"], ["Name", "Status", "Age", "Email"])
        self.assertIn("Stat", err["message"])

    def test_unknown_sheet_is_googles_bad_range(self):
        err = self.assertExecuteError(self.seed_search(sheetName="Nope"), 500, "EXECUTION_FAILED")
        d = err["details"]
        self.assertEqual((d["error_code"], d["provider_error"], d["status"]), ("PROVIDER_ERROR", "INVALID_ARGUMENT", 400))
        self.assertEqual(d["message"], "Unable to parse range: Nope")
        self.assertIs(d["retryable"], False)

    # --- update-row-advanced -----------------------------------------------------------------

    def seed_update(self, **changes):
        params = {"spreadsheetId": SEED_ID, "sheetName": "Tasks",
                  "filters": [{"columnName": "ID", "searchValue": "100"}],
                  "updates": [{"columnName": "Status", "newValue": "Completed"},
                              {"columnName": "UpdatedAt", "newValue": "2025-10-13"}]}
        params.update(changes)
        return self.run_action("update-row-advanced", params)

    def test_update_seed_example(self):
        # Seed 004's parameters to the letter, on its Sheet1.
        self.sheets.seed(SEED_ID, {"Sheet1": TASKS})
        r = self.run_action("update-row-advanced", {
            "spreadsheetId": SEED_ID, "sheetName": "Sheet1",
            "filters": [{"columnName": "ID", "searchValue": "100"}],
            "updates": [{"columnName": "Status", "newValue": "Completed"},
                        {"columnName": "UpdatedAt", "newValue": "2025-10-13"}]})
        data = self.assertOk(r, "Update Row (Advanced)")
        self.assertEqual(data, {"updatedRows": 1, "updatedCells": 2, "rowNumbers": [3],
                                "rows": [{"ID": "100", "Title": "Ship plugin", "Status": "Completed",
                                          "UpdatedAt": "2025-10-13"}]})
        sheet = self.sheets.sheet(SEED_ID)
        self.assertEqual(sheet[2], ["100", "Ship plugin", "Completed", "2025-10-13"])
        self.assertEqual(sheet[4], ["100", "Duplicate id", "Open"])  # only the first match
        get, batch = self.sheets.requests()
        self.assertEqual(get["method"], "GET")
        self.assertEqual((batch["method"], batch["path"]), ("POST", f"/v4/spreadsheets/{SEED_ID}/values:batchUpdate"))
        sent = json.loads(batch["body"])
        self.assertEqual(sent["valueInputOption"], "USER_ENTERED")
        self.assertEqual([(d["range"], d["values"]) for d in sent["data"]],
                         [("Sheet1!C3", [["Completed"]]), ("Sheet1!D3", [["2025-10-13"]])])

    def test_update_all_with_or(self):
        either = [{"columnName": "ID", "searchValue": "101"}, {"columnName": "Title", "searchValue": "Write seeds"}]
        data = self.assertOk(self.seed_update(filters=either, filterLogic="OR", updateAll=True,
                                              updates=[{"columnName": "Status", "newValue": "Done"}]),
                             "Update Row (Advanced)")
        self.assertEqual((data["updatedRows"], data["updatedCells"], data["rowNumbers"]), (2, 2, [2, 4]))
        self.assertEqual([row["Status"] for row in data["rows"]], ["Done", "Done"])
        tasks = self.sheets.sheet(SEED_ID, "Tasks")
        self.assertEqual([row[2] for row in tasks[1:]], ["Done", "Open", "Done", "Open"])
        every = self.assertOk(self.seed_update(updateAll=True, updates=[{"columnName": "Title", "newValue": 7}]),
                              "Update Row (Advanced)")
        self.assertEqual((every["rowNumbers"], [r["Title"] for r in every["rows"]]), ([3, 5], ["7", "7"]))

    def test_update_no_match_is_not_an_error(self):
        data = self.assertOk(self.seed_update(filters=[{"columnName": "ID", "searchValue": "404"}]),
                             "Update Row (Advanced)")
        self.assertEqual(data, {"updatedRows": 0, "updatedCells": 0, "rowNumbers": [], "rows": []})
        self.assertEqual([q["method"] for q in self.sheets.requests()], ["GET"])  # nothing written

    def test_update_unknown_column_writes_nothing(self):
        r = self.seed_update(updates=[{"columnName": "Status", "newValue": "x"}, {"columnName": "Owner", "newValue": "y"}])
        err = self.assertExecuteError(r, 500, "EXECUTION_FAILED")
        self.assertEqual((err["details"]["error_code"], err["details"]["column"]), ("COLUMN_NOT_FOUND", "Owner"))
        self.assertEqual([q["method"] for q in self.sheets.requests()], ["GET"])
        self.assertEqual(self.sheets.sheet(SEED_ID, "Tasks"), [row[:3] if row[3] == "" else row for row in TASKS])

    def test_update_a_cell_beyond_the_row_and_a_sheet_needing_quotes(self):
        self.sheets.seed("q", {"Q1 2025": [["Key", "A", "B", "C"], ["k1"]]})
        data = self.assertOk(self.run_action("update-row-advanced", {
            "spreadsheetId": "q", "sheetName": "Q1 2025", "filters": [{"columnName": "Key", "searchValue": "k1"}],
            "updates": [{"columnName": "C", "newValue": True}]}), "Update Row (Advanced)")
        self.assertEqual(data["rows"], [{"Key": "k1", "A": "", "B": "", "C": "TRUE"}])
        self.assertEqual(self.sheets.sheet("q", "Q1 2025")[1], ["k1", "", "", "TRUE"])

    # --- Google's errors ---------------------------------------------------------------------

    def test_unknown_spreadsheet_is_not_found(self):
        r = self.run_action("append-row", {"spreadsheetId": "missing", "values": [["x"]]})
        err = self.assertExecuteError(r, 500, "EXECUTION_FAILED")
        d = err["details"]
        self.assertEqual((d["error_code"], d["provider_error"], d["status"], d["provider"]),
                         ("PROVIDER_ERROR", "NOT_FOUND", 404, "google_sheets"))
        self.assertEqual(d["message"], "Requested entity was not found.")
        self.assertIs(d["retryable"], False)
        self.assertEqual(err["message"], "Google Sheets API error: NOT_FOUND: Requested entity was not found.")

    def test_permission_denied(self):
        self.sheets.seed("private", {"Sheet1": [["A"]]}, forbidden=True)
        err = self.assertExecuteError(self.seed_search(spreadsheetId="private"), 500, "EXECUTION_FAILED")
        self.assertEqual((err["details"]["provider_error"], err["details"]["status"]), ("PERMISSION_DENIED", 403))

    def test_wrong_token_is_unauthenticated(self):
        bad = self.connect_bearer("ya29.wrong")
        r = self.run_action("search-rows-advanced",
                            {"spreadsheetId": SEED_ID, "filters": [{"columnName": "Name", "searchValue": "x"}]}, conn=bad)
        err = self.assertExecuteError(r, 500, "EXECUTION_FAILED")
        d = err["details"]
        self.assertEqual((d["provider_error"], d["status"], d["reason"]), ("UNAUTHENTICATED", 401, "ACCESS_TOKEN_TYPE_UNSUPPORTED"))
        self.assertIs(d["retryable"], False)

    def test_429_is_retried_after_retry_after(self):
        self.sheets.fail(1, 429, retry_after=1)
        started = time.monotonic()
        data = self.assertOk(self.seed_search(), "Search Rows (Advanced)")
        self.assertGreaterEqual(time.monotonic() - started, 0.9, "the host did not wait Retry-After")
        self.assertEqual(data["count"], 1)
        self.assertEqual([q["status"] for q in self.sheets.requests()], [429, 200])

    def test_429_on_a_write_is_retried_too(self):
        self.sheets.fail(1, 429, retry_after=1)
        self.assertOk(self.run_action("append-row", {"spreadsheetId": SEED_ID, "values": [["Z"]]}), "Append Row")
        self.assertEqual([q["status"] for q in self.sheets.requests()], [429, 200])
        self.assertEqual(self.sheets.sheet(SEED_ID)[-1], ["Z"])  # appended once

    def test_503_repeated_fails_retryable(self):
        self.sheets.fail(10, 503, retry_after=0)
        err = self.assertExecuteError(self.seed_search(), 500, "EXECUTION_FAILED")
        d = err["details"]
        self.assertEqual((d["provider_error"], d["status"], d["retry_after"]), ("UNAVAILABLE", 503, 0))
        self.assertIs(d["retryable"], True)
        self.assertEqual(len(self.sheets.requests()), 3)  # google_sheets.yaml: max_attempts 3

    def test_persisting_429_fails_retryable_with_reason(self):
        self.sheets.fail(10, 429, retry_after=0)
        err = self.assertExecuteError(self.seed_search(), 500, "EXECUTION_FAILED")
        d = err["details"]
        self.assertEqual((d["provider_error"], d["reason"], d["status"]), ("RESOURCE_EXHAUSTED", "RATE_LIMIT_EXCEEDED", 429))
        self.assertIs(d["retryable"], True)

    def test_oauth2_expired_token_is_refreshed_once_and_retried(self):
        r = self.call("POST", "/api/v2/integrations", {
            "name": "Sheets OAuth Fake", "type": "google_sheets", "authType": "oauth2", "clientId": "cid",
            "clientSecret": "client-secret-4711", "tokenUri": self.sheets.url + "/token",
            "apiBaseUri": self.sheets.url + "/v4", "scope": "https://www.googleapis.com/auth/spreadsheets"})
        self.assertEqual(r.status, 201, r)
        self.sheets.control("POST", "/_fake/tokens", {"expired": ["ya29.expired"], "refresh": ["1//refresh-ok"]})
        c = self.call("POST", "/api/v2/connections", {
            "integration_id": r.json["id"], "project_id": self.project, "auth_type": "oauth2",
            "credentials": {"access_token": "ya29.expired", "refresh_token": "1//refresh-ok"}})
        self.assertEqual(c.status, 201, c)
        data = self.assertOk(self.seed_search(conn=c.json["id"]), "Search Rows (Advanced)")
        self.assertEqual(data["count"], 1)
        seen = [(q["path"].split("?")[0], q["status"], q["headers"].get("Authorization")) for q in self.sheets.requests()]
        values = f"/v4/spreadsheets/{SEED_ID}/values/Sheet1"
        self.assertEqual(seen, [(values, 401, "Bearer ya29.expired"), ("/token", 200, seen[1][2]),
                                (values, 200, "Bearer ya29.refreshed-1")])
        # The refreshed token is stored: the next call uses it without refreshing again.
        self.assertOk(self.seed_search(conn=c.json["id"]), "Search Rows (Advanced)")
        self.assertEqual(self.sheets.requests()[-1]["headers"]["Authorization"], "Bearer ya29.refreshed-1")
        self.assertEqual(len([q for q in self.sheets.requests() if q["path"] == "/token"]), 1)

    # --- parameters --------------------------------------------------------------------------

    def test_missing_required_parameters(self):
        cases = [
            ("append-row", {"values": [["x"]]}, "spreadsheetId"),
            ("append-row", {"spreadsheetId": SEED_ID}, "values"),
            ("search-rows-advanced", {"spreadsheetId": SEED_ID}, "filters"),
            ("search-rows-advanced", {"spreadsheetId": SEED_ID, "filters": [{"columnName": "Name"}]}, "searchValue"),
            ("update-row-advanced", {"spreadsheetId": SEED_ID, "filters": [{"columnName": "ID", "searchValue": "1"}]},
             "updates"),
        ]
        for action, params, field in cases:
            with self.subTest(action=action, field=field):
                err = self.assertExecuteError(self.run_action(action, params), 400, "MISSING_REQUIRED_FIELDS")
                self.assertIn(field, err["details"]["field"])
        self.assertEqual(self.sheets.requests(), [])  # refused before the plugin ran

    def test_invalid_parameters(self):
        for params in ({"filterLogic": "XOR"}, {"filters": []}, {"returnAll": "yes"}):
            with self.subTest(params=params):
                self.assertExecuteError(self.seed_search(**params), 400, "INVALID_REQUEST")
        self.assertExecuteError(self.run_action("append-row", {"spreadsheetId": SEED_ID, "values": [[["nested"]]]}),
                                400, "INVALID_REQUEST")
        mixed = self.run_action("append-row", {"spreadsheetId": SEED_ID, "values": [["a"], "b"]})
        err = self.assertExecuteError(mixed, 500, "EXECUTION_FAILED")
        self.assertEqual(err["details"]["error_code"], "INVALID_PARAMETERS")
        self.assertEqual(self.sheets.requests(), [])

    # --- catalog and connection test ---------------------------------------------------------

    def test_connection_test_reads_the_configured_spreadsheet(self):
        conn = self.connect_bearer(TOKEN, configuration={"spreadsheetId": SEED_ID})
        t = self.call("POST", f"/api/v2/connections/{conn}/test")
        self.assertEqual((t.status, t.json["status"]), (200, "success"), t)
        self.assertEqual(t.json["details"]["spreadsheet"],
                         {"spreadsheetId": SEED_ID, "title": "Seed 004", "sheets": ["Sheet1", "Tasks"]})
        untestable = self.call("POST", f"/api/v2/connections/{self.conn}/test").json
        self.assertEqual(untestable["status"], "failed", untestable)
        self.assertEqual(untestable["details"]["error"]["details"]["error_code"], "NOT_SUPPORTED", untestable)
        self.assertIn("spreadsheetId", untestable["message"])


if __name__ == "__main__":
    unittest.main()
