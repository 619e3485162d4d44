#!/usr/bin/python3
"""The SMTP plugin end to end: POST /api/v2/execute and the connection test against a real SMTP
server on 127.0.0.1 (tests/fakes/smtp_server.py, Debian's python3-aiosmtpd) with STARTTLS or
implicit TLS and AUTH, reading back what the server received: envelope, headers, both bodies and
the attachment bytes. The account password must never appear in a response or the server log."""

import base64
import email
import email.policy
import glob
import json
import os
import random
import shutil
import subprocess
import tempfile
import unittest

import harness
from harness import PlugboardTestCase

FAKE_SMTP = os.path.join(harness.SOURCE_DIR, "tests", "fakes", "smtp_server.py")
USER = "ada@company.com"
PASSWORD = "smtp-secret-pw-4711"
FROM_EMAIL = "noreply@company.com"
FROM_NAME = "Company Notifications"


class FakeSmtp:
    """One smtp_server.py process and its spool directory."""

    def __init__(self, base, name, cert, key, mode="starttls", auth=True, login_only=False):
        self.spool = os.path.join(base, name)
        os.mkdir(self.spool)
        self.log = open(os.path.join(base, name + ".log"), "w")
        args = [harness.PYTHON, FAKE_SMTP, "--spool", self.spool, "--cert", cert, "--key", key, "--mode", mode]
        if auth:
            args += ["--user", USER, "--password", PASSWORD]
        if login_only:
            args.append("--login-only")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = harness._LineReader(self.proc.stdout).wait_for("READY ", harness.STARTUP_TIMEOUT)
        self.port = int(line.split()[1])

    def received(self):
        """Every message received so far, oldest first."""
        files = sorted(glob.glob(os.path.join(self.spool, "*.json")),
                       key=lambda p: int(os.path.basename(p).split(".")[0]))
        out = []
        for path in files:
            with open(path) as f:
                rec = json.load(f)
            rec["raw"] = base64.b64decode(rec["content_b64"])
            rec["message"] = email.message_from_bytes(rec["raw"], policy=email.policy.default)
            out.append(rec)
        return out

    def close(self):
        harness._stop(self.proc)
        self.log.close()


def lf(text):
    return text.replace("\r\n", "\n")


class SmtpTest(PlugboardTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.responses = []
        cls.fakes = []
        cls.tmp = tempfile.mkdtemp(prefix="pb-smtp-")
        try:
            cls.cert = os.path.join(cls.tmp, "cert.pem")
            cls.keyfile = os.path.join(cls.tmp, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", cls.keyfile,
                            "-out", cls.cert, "-days", "2", "-subj", "/CN=localhost",
                            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                           check=True, capture_output=True, timeout=60)

            def fake(name, **kw):
                f = FakeSmtp(cls.tmp, name, cls.cert, cls.keyfile, **kw)
                cls.fakes.append(f)
                return f

            # A certificate for another name, signed by nobody the plugin is told to trust but itself.
            cls.other_cert = os.path.join(cls.tmp, "other-cert.pem")
            cls.other_key = os.path.join(cls.tmp, "other-key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", cls.other_key,
                            "-out", cls.other_cert, "-days", "2", "-subj", "/CN=other.test",
                            "-addext", "subjectAltName=DNS:other.test"],
                           check=True, capture_output=True, timeout=60)

            cls.starttls = fake("starttls")
            cls.implicit = fake("implicit", mode="implicit")
            cls.login_only = fake("login_only", login_only=True)
            cls.plain = fake("plain", mode="plain", auth=False)
            cls.mismatch = FakeSmtp(cls.tmp, "mismatch", cls.other_cert, cls.other_key)
            cls.fakes.append(cls.mismatch)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        log = cls.env.log_text()
        for f in getattr(cls, "fakes", []):
            f.close()
        shutil.rmtree(getattr(cls, "tmp", ""), ignore_errors=True)
        super().tearDownClass()
        leaked = [r for r in cls.responses if PASSWORD in r or base64.b64encode(PASSWORD.encode()).decode() in r]
        assert not leaked, f"the SMTP password appeared in a response: {leaked[0][:300]}"
        assert PASSWORD not in log, "the SMTP password appeared in the server log"

    def call(self, *a, **kw):
        r = super().call(*a, **kw)
        self.responses.append(r.text)
        return r

    # --- helpers -----------------------------------------------------------------------------

    def connect(self, fake, configuration=None, **credentials):
        creds = {"smtp_host": "127.0.0.1", "smtp_port": str(fake.port), "smtp_username": USER,
                 "smtp_password": PASSWORD, "use_tls": "starttls", "from_email": FROM_EMAIL,
                 "from_name": FROM_NAME, "tls_ca_file": self.cert}
        creds.update(credentials)
        creds = {k: v for k, v in creds.items() if v is not None}
        body = {"integration_id": "smtp", "project_id": self.project, "auth_type": "custom", "credentials": creds}
        if configuration is not None:
            body["configuration"] = configuration
        r = self.call("POST", "/api/v2/connections", body)
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["credentials"]["smtp_password"], "[REDACTED]")
        return r.json["id"]

    def send(self, conn, **params):
        return self.execute(conn, "send-email", params)

    def sent_ok(self, r):
        self.assertEqual(r.status, 200, r)
        self.assertIs(r.json["success"], True, r)
        self.assertEqual(r.json["metadata"]["integration"], "Email (SMTP)")
        self.assertEqual(r.json["metadata"]["action"], "Send Email")
        return r.json["data"]

    def failed(self, r, error_code):
        err = self.assertExecuteError(r, 500, "EXECUTION_FAILED")
        self.assertEqual(err["details"].get("error_code"), error_code, r)
        return err

    def assertNothingSent(self, fake, before):
        self.assertEqual(len(fake.received()), before)

    # --- sending -----------------------------------------------------------------------------

    def test_starttls_auth_full_message(self):
        conn = self.connect(self.starttls)
        rnd = random.Random(7)
        pdf = b"%PDF-1.4\n" + bytes(rnd.getrandbits(8) for _ in range(70000)) + b"\n.\r\n.end\n"
        notes = "Zeile 1\r\n.leading dot\r\nümlaut ✓\n".encode()
        params = {
            "to": ["alice@example.com", "Bob Builder <bob@example.com>"],
            "cc": ["carol@example.com"],
            "bcc": ["dave@example.net"],
            "subject": "Task Assignment: {{field_456}} ✓",
            "body_text": "You have been assigned a new task: {{field_456}}\n.a line with a dot\nDue {{task.due}}",
            "body_html": "<p>You have been assigned a new task: <strong>{{field_456}}</strong></p>",
            "attachments": [
                {"filename": "task_details.pdf", "content": base64.b64encode(pdf).decode(),
                 "content_type": "application/pdf"},
                {"filename": "notizen-übersicht.txt", "content": base64.b64encode(notes).decode(),
                 "content_type": "text/plain"},
            ],
            "context": {"field_456": "Write <the> report", "task": {"due": 5}},
        }
        before = len(self.starttls.received())
        data = self.sent_ok(self.send(conn, **params))
        self.assertEqual(sorted(data["accepted"]),
                         ["alice@example.com", "bob@example.com", "carol@example.com", "dave@example.net"])
        self.assertNotIn("rejected", data)
        self.assertTrue(data["smtp_response"].startswith("250 "), data)

        got = self.starttls.received()
        self.assertEqual(len(got), before + 1)
        rec = got[-1]
        self.assertEqual(rec["mail_from"], FROM_EMAIL)
        self.assertEqual(sorted(rec["rcpt_tos"]), sorted(data["accepted"]))
        self.assertEqual(rec["auth_login"], USER)
        self.assertTrue(rec["tls"])

        raw, msg = rec["raw"], rec["message"]
        self.assertNotIn(b"dave@example.net", raw)  # bcc: envelope only
        self.assertIsNone(msg["Bcc"])
        self.assertEqual(str(msg["From"]), f"{FROM_NAME} <{FROM_EMAIL}>")
        self.assertEqual([a.addr_spec for a in msg["To"].addresses], ["alice@example.com", "bob@example.com"])
        self.assertEqual(msg["To"].addresses[1].display_name, "Bob Builder")
        self.assertEqual([a.addr_spec for a in msg["Cc"].addresses], ["carol@example.com"])
        self.assertEqual(str(msg["Subject"]), "Task Assignment: Write <the> report ✓")
        self.assertEqual(msg["Message-ID"], data["message_id"])
        self.assertTrue(msg["Date"])
        self.assertEqual(msg["MIME-Version"], "1.0")
        for line in raw.split(b"\r\n"):
            self.assertLessEqual(len(line), 998)

        self.assertEqual(msg.get_content_type(), "multipart/mixed")
        parts = list(msg.iter_parts())
        self.assertEqual(len(parts), 3)
        alt = parts[0]
        self.assertEqual(alt.get_content_type(), "multipart/alternative")
        text, html = list(alt.iter_parts())
        self.assertEqual(text.get_content_type(), "text/plain")
        self.assertEqual(lf(text.get_content()),
                         "You have been assigned a new task: Write <the> report\n.a line with a dot\nDue 5")
        self.assertEqual(html.get_content_type(), "text/html")
        self.assertEqual(lf(html.get_content()),
                         "<p>You have been assigned a new task: <strong>Write &lt;the&gt; report</strong></p>")

        a1, a2 = parts[1], parts[2]
        self.assertEqual(a1.get_content_type(), "application/pdf")
        self.assertEqual(a1.get_content_disposition(), "attachment")
        self.assertEqual(a1.get_filename(), "task_details.pdf")
        self.assertEqual(a1.get_payload(decode=True), pdf)
        self.assertEqual(a2.get_content_type(), "text/plain")
        self.assertEqual(a2.get_filename(), "notizen-übersicht.txt")
        self.assertEqual(a2.get_payload(decode=True), notes)

    def test_implicit_tls_text_only(self):
        conn = self.connect(self.implicit, use_tls="implicit")
        data = self.sent_ok(self.send(conn, to=["erin@example.com"], subject="Plain", body_text="Just text.\n"))
        self.assertEqual(data["accepted"], ["erin@example.com"])
        rec = self.implicit.received()[-1]
        self.assertEqual(rec["mode"], "implicit")
        self.assertEqual(rec["auth_login"], USER)
        msg = rec["message"]
        self.assertEqual(msg.get_content_type(), "text/plain")
        self.assertEqual(msg.get_content_charset(), "utf-8")
        self.assertEqual(lf(msg.get_content()), "Just text.\n")
        self.assertIsNone(msg["Cc"])

    def test_html_only(self):
        conn = self.connect(self.starttls)
        self.sent_ok(self.send(conn, to="frank@example.com", body_html="<b>bold</b>"))
        msg = self.starttls.received()[-1]["message"]
        self.assertEqual(msg.get_content_type(), "text/html")
        self.assertEqual(lf(msg.get_content()), "<b>bold</b>")

    def test_seed_configuration_shape(self):
        """Seed 000 sends smtp_port as a number and use_tls as a boolean, under configuration;
        the password stays in credentials."""
        config = {"smtp_host": "127.0.0.1", "smtp_port": self.starttls.port, "use_tls": True,
                  "from_email": "ops@company.com", "from_name": "Ops", "tls_ca_file": self.cert}
        conn = self.connect(self.starttls, configuration=config, smtp_host=None, smtp_port=None, use_tls=None,
                            from_email=None, from_name=None, tls_ca_file=None)
        self.sent_ok(self.send(conn, to=["gina@example.com"], subject="Seed", body_text="x"))
        rec = self.starttls.received()[-1]
        self.assertEqual(rec["mail_from"], "ops@company.com")
        self.assertEqual(str(rec["message"]["From"]), "Ops <ops@company.com>")
        self.assertTrue(rec["tls"])

    def test_password_in_configuration_is_refused(self):
        config = {"smtp_password": "not-here"}
        conn = self.connect(self.starttls, configuration=config, smtp_password=None, smtp_username=None)
        err = self.failed(self.send(conn, to=["x@example.com"], body_text="x"), "SMTP_NOT_CONFIGURED")
        self.assertEqual(err["details"]["field"], "smtp_password")

    def test_auth_login_only_server(self):
        conn = self.connect(self.login_only)
        self.sent_ok(self.send(conn, to=["hank@example.com"], subject="Login", body_text="via AUTH LOGIN"))
        self.assertEqual(self.login_only.received()[-1]["auth_login"], USER)
        r = self.call("POST", f"/api/v2/connections/{conn}/test")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "success", r)
        self.assertEqual(r.json["details"]["auth"], "LOGIN")

    def test_no_tls_no_auth(self):
        conn = self.connect(self.plain, use_tls="none", smtp_username=None, smtp_password=None)
        self.sent_ok(self.send(conn, to=["ivy@example.com"], body_text="clear"))
        self.assertFalse(self.plain.received()[-1]["tls"])

    def test_partial_and_total_recipient_rejection(self):
        conn = self.connect(self.starttls)
        data = self.sent_ok(self.send(conn, to=["jack@example.com", "reject-me@example.com"], body_text="x"))
        self.assertEqual(data["accepted"], ["jack@example.com"])
        self.assertEqual([(x["email"], x["smtp_code"]) for x in data["rejected"]], [("reject-me@example.com", 550)])
        self.assertEqual(self.starttls.received()[-1]["rcpt_tos"], ["jack@example.com"])

        before = len(self.starttls.received())
        err = self.failed(self.send(conn, to=["reject-a@example.com"], cc=["reject-b@example.com"], body_text="x"),
                          "SMTP_RECIPIENT_REJECTED")
        self.assertEqual(err["details"]["recipient"], "reject-a@example.com")
        self.assertEqual(err["details"]["smtp_code"], 550)
        self.assertIs(err["details"]["retryable"], False)
        self.assertNothingSent(self.starttls, before)

        err = self.failed(self.send(conn, to=["busy@example.com"], body_text="x"), "SMTP_RECIPIENT_REJECTED")
        self.assertEqual(err["details"]["smtp_code"], 450)
        self.assertIs(err["details"]["retryable"], True)

    # --- failures ----------------------------------------------------------------------------

    def test_wrong_password(self):
        conn = self.connect(self.starttls, smtp_password="wrong-password-000")
        before = len(self.starttls.received())
        err = self.failed(self.send(conn, to=["kim@example.com"], body_text="x"), "SMTP_AUTH_FAILED")
        self.assertEqual(err["details"]["smtp_code"], 535)
        self.assertIs(err["details"]["retryable"], False)
        self.assertNotIn("wrong-password-000", json.dumps(err))
        self.assertNothingSent(self.starttls, before)

    def test_template_field_missing(self):
        conn = self.connect(self.starttls)
        before = len(self.starttls.received())
        err = self.failed(self.send(conn, to=["lee@example.com"], subject="Task {{field_456}}", body_text="x",
                                    context={"other": 1}), "TEMPLATE_FIELD_MISSING")
        self.assertEqual(err["details"]["field"], "field_456")
        err = self.failed(self.send(conn, to=["lee@example.com"], body_html="<p>{{nope}}</p>"),
                          "TEMPLATE_FIELD_MISSING")
        self.assertNothingSent(self.starttls, before)

    def test_header_injection_refused(self):
        conn = self.connect(self.starttls)
        before = len(self.starttls.received())
        attempts = [
            ({"subject": "Hi\r\nBcc: victim@example.org"}, "subject"),
            ({"subject": "Task {{x}}", "context": {"x": "a\nBcc: victim@example.org"}}, "subject"),
            ({"to": ["mia@example.com\r\nBcc: victim@example.org"]}, "to[0]"),
            ({"cc": "Evil\n <victim@example.org>"}, "cc"),
            ({"attachments": [{"filename": "a.txt\r\nX-Injected: 1", "content": "YQ=="}]}, "attachments[0].filename"),
            ({"attachments": [{"filename": "a.txt", "content": "YQ==", "content_type": "text/plain\r\nX-Injected: 1"}]},
             "attachments[0].content_type"),
        ]
        for extra, field in attempts:
            params = {"to": ["mia@example.com"], "body_text": "x"}
            params.update(extra)
            err = self.failed(self.execute(conn, "send-email", params), "INVALID_PARAMETERS")
            self.assertEqual(err["details"]["parameter"], field, err)
        self.assertNothingSent(self.starttls, before)

    def test_invalid_parameters(self):
        conn = self.connect(self.starttls)
        before = len(self.starttls.received())
        err = self.failed(self.send(conn, to=["ned@example.com"], body_text="x",
                                    attachments=[{"filename": "a.bin", "content": "not base64!"}]),
                          "INVALID_PARAMETERS")
        self.assertEqual(err["details"]["parameter"], "attachments[0].content")
        err = self.failed(self.send(conn, body_text="nobody to send to"), "INVALID_PARAMETERS")
        err = self.failed(self.send(conn, to=["not-an-address"], body_text="x"), "INVALID_PARAMETERS")
        self.assertEqual(err["details"]["parameter"], "to[0]")
        self.assertNothingSent(self.starttls, before)

    def test_tls_verification(self):
        # The fake's certificate is self-signed: without its CA the handshake must fail...
        conn = self.connect(self.starttls, tls_ca_file=None)
        err = self.failed(self.send(conn, to=["olga@example.com"], body_text="x"), "SMTP_TLS_FAILED")
        self.assertIn("certificate", err["details"]["reason"])
        # A trusted certificate for another name fails too: the host name is checked.
        conn = self.connect(self.mismatch, tls_ca_file=self.other_cert)
        err = self.failed(self.send(conn, to=["olga@example.com"], body_text="x"), "SMTP_TLS_FAILED")
        self.assertEqual(self.mismatch.received(), [])
        # ...and tls_verify false (unsafe, documented as such) accepts it.
        conn = self.connect(self.starttls, tls_ca_file=None, tls_verify="false")
        self.sent_ok(self.send(conn, to=["olga@example.com"], body_text="x"))

    def test_starttls_not_offered(self):
        conn = self.connect(self.plain, smtp_username=None, smtp_password=None)
        self.failed(self.send(conn, to=["pat@example.com"], body_text="x"), "SMTP_TLS_UNAVAILABLE")

    def test_unreachable(self):
        # A port nothing listens on: bind one, note it, close it.
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        conn = self.connect(self.starttls, smtp_port=str(port))
        err = self.failed(self.send(conn, to=["quinn@example.com"], body_text="x"), "SMTP_UNREACHABLE")
        self.assertIs(err["details"]["retryable"], True)

    # --- connection test ---------------------------------------------------------------------

    def test_connection_test(self):
        conn = self.connect(self.starttls)
        r = self.call("POST", f"/api/v2/connections/{conn}/test")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "success", r)
        d = r.json["details"]
        self.assertEqual(d["user_info"], {"email": FROM_EMAIL, "name": FROM_NAME})
        self.assertEqual(d["server"], "fake-smtp.test")
        self.assertEqual(d["tls"], "starttls")
        self.assertEqual(d["auth"], "PLAIN")

        bad = self.connect(self.implicit, use_tls="implicit", smtp_password="wrong-password-111")
        r = self.call("POST", f"/api/v2/connections/{bad}/test")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "failed", r)
        self.assertEqual(r.json["details"]["error"]["details"]["error_code"], "SMTP_AUTH_FAILED", r)
        self.assertNotIn("wrong-password-111", r.text)


if __name__ == "__main__":
    unittest.main()
