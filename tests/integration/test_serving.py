#!/usr/bin/python3
"""Serving: HTTPS with a certificate made at test time, slow clients cut off at the I/O timeout,
graceful shutdown on SIGTERM, plugins reloaded (really, with new code) while a request runs on
the old code, and JSON log lines that carry request ids and no secrets."""

import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
import unittest

from harness import (BIN, MASTER_KEY, SLACK_TOKEN, Env, PlugboardTestCase, new_connection, request)

TEST_PLUGINS = os.environ.get("PLUGBOARD_TEST_PLUGIN_DIR") or os.path.join(
    os.path.dirname(BIN), "..", "test-plugins")
SOURCE_DIR = os.environ.get("PLUGBOARD_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def write_config(env, text):
    path = os.path.join(env.dir, "plugboard.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


def make_certificate(folder):
    """A self-signed certificate for 127.0.0.1 from the openssl CLI; returns (cert, key)."""
    cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True, timeout=60)
    os.chmod(key, 0o600)
    return cert, key


def stall(port, data=b"", tls=False):
    """A client that connects, sends `data` (part of a request) and then says nothing."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    if data:
        s.sendall(data)
    return s


def closed_by_server(sock, within):
    """True when the server closes (or answers and closes) the connection within `within` s."""
    sock.settimeout(within)
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False
    finally:
        sock.close()


class TlsTest(PlugboardTestCase):
    """HTTPS through NetSSL, two worker threads and a 1 s I/O timeout."""

    start_server = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cert, cls.key_file = make_certificate(cls.env.dir)
        cls.env.ssl_context = ssl.create_default_context(cafile=cls.cert)
        config = write_config(cls.env, f"""
server:
  threads: 2
  io_timeout_s: 1
  keep_alive_timeout_s: 1
  tls:
    cert_file: {cls.cert}
    key_file: {cls.key_file}
""")
        cls.env.start(args=["--config", config])

    def test_serves_https_with_the_configured_certificate(self):
        self.assertTrue(self.env.url.startswith("https://127.0.0.1:"), self.env.url)
        self.assertEqual(self.call("GET", "/healthz").status, 200)
        r = self.call("GET", "/api/v2/catalog")
        self.assertEqual(r.status, 200, r)
        self.assertIn("slack", [p["id"] for p in r.json["providers"]])
        conn = new_connection(self.env, self.key, self.project)["id"]
        data = self.assertExecuteOk(self.execute(conn, "user-lookup", {"email": "alice@example.com"}),
                                    "Look Up User")
        self.assertTrue(data)
        # The client verified the chain and the name: the certificate served is ours.
        port = int(self.env.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            with self.env.ssl_context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                der = tls.getpeercert(binary_form=True)
                self.assertIn(tls.version(), ("TLSv1.2", "TLSv1.3"))
        with open(self.cert) as f:
            self.assertEqual(ssl.DER_cert_to_PEM_cert(der).strip(), f.read().strip())

    def test_plain_http_on_the_tls_port_gets_no_answer(self):
        port = int(self.env.url.rsplit(":", 1)[1])
        with self.assertRaises((OSError, ValueError)):
            r = request(f"http://127.0.0.1:{port}", "GET", "/healthz", timeout=5)
            if r.status == 200:
                raise AssertionError("plain HTTP was served on the TLS port")
            raise ValueError(r)
        self.assertEqual(self.call("GET", "/healthz").status, 200)

    def test_clients_stalled_before_the_handshake_do_not_hold_the_server(self):
        port = int(self.env.url.rsplit(":", 1)[1])
        # Both workers taken by clients that connect and never start TLS...
        stalled = [stall(port), stall(port), stall(port, b"\x16\x03\x01")]
        started = time.monotonic()
        # ...are cut off at the 1 s I/O timeout, and a real client is then served.
        self.assertEqual(self.call("GET", "/healthz").status, 200)
        self.assertLess(time.monotonic() - started, 6)
        self.assertTrue(all(closed_by_server(s, 5) for s in stalled))

    def served_certificate(self):
        """The DER certificate a new connection is served (no verification: it may have changed)."""
        port = int(self.env.url.rsplit(":", 1)[1])
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                return tls.getpeercert(binary_form=True)

    def server_log(self):
        with open(os.path.join(self.env.dir, "server.log")) as f:
            return f.read()

    def test_z_sighup_rereads_the_certificate_for_new_connections(self):
        with open(self.cert) as f:
            first = f.read().strip()
        self.assertEqual(ssl.DER_cert_to_PEM_cert(self.served_certificate()).strip(), first)
        # A broken replacement is refused: the old certificate keeps being served.
        shutil.copyfile(self.cert, self.cert + ".good")
        with open(self.cert, "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n")
        self.env.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while "TLS reload failed" not in self.server_log():
            self.assertLess(time.monotonic(), deadline, "no reload error logged")
            time.sleep(0.1)
        self.assertEqual(ssl.DER_cert_to_PEM_cert(self.served_certificate()).strip(), first)
        self.assertEqual(self.call("GET", "/healthz").status, 200)
        # A new certificate and key, swapped in: new connections get it after SIGHUP.
        fresh = os.path.join(self.env.dir, "fresh")
        os.makedirs(fresh)
        cert2, key2 = make_certificate(fresh)
        os.replace(key2, self.key_file)
        os.replace(cert2, self.cert)
        with open(self.cert) as f:
            second = f.read().strip()
        self.assertNotEqual(first, second)
        self.env.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while ssl.DER_cert_to_PEM_cert(self.served_certificate()).strip() != second:
            self.assertLess(time.monotonic(), deadline, "the new certificate was never served")
            time.sleep(0.1)
        self.assertIn("TLS certificate reloaded", self.server_log())
        self.assertNotIn("BEGIN PRIVATE KEY", self.server_log())
        # Clients that trust the new certificate are served as before.
        self.env.ssl_context = ssl.create_default_context(cafile=self.cert)
        self.assertEqual(self.call("GET", "/healthz").status, 200)

    def test_bad_certificate_stops_the_server_with_a_clear_message(self):
        bad = os.path.join(self.env.dir, "not-a-cert.pem")
        with open(bad, "w") as f:
            f.write("not a certificate\n")
        for cert, key, expect in [(bad, self.key_file, "not-a-cert.pem"),
                                  (os.path.join(self.env.dir, "missing.pem"), self.key_file, "missing.pem"),
                                  (self.cert, "", "needs both cert_file and key_file")]:
            env = self.env.base_env(extra={"PLUGBOARD_PORT": "0", "PLUGBOARD_TLS_CERT_FILE": cert,
                                           "PLUGBOARD_TLS_KEY_FILE": key})
            out = subprocess.run([BIN, "serve"], env=env, capture_output=True, text=True, timeout=30)
            self.assertEqual(out.returncode, 1, out)
            self.assertIn(expect, out.stderr)
            self.assertNotIn("BEGIN PRIVATE KEY", out.stderr)


class SlowClientTest(PlugboardTestCase):
    """Plain HTTP, two workers, 1 s I/O timeout: half-sent requests are cut off."""

    start_server = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        config = write_config(cls.env, "server:\n  threads: 2\n  io_timeout_s: 1\n  keep_alive_timeout_s: 1\n")
        cls.env.start(args=["--config", config])

    def test_half_sent_requests_free_their_workers_after_the_timeout(self):
        port = int(self.env.url.rsplit(":", 1)[1])
        stalled = [
            stall(port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half"),  # inside the headers
            stall(port, b"POST /api/v2/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        b"X-API-Key: " + self.key.encode() + b"\r\nContent-Length: 400\r\n\r\n{\"type\":"),  # inside the body
        ]
        time.sleep(0.2)  # both workers are now held
        started = time.monotonic()
        self.assertEqual(self.call("GET", "/healthz").status, 200)
        waited = time.monotonic() - started
        self.assertLess(waited, 6, "the stalled clients held the workers past the I/O timeout")
        self.assertTrue(all(closed_by_server(s, 5) for s in stalled))
        # Nothing half-sent was stored as an event.
        r = self.call("GET", "/api/v2/events")
        if r.status == 200:
            self.assertEqual(r.json.get("total", len(r.json.get("events", []))), 0, r)
        # And the server still serves many clients afterwards.
        results = []
        threads = [threading.Thread(target=lambda: results.append(self.call("GET", "/healthz").status))
                   for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual(results, [200] * 8)


def reload_plugins_dir(env, generation):
    """A plugins directory holding the test plugin `reload` built as `generation`."""
    folder = os.path.join(env.dir, "plugins")
    os.makedirs(folder, exist_ok=True)
    shutil.copyfile(os.path.join(SOURCE_DIR, "tests", "plugins", "reload", "manifest.yaml"),
                    os.path.join(folder, "reload.yaml"))
    install_reload_build(folder, generation)
    return folder


def install_reload_build(folder, generation):
    """Overwrites the library in place (same inode), the way `cp` does: the hard case."""
    src = os.path.join(TEST_PLUGINS, f"reload_v{generation}", "libplugboard_reload.so")
    with open(src, "rb") as f, open(os.path.join(folder, "libplugboard_reload.so"), "wb") as out:
        out.write(f.read())


def trickle(port, data, every, results):
    """Sends `data` one byte per `every` seconds (each byte inside the I/O timeout) and records
    what the server answered and after how long, or None if it never cut the client off."""
    started = time.monotonic()
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        for i in range(len(data)):
            s.sendall(data[i:i + 1])
            time.sleep(every)
        results.append(None)  # the whole request went through: not cut off
    except OSError:
        s.settimeout(2)
        try:
            answer = s.recv(4096)
        except OSError:
            answer = b""
        results.append((answer, time.monotonic() - started))
    finally:
        s.close()


class RequestDeadlineTest(PlugboardTestCase):
    """Three workers, 1 s I/O timeout, 3 s for a whole request: tricklers are cut off, a slow
    handler is not, and other clients are served meanwhile."""

    start_server = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        config = write_config(cls.env, "server:\n  threads: 3\n  io_timeout_s: 1\n  keep_alive_timeout_s: 1\n"
                                       "  request_timeout_s: 3\n")
        cls.env.start(args=["--config", config], plugins_dir=reload_plugins_dir(cls.env, 1))

    def test_trickling_clients_get_408_at_the_request_deadline(self):
        port = int(self.env.url.rsplit(":", 1)[1])
        headers = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 200 + b"\r\n\r\n"
        body = b'{"type":"trickled","data":{"x":"' + b"b" * 200 + b'"}}'
        in_body = (b"POST /api/v2/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-API-Key: " +
                   self.key.encode() + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n")
        results = []
        clients = [threading.Thread(target=trickle, args=(port, headers, 0.3, results)),
                   threading.Thread(target=trickle, args=(port, in_body + body, 0.3, results))]
        for t in clients:
            t.start()
        # Meanwhile the third worker serves everyone else, again and again.
        served = 0
        until = time.monotonic() + 2.5
        while time.monotonic() < until:
            self.assertEqual(self.call("GET", "/healthz").status, 200)
            served += 1
            time.sleep(0.1)
        for t in clients:
            t.join(30)
        self.assertGreater(served, 5)
        self.assertEqual(len(results), 2, results)
        for got in results:
            self.assertIsNotNone(got, "a trickling client held a worker past the request deadline")
            answer, after = got
            self.assertTrue(answer.startswith(b"HTTP/1.1 408 "), answer[:200])
            self.assertIn(b'"request_timeout"', answer)
            self.assertLess(after, 3 + 2, "cut off late")
            self.assertGreater(after, 3 - 0.5, "cut off early")
        # The event trickled in was never stored.
        r = self.call("GET", "/api/v2/events?type=trickled")
        if r.status == 200:
            self.assertNotIn("trickled", r.text)

    def test_a_slow_handler_is_not_cut_off(self):
        # The deadline covers the request arriving, not the work: a 4 s execute completes.
        conn = self.call("POST", "/api/v2/connections", {
            "integration_id": "reload", "project_id": self.project, "auth_type": "bearer",
            "credentials": {"token": "any-token"}})
        self.assertEqual(conn.status, 201, conn)
        r = self.execute(conn.json["id"], "generation", {"ms": 4000})
        self.assertEqual(r.status, 200, r)
        self.assertIs(r.json["success"], True, r)

    def test_kept_alive_connections_get_their_own_deadline_per_request(self):
        # One connection, five requests 0.8 s apart (over the 3 s deadline in all): none is cut off.
        conn = http.client.HTTPConnection("127.0.0.1", int(self.env.url.rsplit(":", 1)[1]), timeout=10)
        try:
            for _ in range(5):
                self.assertEqual(request(self.env.url, "GET", "/healthz", conn=conn).status, 200)
                time.sleep(0.8)  # under the 1 s keep-alive timeout
        finally:
            conn.close()


class ReloadAndShutdownTest(PlugboardTestCase):
    start_server = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plugins = reload_plugins_dir(cls.env, 1)
        cls.env.start(plugins_dir=cls.plugins)

    def generation(self, conn, ms=0, out=None):
        r = self.execute(conn, "generation", {"ms": ms})
        if out is not None:
            out.append(r)
        return r

    def reload_cli(self):
        env = self.env.base_env(self.plugins)
        return subprocess.run([BIN, "plugins", "reload"], env=env, capture_output=True, text=True, timeout=60)

    def connection(self):
        body = {"integration_id": "reload", "project_id": self.project, "auth_type": "bearer",
                "credentials": {"token": "any-token"}}
        r = self.call("POST", "/api/v2/connections", body)
        self.assertEqual(r.status, 201, r)
        return r.json["id"]

    def test_1_reload_swaps_code_while_a_request_finishes_on_the_old(self):
        conn = self.connection()
        r = self.generation(conn)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["data"], {"generation": 1})

        in_flight = []
        t = threading.Thread(target=self.generation, args=(conn, 2500, in_flight))
        t.start()
        time.sleep(0.5)
        install_reload_build(self.plugins, 2)  # overwritten under the running request
        out = self.reload_cli()
        self.assertEqual(out.returncode, 0, out)
        self.assertIn("loaded   reload 1.0.0 (1 actions) from reload.yaml", out.stdout)

        r = self.generation(conn)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["data"], {"generation": 2}, "the reload kept running the old code")
        t.join(30)
        self.assertEqual(in_flight[0].status, 200, in_flight[0])
        self.assertEqual(in_flight[0].json["data"], {"generation": 1}, "the in-flight request changed code")
        # Private copies are unlinked once open: nothing piles up in the data directory.
        self.assertEqual(os.listdir(os.path.join(self.env.data_dir, "plugin-libs")), [])

        # A plugin made unloadable is reported, and the server keeps serving.
        with open(os.path.join(self.plugins, "broken.yaml"), "w") as f:
            f.write("id: [unclosed\n")
        out = self.reload_cli()
        self.assertEqual(out.returncode, 1, out)
        self.assertIn("skipped  broken.yaml:", out.stdout)
        os.remove(os.path.join(self.plugins, "broken.yaml"))
        self.assertEqual(self.generation(conn).status, 200)

    def test_2_sigterm_lets_a_long_execute_finish_and_records_it(self):
        conn = self.connection()
        in_flight = []
        t = threading.Thread(target=self.generation, args=(conn, 2500, in_flight))
        t.start()
        time.sleep(0.5)
        port = int(self.env.url.rsplit(":", 1)[1])
        proc = self.env.proc
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        # No longer accepting: a new client is refused (or cut off) rather than served.
        with self.assertRaises(OSError):
            request(f"http://127.0.0.1:{port}", "GET", "/healthz", timeout=5)
        t.join(30)
        self.assertEqual(len(in_flight), 1)
        r = in_flight[0]
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["data"], {"generation": 2})  # test_1 reloaded build 2
        self.assertEqual(proc.wait(timeout=30), 0)
        self.env.proc = None
        self.env.stop()
        with self.env.db() as db:
            row = db.execute("SELECT status, action, request_id FROM executions WHERE id = ?",
                             (r.json["metadata"]["execution_id"],)).fetchone()
        self.assertEqual(row, ("success", "generation", r.json["metadata"]["request_id"]))
        self.assertFalse(os.path.exists(os.path.join(self.env.data_dir, "plugboard.pid")))
        self.assertIn("stopped", self.env.log_text())
        # With no server running, `plugins reload` says so.
        out = self.reload_cli()
        self.assertEqual(out.returncode, 1, out)
        self.assertIn("no running server", out.stderr)


class JsonLogTest(PlugboardTestCase):
    """log.format json: every line parses, request lines carry the request id, no secrets."""

    server_env = {"PLUGBOARD_LOG_FORMAT": "json", "PLUGBOARD_LOG_LEVEL": "debug"}

    def test_lines_are_json_with_request_ids_and_no_secrets(self):
        secret_token = "xoxb-test"
        conn = new_connection(self.env, self.key, self.project, token=secret_token)["id"]
        r = self.execute(conn, "user-lookup", {"email": "alice@example.com"},
                         headers={"X-Request-Id": "it-json-ok"})
        self.assertEqual(r.status, 200, r)
        r = self.call("GET", "/api/v2/connections/nope", headers={"X-Request-Id": "it-json-404"})
        self.assertEqual(r.status, 404, r)
        r = self.call("GET", "/api/v2/catalog", key="pb_" + "Z" * 40, headers={"X-Request-Id": "it-json-401"})
        self.assertEqual(r.status, 401, r)
        # A client that puts a token in the query string: the access line carries no query.
        self.call("GET", "/api/v2/connections?access_token=qs-secret-123", headers={"X-Request-Id": "it-json-qs"})
        self.assertEqual(self.env.stop(), 0)

        log = self.env.log_text()
        lines = [line for line in log.splitlines() if line.strip()]
        self.assertGreater(len(lines), 5)
        entries = []
        for line in lines:
            entry = json.loads(line)  # every line, not just most
            self.assertLessEqual({"ts", "level", "msg"}, set(entry), line)
            self.assertRegex(entry["ts"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            entries.append(entry)
        by_id = {}
        for e in entries:
            by_id.setdefault(e.get("request_id"), []).append(e["msg"])
        for rid, status in [("it-json-ok", "200"), ("it-json-404", "404"), ("it-json-401", "401")]:
            self.assertIn(rid, by_id, f"no line carries request id {rid}")
            self.assertTrue(any(status in m for m in by_id[rid]), by_id[rid])
        # The plugin's own lines during the execute carry it too (host log lines).
        self.assertTrue(all(e.get("request_id") for e in entries if "/api/v2/" in e["msg"]))
        for secret in (secret_token, self.key, "pb_" + "Z" * 40, MASTER_KEY, "qs-secret-123"):
            self.assertNotIn(secret, log)


if __name__ == "__main__":
    unittest.main()
