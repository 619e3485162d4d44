#!/usr/bin/python3
"""Google Drive's new-file polling trigger through the real server, against
tests/fakes/fake_google_drive.py's Changes API, with tests/integration/webhook_receiver.py
standing for the client's endpoint (an outbound webhook subscribed to google_drive.new_file).

Covers: the first poll takes a start page token (no backfill); files uploaded through the execute
endpoint or made at the fake become one event each; other folders, folders, trashed and removed
files, and edits or moves of older files are skipped; changes.list is paged through nextPageToken; the cursor survives a restart of
plugboard (no second start token, no repeated event); Google's 429 with Retry-After is waited
out; an expired OAuth token is refreshed; a failing poll shows on the subscription."""

import base64
import time
import unittest
import uuid
from urllib.parse import parse_qs, urlsplit

import test_google_drive as drive_test  # FakeDrive, the fake's process wrapper
from harness import PlugboardTestCase
from webhook_receiver import Receiver

TOKEN = drive_test.TOKEN
FOLDER = "fold_reports"  # seeded by the fake, holding 25 files


class GoogleDriveTriggerTest(PlugboardTestCase):
    server_env = {"PLUGBOARD_WEBHOOKS_EGRESS_ALLOW_LOOPBACK": "true", "PLUGBOARD_TRIGGERS_MIN_INTERVAL_SECONDS": "1"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rx = Receiver()
        try:
            cls.drive = drive_test.FakeDrive(cls.env.dir)
            r = cls.env.call("POST", "/api/v2/integrations",
                             {"name": "Drive (fake)", "type": "google_drive", "apiBaseUri": cls.drive.url}, key=cls.key)
            assert r.status == 201, r
            cls.integration = r.json
            cls.conn = cls.connect(cls.integration["id"], "bearer", {"token": TOKEN})
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "drive", None):
            cls.drive.close()
            cls.drive = None
        cls.rx.close()
        super().tearDownClass()

    @classmethod
    def connect(cls, integration, auth_type, credentials):
        r = cls.env.call("POST", "/api/v2/connections", {"integration_id": integration, "project_id": cls.project,
                                                         "auth_type": auth_type, "credentials": credentials},
                         key=cls.key)
        assert r.status == 201, r
        return r.json

    def setUp(self):
        self.drive.control("POST", "/_fake/reset", {})
        self.subscriptions = []
        self.path = "/rx/" + uuid.uuid4().hex[:10]
        r = self.call("POST", "/api/v2/webhooks", {"name": "drive " + self.path, "url": self.rx.url + self.path,
                                                   "events": ["google_drive.new_file"]})
        self.assertEqual(r.status, 201, r)
        self.rx.on(self.path, secret=r.json["secret"])
        self.webhook_id = r.json["id"]

    def tearDown(self):
        for t in self.subscriptions:
            self.call("DELETE", f"/api/v2/triggers/{t}")
        self.call("DELETE", f"/api/v2/webhooks/{self.webhook_id}")

    # --- helpers -------------------------------------------------------------------------------

    def subscribe(self, conn=None, **config):
        r = self.call("POST", "/api/v2/triggers", {"connection_id": (conn or self.conn)["id"], "trigger": "new-file",
                                                   "name": "New files", "config": config, "interval_seconds": 1})
        self.assertEqual(r.status, 201, r)
        self.subscriptions.append(r.json["id"])
        return r.json

    def trigger(self, t):
        r = self.call("GET", f"/api/v2/triggers/{t['id']}")
        self.assertEqual(r.status, 200, r)
        return r.json

    def wait_until(self, what, check, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            got = check()
            if got:
                return got
            if time.monotonic() > deadline:
                self.fail(f"timed out waiting for {what}")
            time.sleep(0.2)

    def api_requests(self, path):
        return [q for q in self.drive.requests() if urlsplit(q["path"]).path == path]

    def start_tokens(self):
        return self.api_requests("/drive/v3/changes/startPageToken")

    def watching(self, t):
        """Waits for the first poll: the start page token taken and stored."""
        self.wait_until("the first poll", lambda: self.start_tokens() and self.trigger(t)["last_run_at"])

    def events(self):
        return [g["json"] for g in self.rx.at(self.path)]

    def file_ids(self):
        return [e["data"]["id"] for e in self.events()]

    def settle(self, seconds=2.5):
        time.sleep(seconds)  # a few more polls, long enough for a wrong extra event to arrive

    def upload(self, name, parent=None):
        params = {"fileName": name, "fileContent": base64.b64encode(b"content of " + name.encode()).decode(),
                  "mimeType": "text/plain"}
        if parent:
            params["parentFolderId"] = parent
        r = self.execute(self.conn["id"], "upload-file", params)
        self.assertEqual(r.status, 200, r)
        return r.json["data"]["file_id"]

    def make(self, **spec):
        return self.drive.control("POST", "/_fake/files", spec)["files"]

    # --- tests ---------------------------------------------------------------------------------

    def test_new_files_in_the_folder_become_one_event_each(self):
        t = self.subscribe(folder_id=FOLDER)
        self.assertEqual((t["kind"], t["event"], t["interval_seconds"]), ("polling", "google_drive.new_file", 1))
        self.watching(t)
        wanted = self.upload("q3-report.txt", parent=FOLDER)
        self.upload("elsewhere.txt")                                            # another folder
        self.make(name="junk.txt", parents=[FOLDER], trashed=True)             # trashed at once
        self.execute(self.conn["id"], "create-folder", {"name": "Sub", "parentFolderId": FOLDER})  # a folder
        self.drive.control("POST", "/_fake/remove", {"id": self.drive_ids("report-03.txt")})  # removed
        self.drive.control("POST", "/_fake/trash", {"id": self.drive_ids("report-04.txt")})   # old file trashed
        self.drive.control("POST", "/_fake/update", {"id": self.drive_ids("report-05.txt"), "name": "renamed.txt"})  # edited
        self.drive.control("POST", "/_fake/update", {"id": "doc_notes", "parents": [FOLDER]})  # an old file moved in
        self.rx.wait_for(self.path, 1)
        self.settle()
        events = self.events()
        self.assertEqual([e["data"]["id"] for e in events], [wanted])  # and none of the 25 seeded files
        e = events[0]
        self.assertEqual((e["event"], e["subscription_id"], e["provider"]), ("google_drive.new_file", t["id"],
                                                                           "google_drive"))
        data = e["data"]
        self.assertEqual((data["name"], data["mimeType"], data["parents"]), ("q3-report.txt", "text/plain", [FOLDER]))
        self.assertEqual(data["webViewLink"], f"https://drive.google.com/file/d/{wanted}/view?usp=drivesdk")
        self.assertRegex(data["createdTime"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
        self.assertEqual(data["size"], str(len(b"content of q3-report.txt")))
        self.assertEqual(data["owners"][0]["emailAddress"], "ada@example.com")
        # As Google expects it: the page token, fields=, includeRemoved, the bearer token.
        lists = self.api_requests("/drive/v3/changes")
        self.assertTrue(lists)
        q = parse_qs(urlsplit(lists[-1]["path"]).query)
        self.assertTrue(q["pageToken"][0].isdigit(), q)
        self.assertIn("newStartPageToken", q["fields"][0])
        self.assertIn("changes(", q["fields"][0])
        self.assertEqual(q["includeRemoved"], ["true"])
        self.assertEqual(lists[-1]["headers"]["Authorization"], "Bearer " + TOKEN)
        self.assertEqual(len(self.start_tokens()), 1)
        self.assertEqual(self.trigger(t)["consecutive_failures"], 0)

    def drive_ids(self, name):
        [fid] = [f["id"] for f in self.drive.files().values() if f["name"] == name]
        return fid

    def test_whole_drive_with_folders(self):
        t = self.subscribe(include_folders=True)
        self.watching(t)
        folder = self.execute(self.conn["id"], "create-folder", {"name": "Invoices"}).json["data"]["folder_id"]
        inside = self.upload("inv-1.txt", parent=folder)
        at_root = self.upload("loose.txt")
        self.rx.wait_for(self.path, 3)
        self.settle()
        self.assertEqual(sorted(self.file_ids()), sorted([folder, inside, at_root]))

    def test_changes_are_paged_through_next_page_token(self):
        t = self.subscribe(folder_id=FOLDER)
        self.watching(t)
        made = [f["id"] for f in self.make(name="bulk", parents=[FOLDER], count=230)]
        self.rx.wait_for(self.path, 230, timeout=60)
        self.settle()
        self.assertEqual(sorted(self.file_ids()), sorted(made))  # each once
        tokens = {int(parse_qs(urlsplit(q["path"]).query)["pageToken"][0])
                  for q in self.api_requests("/drive/v3/changes")}
        # 230 changes at 100 a page: the poll that found them read three pages, following nextPageToken.
        self.assertTrue(any({x + 100, x + 200} <= tokens for x in tokens), sorted(tokens))

    def test_cursor_survives_a_restart(self):
        t = self.subscribe(folder_id=FOLDER)
        self.watching(t)
        first = self.upload("before-restart.txt", parent=FOLDER)
        self.rx.wait_for(self.path, 1)
        self.env.restart(extra_env=self.server_env)
        made_while_down = self.make(name="while-down.txt", parents=[FOLDER])[0]["id"]
        self.rx.wait_for(self.path, 2)
        self.settle()
        self.assertEqual(self.file_ids(), [first, made_while_down])
        self.assertEqual(len(self.start_tokens()), 1)  # the stored cursor was used, not a fresh start

    def test_rate_limit_is_waited_out(self):
        t = self.subscribe(folder_id=FOLDER)
        self.watching(t)
        self.drive.control("POST", "/_fake/ratelimit", {"count": 1, "retry_after": 1, "path": "/drive/v3/changes"})
        fid = self.make(name="after-429.txt", parents=[FOLDER])[0]["id"]
        self.rx.wait_for(self.path, 1)
        statuses = [q["status"] for q in self.api_requests("/drive/v3/changes")]
        self.assertIn(429, statuses)
        self.assertEqual(statuses[statuses.index(429) + 1], 200)  # the host's retry after Retry-After
        self.assertEqual(self.file_ids(), [fid])
        self.assertEqual(self.trigger(t)["consecutive_failures"], 0)

    def test_expired_oauth_token_is_refreshed(self):
        r = self.call("POST", "/api/v2/integrations", {
            "name": "Drive OAuth (fake)", "type": "google_drive", "authType": "oauth2", "clientId": "cid",
            "clientSecret": "client-secret-4711", "tokenUri": self.drive.url + "/token",
            "apiBaseUri": self.drive.url, "scope": "https://www.googleapis.com/auth/drive.file"})
        self.assertEqual(r.status, 201, r)
        self.drive.control("POST", "/_fake/tokens", {"expired": ["ya29.expired"], "refresh": ["1//refresh-drive"]})
        conn = self.connect(r.json["id"], "oauth2", {"access_token": "ya29.expired", "refresh_token": "1//refresh-drive"})
        t = self.subscribe(conn=conn, folder_id=FOLDER)
        self.watching(t)
        seen = [(urlsplit(q["path"]).path, q["status"], q["headers"].get("Authorization"))
                for q in self.drive.requests()]
        start = "/drive/v3/changes/startPageToken"
        self.assertEqual(seen[:3], [(start, 401, "Bearer ya29.expired"), ("/token", 200, seen[1][2]),
                                    (start, 200, "Bearer ya29.refreshed-1")])
        fid = self.make(name="fresh-token.txt", parents=[FOLDER])[0]["id"]
        self.rx.wait_for(self.path, 1)
        self.assertEqual(self.file_ids(), [fid])
        self.assertEqual(self.trigger(t)["consecutive_failures"], 0)

    def test_failing_polls_show_on_the_subscription(self):
        bad = self.connect(self.integration["id"], "bearer", {"token": "ya29.revoked-token"})
        t = self.subscribe(conn=bad, folder_id=FOLDER)
        got = self.wait_until("a failed poll", lambda: self.trigger(t)["consecutive_failures"] >= 1 and self.trigger(t))
        self.assertEqual(got["status"], "active")
        self.assertIn("UNAUTHENTICATED", got["status_reason"])
        self.assertIn("PROVIDER_ERROR", got["status_reason"])
        self.assertNotIn("ya29.revoked-token", self.env.log_text())
        # A server error persisting past the host's retries shows too, with Google's status.
        self.drive.control("POST", "/_fake/tokens", {"accept": ["ya29.revoked-token"]})
        self.drive.control("POST", "/_fake/fail", {"count": 50, "status": 500, "retry_after": 0,
                                                    "path": "/drive/v3/changes"})
        t2 = self.subscribe(folder_id=FOLDER)
        self.watching(t2)
        got = self.wait_until("a failed page", lambda: self.trigger(t2)["consecutive_failures"] >= 1 and self.trigger(t2))
        self.assertIn("INTERNAL", got["status_reason"])

    def test_config_is_validated(self):
        for config, field in (({"folder_id": 7}, "config.folder_id"), ({"folder_id": ""}, "config.folder_id"),
                              ({"include_folders": "yes"}, "config.include_folders"), ({"colour": "red"}, "config")):
            with self.subTest(config=config):
                r = self.call("POST", "/api/v2/triggers", {"connection_id": self.conn["id"], "trigger": "new-file",
                                                           "config": config})
                e = self.assertApiError(r, 400, "validation_error")
                self.assertTrue(e["field"].startswith(field), r)
        r = self.call("POST", "/api/v2/triggers", {"connection_id": self.conn["id"], "trigger": "new-file",
                                                   "interval_seconds": 0})
        self.assertApiError(r, 400, "validation_error", "interval_seconds")


if __name__ == "__main__":
    unittest.main()
