#!/usr/bin/python3
"""HTTP hygiene: unknown routes, wrong methods, body limits, keep-alive, concurrency."""

import http.client
import json
import socket
import threading
import unittest
import urllib.parse

from harness import PlugboardTestCase, new_connection, request

MAX_BODY = 1024


class HttpTest(PlugboardTestCase):
    server_env = {"PLUGBOARD_MAX_BODY_BYTES": str(MAX_BODY), "PLUGBOARD_THREADS": "32"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.conn = new_connection(cls.env, cls.key, cls.project)["id"]

    def connection(self):
        u = urllib.parse.urlsplit(self.env.url)
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        self.addCleanup(c.close)
        return c

    def raw_exchange(self, data, timeout=2.0):
        """Sends raw bytes on one socket and returns everything the server answers until it closes or goes quiet."""
        u = urllib.parse.urlsplit(self.env.url)
        with socket.create_connection((u.hostname, u.port), timeout=timeout) as s:
            s.sendall(data)
            out = b""
            try:
                while chunk := s.recv(65536):
                    out += chunk
            except socket.timeout:
                pass
        return out.decode(errors="replace")

    def test_unknown_route_404(self):
        for method, path in (("GET", "/nope"), ("GET", "/api/v2/nope?x=1"), ("POST", "/api/v3/execute"),
                             ("GET", "/api/v2/catalog/slack/icon/extra")):
            with self.subTest(path=path):
                e = self.assertApiError(self.call(method, path), 404, "not_found")
                self.assertIn(path.split("?")[0], e["message"])

    def test_unknown_route_needs_no_key(self):
        self.assertApiError(self.call("GET", "/nope", key=""), 404, "not_found")

    def test_wrong_method_405(self):
        for method, path in (("GET", "/api/v2/execute"), ("DELETE", "/api/v2/execute"),
                             ("PUT", "/api/integrations/"), ("POST", "/healthz"),
                             ("GET", f"/api/execute/{self.conn}/send-message")):
            with self.subTest(method=method, path=path):
                self.assertApiError(self.call(method, path), 405, "method_not_allowed")

    def test_wrong_method_405_names_allowed_methods(self):
        # RFC 9110 15.5.6: a 405 response MUST carry an Allow header listing the allowed methods.
        r = self.call("DELETE", "/api/v2/execute")
        self.assertEqual(r.status, 405)
        self.assertEqual(r.headers.get("Allow"), "POST")

    def test_status_line_reason_phrase(self):
        # The status line should read e.g. "404 Not Found", not "404 OK".
        for method, path, status, reason in (("GET", "/nope", 404, "Not Found"),
                                             ("DELETE", "/api/v2/execute", 405, "Method Not Allowed")):
            r = self.call(method, path)
            self.assertEqual((r.status, r.reason), (status, reason))
        r = self.execute(self.conn, "list-channels", key="bad")
        self.assertEqual((r.status, r.reason), (401, "Unauthorized"))

    def test_request_id_on_every_response(self):
        responses = [self.call("GET", "/healthz"), self.call("GET", "/nope"), self.call("DELETE", "/healthz"),
                     self.call("GET", "/api/v2/catalog", key=""), self.call("GET", "/api/v2/catalog"),
                     self.execute(self.conn, "nope"), self.execute(self.conn, "user-lookup", {"email": "alice@example.com"}),
                     self.call("POST", "/api/v2/execute", raw="x" * (MAX_BODY + 1))]
        ids = [r.headers.get("X-Request-Id") for r in responses]
        self.assertTrue(all(ids), ids)
        self.assertEqual(len(set(ids)), len(ids))
        # A client-chosen id is echoed; an unsafe one is replaced.
        self.assertEqual(self.call("GET", "/healthz", headers={"X-Request-Id": "abc-123"}).headers["X-Request-Id"],
                         "abc-123")
        self.assertRegex(self.call("GET", "/healthz", headers={"X-Request-Id": "bad id!"}).headers["X-Request-Id"],
                         r"^req_[0-9a-f]+$")

    def test_oversized_body_execute_413_in_envelope(self):
        body = json.dumps({"workspace_id": self.ws, "project_id": self.project, "connection_id": self.conn,
                           "action": "send-message", "parameters": {"channel": "#general", "text": "x" * 2000}})
        r = self.call("POST", "/api/v2/execute", raw=body)
        err = self.assertExecuteError(r, 413, "PAYLOAD_TOO_LARGE")
        self.assertIn("1024", err["details"]["reason"])
        r = self.call("POST", f"/api/execute/{self.conn}/send-message", raw="x" * 2000,
                      headers={"X-Workspace-ID": self.ws, "X-Project-ID": self.project})
        self.assertExecuteError(r, 413, "PAYLOAD_TOO_LARGE")
        # A body just within the limit is read (and here rejected as JSON).
        self.assertExecuteError(self.call("POST", "/api/v2/execute", raw="x" * MAX_BODY), 400, "INVALID_REQUEST")

    def test_oversized_body_other_routes_413(self):
        big = json.dumps({"name": "x" * 2000})
        self.assertApiError(self.call("POST", "/api/v2/connections", raw=big), 413, "payload_too_large")
        self.assertApiError(self.call("POST", "/api/v2/api-keys", raw=big), 413, "payload_too_large")

    def test_oversized_chunked_body_413(self):
        c = self.connection()
        c.request("POST", "/api/v2/connections", body=iter([b"x" * 700, b"y" * 700]), encode_chunked=True,
                  headers={"X-API-Key": self.key, "Content-Type": "application/json"})
        r = c.getresponse()
        self.assertEqual(r.status, 413)
        self.assertEqual(json.loads(r.read())["errors"][0]["code"], "payload_too_large")

    def test_keep_alive(self):
        c = self.connection()
        first = request(self.env.url, "GET", "/api/v2/catalog", headers={"X-API-Key": self.key}, conn=c)
        sock = c.sock
        second = request(self.env.url, "GET", "/api/integrations/", headers={"X-API-Key": self.key}, conn=c)
        third = self.execute(self.conn, "user-lookup", {"email": "alice@example.com"}, conn=c)
        self.assertEqual((first.status, second.status, third.status), (200, 200, 200))
        self.assertIs(c.sock, sock, "the server closed the connection between requests")

    def test_keep_alive_after_error_responses(self):
        c = self.connection()
        self.assertEqual(request(self.env.url, "GET", "/nope", conn=c).status, 404)
        self.assertEqual(self.execute(self.conn, "nope", conn=c).status, 404)
        self.assertEqual(request(self.env.url, "GET", "/healthz", conn=c).status, 200)

    def test_keep_alive_after_request_rejected_before_its_body_was_read(self):
        # A 401 from execute and a 413 are sent before the body is read; the next request on
        # the same connection must still be answered as itself (the server must drain the body
        # or close the connection), not garbled by the leftover body bytes.
        cases = (("401", json.dumps({"a": "b" * 100}), {"X-API-Key": "bad"}, 401),
                 ("413", "x" * (MAX_BODY + 500), {"X-API-Key": self.key}, 413))
        for name, raw, headers, status in cases:
            with self.subTest(case=name):
                c = self.connection()
                r = request(self.env.url, "POST", "/api/v2/execute", raw=raw, headers=headers, conn=c)
                self.assertEqual(r.status, status)
                try:
                    r = request(self.env.url, "GET", "/healthz", conn=c)
                except ConnectionError:  # incl. http.client.RemoteDisconnected
                    continue  # the server closed the connection cleanly: acceptable
                # (a BadStatusLine raised above means the leftover body garbled the exchange)
                self.assertEqual(r.status, 200, r)

    def test_rejected_body_is_not_run_as_a_request(self):
        # Request smuggling: the unread body of a request the server rejected before reading it
        # must never be parsed as a second request.
        inner = f"GET /api/v2/workspaces HTTP/1.1\r\nHost: x\r\nX-API-Key: {self.key}\r\n\r\n"
        outer = ("POST /api/v2/execute HTTP/1.1\r\nHost: x\r\nX-API-Key: bad\r\n"
                 f"Content-Type: application/json\r\nContent-Length: {len(inner)}\r\n\r\n{inner}")
        answer = self.raw_exchange(outer.encode())
        self.assertIn("INVALID_API_KEY", answer)
        self.assertEqual(answer.count("HTTP/1.1 "), 1, answer)
        self.assertNotIn('"workspaces"', answer)

    def test_concurrent_executes(self):
        results, errors = [None] * 20, []

        def worker(i):
            try:
                action, params = (("send-message", {"channel": "#general", "text": f"msg {i}"}) if i % 2 == 0 else
                                  ("user-lookup", {"email": "alice@example.com"}))
                results[i] = self.execute(self.conn, action, params)
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(repr(e))

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        self.assertEqual(errors, [])
        self.assertEqual([r.status for r in results], [200] * 20, [r for r in results if r.status != 200])
        self.assertTrue(all(r.json["success"] for r in results))
        self.assertEqual(len({r.json["metadata"]["execution_id"] for r in results}), 20)
        texts = {json.loads(q["body"])["text"] for q in self.env.fake.requests("chat.postMessage")}
        self.assertLessEqual({f"msg {i}" for i in range(0, 20, 2)}, texts)

    def test_healthz(self):
        r = self.call("GET", "/healthz", key="")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json, {"status": "ok", "plugins_loaded": r.json["plugins_loaded"], "plugins_failed": 0})
        self.assertGreaterEqual(r.json["plugins_loaded"], 1)


if __name__ == "__main__":
    unittest.main()
