"""A real webhook receiver for the tests and the benchmark: a threaded http.server on 127.0.0.1.

Every POST is recorded (path, headers, raw body, the time it arrived, whether the answer went
out) and its signature is checked exactly as docs/webhooks.md's receiver example checks it.
Per path, a test can script the answers (a list of statuses used up in order, then 200) and a
delay before answering.
"""

import hashlib
import hmac
import http.server
import json
import socket
import threading
import time


def verify(secret, headers, body, tolerance=300):
    """docs/webhooks.md's check: v1=HMAC-SHA256(secret, timestamp + "." + body), 5-minute window."""
    ts = headers.get("X-Plugboard-Timestamp", "")
    sig = headers.get("X-Plugboard-Signature", "")
    if not ts.isdigit() or abs(time.time() - int(ts)) > tolerance:
        return False
    expected = "v1=" + hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, sig)


class Receiver:
    def __init__(self):
        self.lock = threading.Condition()
        self.received = []      # dicts: path, headers, body, json, at, valid
        self.secrets = {}       # path -> secret (for the signature check)
        self.script = {}        # path -> [status, ...] answered first
        self.delay = {}         # path -> seconds before answering
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                # The status line and headers go out in one write, the body in another: without
                # this, Nagle holds the body until the sender's delayed ACK (40 ms) comes.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                path = self.path
                with receiver.lock:
                    secret = receiver.secrets.get(path)
                    entry = {"path": path, "headers": {k: v for k, v in self.headers.items()},
                             "body": body, "at": time.time(), "answered": False,
                             "valid": verify(secret, self.headers, body) if secret else None}
                    try:
                        entry["json"] = json.loads(body)
                    except ValueError:
                        entry["json"] = None
                    statuses = receiver.script.get(path) or []
                    status = statuses.pop(0) if statuses else 200
                    delay = receiver.delay.get(path, 0)
                    entry["status"] = status
                    # Recorded on arrival: a sender killed while we wait still counts as received.
                    receiver.received.append(entry)
                    receiver.lock.notify_all()
                if delay:
                    time.sleep(delay)
                text = b"OK" if status < 300 else b"receiver says no"
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(text)))
                    self.end_headers()
                    self.wfile.write(text)
                    self.wfile.flush()
                except OSError:  # the sender went away (killed mid-delivery): it never saw this answer
                    self.close_connection = True
                    return
                with receiver.lock:
                    entry["answered"] = True
                    receiver.lock.notify_all()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def on(self, path, secret=None, statuses=None, delay=None):
        with self.lock:
            if secret is not None:
                self.secrets[path] = secret
            if statuses is not None:
                self.script[path] = list(statuses)
            if delay is not None:
                self.delay[path] = delay

    def at(self, path):
        with self.lock:
            return [r for r in self.received if r["path"] == path]

    def in_flight(self, path):
        """Requests that arrived and are not answered yet (the receiver is still "working")."""
        with self.lock:
            return [r for r in self.received if r["path"] == path and not r["answered"]]

    def wait_for(self, path, count, timeout=15):
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                got = [r for r in self.received if r["path"] == path]
                if len(got) >= count:
                    return got
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{path}: {len(got)} of {count} requests within {timeout}s")
                self.lock.wait(left)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
