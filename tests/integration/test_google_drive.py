#!/usr/bin/python3
"""The Google Drive plugin end to end: every action through POST /api/v2/execute with a bearer
connection on an integration whose apiBaseUri is tests/fakes/fake_google_drive.py, checked at the
fake (what it stored, with the content's sha256, and what it received)."""

import base64
import hashlib
import os
import subprocess
import unittest

from harness import PYTHON, SOURCE_DIR, STARTUP_TIMEOUT, PlugboardTestCase, _LineReader, _stop, request

FAKE_DRIVE = os.path.join(SOURCE_DIR, "tests", "fakes", "fake_google_drive.py")
TOKEN = "ya29.test-token"
BIG = 12 * 1000 * 1000  # resumable: over the 5 MB multipart limit, two 8 MiB chunks


class FakeDrive:
    def __init__(self, log_dir):
        self.log = open(os.path.join(log_dir, "fake_google_drive.log"), "w")
        self.proc = subprocess.Popen([PYTHON, FAKE_DRIVE, "--port", "0", "--token", TOKEN],
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = _LineReader(self.proc.stdout).wait_for("READY ", STARTUP_TIMEOUT)
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"

    def control(self, method, path, body=None):
        r = request(self.url, method, path, body=body)
        assert r.status == 200, r
        return r.json

    def requests(self):
        return self.control("GET", "/_fake/requests")["requests"]

    def files(self):
        return {f["id"]: f for f in self.control("GET", "/_fake/files")["files"]}

    def close(self):
        _stop(self.proc)
        self.log.close()


class GoogleDriveTest(PlugboardTestCase):
    # A 12 MB file is 16 MB of base64: above the default 10 MB request limit.
    server_env = {"PLUGBOARD_MAX_BODY_BYTES": str(40 * 1024 * 1024)}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.drive = FakeDrive(cls.env.dir)
            r = cls.env.call("POST", "/api/v2/integrations",
                             {"name": "Drive (fake)", "type": "google_drive", "apiBaseUri": cls.drive.url},
                             key=cls.key)
            assert r.status == 201, r
            cls.integration = r.json
            cls.conn = cls.connect(TOKEN)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "drive", None):
            cls.drive.close()
            cls.drive = None
        super().tearDownClass()

    @classmethod
    def connect(cls, token):
        body = {"integration_id": cls.integration["id"], "project_id": cls.project, "auth_type": "bearer",
                "credentials": {"token": token}}
        r = cls.env.call("POST", "/api/v2/connections", body, key=cls.key)
        assert r.status == 201, r
        return r.json

    def setUp(self):
        self.drive.control("POST", "/_fake/reset", {})

    def run_action(self, action, parameters, conn=None):
        return self.execute((conn or self.conn)["id"], action, parameters)

    def ok(self, r, action_name):
        self.assertEqual(r.status, 200, r)
        self.assertIs(r.json["success"], True, r)
        self.assertEqual(r.json["metadata"]["action"], action_name)
        self.assertEqual(r.json["metadata"]["integration"], "Google Drive")
        return r.json["data"]

    def failed(self, r, error_code):
        err = self.assertExecuteError(r, 500, "EXECUTION_FAILED")
        self.assertEqual(err["details"]["error_code"], error_code, r)
        return err

    def upload(self, content, **extra):
        params = {"fileName": "report.pdf", "fileContent": base64.b64encode(content).decode(),
                  "mimeType": "application/pdf"}
        params.update(extra)
        return self.run_action("upload-file", params)

    # --- upload-file ---------------------------------------------------------------------------

    def test_small_upload_is_multipart(self):
        content = b"%PDF-1.4 hello drive\n" + bytes(range(256)) * 4
        data = self.ok(self.upload(content, parentFolderId="fold_reports", description="Q1"), "Upload File")
        self.assertEqual(set(data), {"file_id", "file_name", "file_url", "mime_type", "size", "uploaded_at"})
        self.assertEqual((data["file_name"], data["mime_type"], data["size"]), ("report.pdf", "application/pdf",
                                                                               len(content)))
        self.assertEqual(data["file_url"], f"https://drive.google.com/file/d/{data['file_id']}/view?usp=drivesdk")
        self.assertRegex(data["uploaded_at"], r"^\d{4}-\d\d-\d\dT")
        stored = self.drive.files()[data["file_id"]]
        self.assertEqual(stored["sha256"], hashlib.sha256(content).hexdigest())
        self.assertEqual((stored["parents"], stored["description"]), (["fold_reports"], "Q1"))
        [req] = [r for r in self.drive.requests() if r["path"].startswith("/upload/")]
        self.assertIn("uploadType=multipart", req["path"])
        self.assertEqual(req["headers"]["Authorization"], "Bearer " + TOKEN)
        self.assertTrue(req["headers"]["Content-Type"].startswith("multipart/related; boundary="))

    def test_large_upload_is_resumable_in_chunks(self):
        content = os.urandom(BIG)
        data = self.ok(self.upload(content, mimeType="application/octet-stream", fileName="big.bin"),
                       "Upload File")
        self.assertEqual(data["size"], BIG)
        stored = self.drive.files()[data["file_id"]]
        self.assertEqual(stored["sha256"], hashlib.sha256(content).hexdigest())
        self.assertEqual(stored["name"], "big.bin")
        reqs = [r for r in self.drive.requests() if r["path"].startswith("/upload/")]
        self.assertEqual([r["method"] for r in reqs], ["POST", "PUT", "PUT"])
        self.assertIn("uploadType=resumable", reqs[0]["path"])
        self.assertEqual(reqs[0]["headers"]["X-Upload-Content-Length"], str(BIG))
        self.assertEqual(reqs[1]["headers"]["Content-Range"], f"bytes 0-{8 * 1024 * 1024 - 1}/{BIG}")
        self.assertEqual(reqs[2]["headers"]["Content-Range"], f"bytes {8 * 1024 * 1024}-{BIG - 1}/{BIG}")
        self.assertTrue(all(r["headers"]["Authorization"] == "Bearer " + TOKEN for r in reqs))

    def test_resumable_upload_resumes_from_the_acknowledged_range(self):
        self.drive.control("POST", "/_fake/short_ack", {"count": 1})
        content = os.urandom(6 * 1000 * 1000)
        data = self.ok(self.upload(content), "Upload File")
        self.assertEqual(self.drive.files()[data["file_id"]]["sha256"], hashlib.sha256(content).hexdigest())
        puts = [r for r in self.drive.requests() if r["method"] == "PUT"]
        self.assertEqual([p["status"] for p in puts], [308, 200])
        self.assertTrue(puts[1]["headers"]["Content-Range"].startswith("bytes 2883584-"), puts[1]["headers"])

    def test_bad_base64_is_refused_before_calling_drive(self):
        r = self.run_action("upload-file", {"fileName": "x.txt", "fileContent": "not base64!!"})
        err = self.failed(r, "INVALID_BASE64")
        self.assertEqual(err["details"]["parameter"], "fileContent")
        self.failed(self.run_action("upload-file", {"fileName": "x.txt", "fileContent": "abcde"}), "INVALID_BASE64")
        self.assertEqual(self.drive.requests(), [])

    def test_url_safe_and_unpadded_base64_are_accepted(self):
        content = b"\xfb\xff\xfe hello"
        text = base64.urlsafe_b64encode(content).decode().rstrip("=")
        data = self.ok(self.run_action("upload-file", {"fileName": "u.bin", "fileContent": text}), "Upload File")
        self.assertEqual(self.drive.files()[data["file_id"]]["sha256"], hashlib.sha256(content).hexdigest())
        self.assertEqual(data["mime_type"], "application/octet-stream")

    def test_upload_into_a_missing_folder_is_googles_404(self):
        err = self.failed(self.upload(b"x", parentFolderId="nope"), "PROVIDER_ERROR")
        d = err["details"]
        self.assertEqual((d["status"], d["provider_error"], d["retryable"]), (404, "NOT_FOUND", False))
        self.assertEqual(d["message"], "File not found: nope.")

    # --- share, list, folders, download --------------------------------------------------------

    def test_share_file(self):
        fid = self.ok(self.upload(b"share me"), "Upload File")["file_id"]
        data = self.ok(self.run_action("share-file", {"fileId": fid, "emailAddress": "user@example.com",
                                                      "role": "writer", "sendNotificationEmail": False}),
                       "Share File")
        self.assertEqual((data["role"], data["email"]), ("writer", "user@example.com"))
        perms = self.drive.files()[fid]["permissions"]
        self.assertEqual([p["id"] for p in perms], [data["permission_id"]])
        self.assertEqual(perms[0]["sendNotificationEmail"], "false")
        # owner needs transferOwnership, which the plugin adds
        self.ok(self.run_action("share-file", {"fileId": fid, "emailAddress": "boss@example.com", "role": "owner"}),
                "Share File")
        err = self.failed(self.run_action("share-file", {"fileId": "missing", "emailAddress": "u@example.com"}),
                          "PROVIDER_ERROR")
        self.assertEqual(err["details"]["provider_error"], "NOT_FOUND")
        bad = self.run_action("share-file", {"fileId": fid, "emailAddress": "u@example.com", "role": "boss"})
        self.assertEqual(bad.status, 400, bad)

    def test_list_files_with_paging_and_folder(self):
        seen, token, pages = [], None, 0
        while True:
            params = {"folderId": "fold_reports", "pageSize": 10}
            if token:
                params["pageToken"] = token
            data = self.ok(self.run_action("list-files", params), "List Files")
            seen += [f["name"] for f in data["files"]]
            pages += 1
            token = data["next_page_token"]
            if not token:
                break
        self.assertEqual(pages, 3)
        self.assertEqual(seen, [f"report-{n:02d}.txt" for n in range(25)])
        first = self.ok(self.run_action("list-files", {"query": "name contains 'report-1'"}), "List Files")
        self.assertEqual(len(first["files"]), 10)
        f = first["files"][0]
        self.assertEqual((f["mime_type"], f["size"]), ("text/plain", len("report 10\n")))
        self.assertTrue(f["web_view_link"].startswith("https://drive.google.com/file/d/"))
        q = self.drive.requests()[-1]["path"]
        self.assertIn("fields=nextPageToken,files(", q)
        err = self.failed(self.run_action("list-files", {"query": "name ~~ 'x'"}), "PROVIDER_ERROR")
        self.assertEqual(err["details"]["provider_error"], "INVALID_ARGUMENT")

    def test_create_folder(self):
        data = self.ok(self.run_action("create-folder", {"name": "Invoices", "parentFolderId": "fold_reports"}),
                       "Create Folder")
        self.assertEqual(data["name"], "Invoices")
        self.assertEqual(data["folder_url"], f"https://drive.google.com/drive/folders/{data['folder_id']}")
        stored = self.drive.files()[data["folder_id"]]
        self.assertEqual((stored["mimeType"], stored["parents"]), ("application/vnd.google-apps.folder",
                                                                   ["fold_reports"]))
        inner = self.ok(self.upload(b"in the folder", parentFolderId=data["folder_id"]), "Upload File")
        listed = self.ok(self.run_action("list-files", {"folderId": data["folder_id"]}), "List Files")
        self.assertEqual([f["id"] for f in listed["files"]], [inner["file_id"]])

    def test_download_round_trip(self):
        content = os.urandom(300 * 1000)
        fid = self.ok(self.upload(content, mimeType="image/png"), "Upload File")["file_id"]
        data = self.ok(self.run_action("download-file", {"fileId": fid}), "Download File")
        self.assertEqual(base64.b64decode(data["content"]), content)
        self.assertEqual((data["file_id"], data["mime_type"], data["size"]), (fid, "image/png", len(content)))
        self.assertIn("alt=media", self.drive.requests()[-1]["path"])
        self.failed(self.run_action("download-file", {"fileId": "doc_notes"}), "NOT_DOWNLOADABLE")
        err = self.failed(self.run_action("download-file", {"fileId": "gone"}), "PROVIDER_ERROR")
        self.assertEqual((err["details"]["status"], err["details"]["provider_error"]), (404, "NOT_FOUND"))

    # --- connection, auth and retries ----------------------------------------------------------

    def test_connection_test_reports_the_account(self):
        t = self.call("POST", f"/api/v2/connections/{self.conn['id']}/test")
        self.assertEqual((t.status, t.json["status"]), (200, "success"), t)
        info = t.json["details"]["user_info"]
        self.assertEqual((info["email"], info["name"]), ("ada@example.com", "Ada Lovelace"))
        self.assertIn("fields=user", self.drive.requests()[-1]["path"])

    def test_expired_and_wrong_tokens_get_googles_401(self):
        self.drive.control("POST", "/_fake/tokens", {"accept": ["ya29.old"], "expired": ["ya29.old"]})
        for token in ("ya29.old", "ya29.wrong"):
            conn = self.connect(token)
            err = self.failed(self.run_action("list-files", {}, conn=conn), "PROVIDER_ERROR")
            self.assertEqual((err["details"]["status"], err["details"]["provider_error"]), (401, "UNAUTHENTICATED"))
            self.assertFalse(err["details"]["retryable"])
            t = self.call("POST", f"/api/v2/connections/{conn['id']}/test").json
            self.assertEqual(t["status"], "failed", t)

    def test_429_then_success_is_retried_by_the_host(self):
        self.drive.control("POST", "/_fake/ratelimit", {"count": 1, "retry_after": 1})
        data = self.ok(self.run_action("list-files", {"pageSize": 5}), "List Files")
        self.assertEqual(len(data["files"]), 5)
        self.assertEqual([r["status"] for r in self.drive.requests()], [429, 200])

    def test_503_during_a_resumable_chunk_is_retried(self):
        self.drive.control("POST", "/_fake/fail", {"count": 1, "status": 503, "retry_after": 1,
                                                    "path": "upload_id="})
        content = os.urandom(6 * 1000 * 1000)
        data = self.ok(self.upload(content), "Upload File")
        self.assertEqual(self.drive.files()[data["file_id"]]["sha256"], hashlib.sha256(content).hexdigest())
        self.assertEqual([r["status"] for r in self.drive.requests()], [200, 503, 200])

    def test_persistent_429_is_a_retryable_provider_error(self):
        self.drive.control("POST", "/_fake/ratelimit", {"count": 5, "retry_after": 1})
        err = self.failed(self.run_action("create-folder", {"name": "x"}), "PROVIDER_ERROR")
        d = err["details"]
        self.assertEqual((d["status"], d["provider_error"], d["retryable"], d["retry_after"]),
                         (429, "RESOURCE_EXHAUSTED", True, 1))


if __name__ == "__main__":
    unittest.main()
