"""Shared harness for the integration tests: the real plugboard binary, driven over HTTP.

An Env owns one temp data dir, one fake Slack and (at most) one running `plugboard serve`.
Everything it starts is stopped in Env.close(), which tests call from tearDownClass and which
is also registered with atexit, so a failing or interrupted test never leaks processes.

Paths come from the environment ctest sets (see CMakeLists.txt); when run by hand from the
source tree they default to ./build.
"""

import atexit
import http.client
import json
import os
import queue
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("PLUGBOARD_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
BIN = os.environ.get("PLUGBOARD_BIN") or os.path.join(SOURCE_DIR, "build", "bin", "plugboard")
PLUGINS = os.environ.get("PLUGBOARD_TEST_PLUGINS") or os.path.join(SOURCE_DIR, "build", "plugins")
FAKE_SLACK = os.path.join(SOURCE_DIR, "tests", "fakes", "fake_slack.py")
PYTHON = "/usr/bin/python3"

# Explicit master keys, so a restart can deliberately use a different one.
MASTER_KEY = "11" * 32
OTHER_MASTER_KEY = "22" * 32
SLACK_TOKEN = "xoxb-test"  # the one token fake_slack accepts

# "postgresql": every Env gets a private PostgreSQL cluster (pg_cluster.py) as its database
# instead of SQLite in the data dir; ctest runs some modules both ways (integration_*_pg).
DATABASE = os.environ.get("PLUGBOARD_TEST_DATABASE", "sqlite")

STARTUP_TIMEOUT = 20  # seconds for a process to announce itself
STOP_TIMEOUT = 10     # seconds between SIGTERM and SIGKILL


class Response:
    def __init__(self, status, headers, text, reason=""):
        self.status = status
        self.reason = reason
        self.headers = headers  # case-insensitive (http.client.HTTPMessage)
        self.text = text
        try:
            self.json = json.loads(text) if text else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return f"<Response {self.status} {self.text[:300]!r}>"


def request(base_url, method, path, body=None, headers=None, raw=None, conn=None, timeout=60, ssl_context=None):
    """One HTTP request. body is JSON-encoded; raw is sent as given (bytes or str).

    With conn (an http.client.HTTPConnection) the request reuses it (keep-alive tests).
    An https base_url is reached over TLS, trusting what ssl_context trusts."""
    u = urllib.parse.urlsplit(base_url)
    own = conn is None
    if own and u.scheme == "https":
        conn = http.client.HTTPSConnection(u.hostname, u.port, timeout=timeout, context=ssl_context)
    elif own:
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    data = raw if raw is not None else (json.dumps(body) if body is not None else None)
    if isinstance(data, str):
        data = data.encode()
    try:
        conn.request(method, path, body=data, headers=h)
        r = conn.getresponse()
        text = r.read().decode("utf-8", errors="replace")
        return Response(r.status, r.headers, text, r.reason)
    finally:
        if own:
            conn.close()


class _LineReader:
    """Drains a child's stdout on a thread (so its pipe never fills) and hands lines out with a timeout."""

    def __init__(self, stream):
        self.lines = queue.Queue()
        t = threading.Thread(target=self._run, args=(stream,), daemon=True)
        t.start()

    def _run(self, stream):
        with stream:
            for line in iter(stream.readline, ""):
                self.lines.put(line.rstrip("\n"))
        self.lines.put(None)  # EOF

    def wait_for(self, prefix, timeout):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no line starting with {prefix!r} within {timeout}s")
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise RuntimeError(f"process exited before printing {prefix!r}")
            if line.startswith(prefix):
                return line


def _stop(proc):
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=STOP_TIMEOUT)


class FakeSlack:
    def __init__(self, log_dir):
        self.log = open(os.path.join(log_dir, "fake_slack.log"), "w")
        self.proc = subprocess.Popen([PYTHON, FAKE_SLACK, "--port", "0", "--token", SLACK_TOKEN],
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = _LineReader(self.proc.stdout).wait_for("READY ", STARTUP_TIMEOUT)
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"

    def control(self, method, path, body=None):
        r = request(self.url, method, path, body=body)
        assert r.status == 200, r
        return r.json

    def requests(self, method=None):
        """Web API requests the fake received, oldest first; method filters by Slack method."""
        reqs = self.control("GET", "/_fake/requests")["requests"]
        if method:
            reqs = [r for r in reqs if urllib.parse.urlsplit(r["path"]).path == "/api/" + method]
        return reqs

    def reset(self):
        self.control("POST", "/_fake/reset", {})

    def ratelimit(self, count, retry_after=1, method=None):
        body = {"count": count, "retry_after": retry_after}
        if method:
            body["method"] = method
        self.control("POST", "/_fake/ratelimit", body)

    def close(self):
        _stop(self.proc)
        self.log.close()


class Env:
    """A temp data dir, a fake Slack and a plugboard server; close() undoes all of it."""

    def __init__(self, fake=True):
        self.dir = tempfile.mkdtemp(prefix="plugboard-it-")
        self.data_dir = os.path.join(self.dir, "data")
        self.proc = None
        self.url = None
        self.server_log = None
        self.fake = None
        self.ssl_context = None  # for an https server: what the client trusts
        self.pg = None
        self.database_url = None  # set: this node's database is elsewhere (several nodes share one)
        atexit.register(self.close)
        try:
            if DATABASE == "postgresql":
                from pg_cluster import PgCluster
                self.pg = PgCluster().start()
            if fake:
                self.fake = FakeSlack(self.dir)
        except BaseException:
            self.close()
            raise

    @property
    def db_path(self):
        return os.path.join(self.data_dir, "plugboard.db")

    def base_env(self, plugins_dir=None, master_key=MASTER_KEY, extra=None):
        env = {k: v for k, v in os.environ.items() if not k.startswith("PLUGBOARD_")}
        env.update({
            "PLUGBOARD_DATA_DIR": self.data_dir,
            "PLUGBOARD_PLUGINS_DIR": plugins_dir or PLUGINS,
            "PLUGBOARD_MASTER_KEY": master_key,
            "PLUGBOARD_LOG_LEVEL": "debug",
            "PLUGBOARD_HOST": "127.0.0.1",
        })
        if self.pg:
            env["PLUGBOARD_DATABASE_URL"] = self.pg.url
        if self.fake:
            env["PLUGBOARD_PROVIDER_SLACK_BASE_URL"] = self.fake.url + "/api"
        if self.database_url:
            env["PLUGBOARD_DATABASE_URL"] = self.database_url
        # Runs a whole suite with plugins out of process (see the *_isolated tests in CMakeLists.txt).
        if os.environ.get("PLUGBOARD_IT_PLUGINS_ISOLATION"):
            env["PLUGBOARD_PLUGINS_ISOLATION"] = os.environ["PLUGBOARD_IT_PLUGINS_ISOLATION"]
        env.update(extra or {})
        return env

    def create_key(self, workspace="acme", project="main", name="k", operations=None):
        """`plugboard keys create --json` -> {"key","id","workspace_id","project_id"}."""
        args = [BIN, "keys", "create", "--workspace", workspace, "--name", name, "--json"]
        if project:
            args += ["--project", project]
        if operations:
            args += ["--operations", operations]
        out = subprocess.run(args, env=self.base_env(), capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise RuntimeError(f"keys create failed ({out.returncode}): {out.stderr}")
        return json.loads(out.stdout.strip().splitlines()[-1])

    def start(self, plugins_dir=None, master_key=MASTER_KEY, extra_env=None, args=()):
        """Starts `plugboard serve` (with args, e.g. --config) on a free port and waits until /healthz answers."""
        assert self.proc is None, "server already running"
        self.server_log = open(os.path.join(self.dir, "server.log"), "a")
        env = self.base_env(plugins_dir, master_key, dict(extra_env or {}, PLUGBOARD_PORT="0"))
        self.proc = subprocess.Popen([BIN, "serve", *args], env=env, stdout=subprocess.PIPE,
                                     stderr=self.server_log, text=True)
        try:
            line = _LineReader(self.proc.stdout).wait_for("plugboard listening on ", STARTUP_TIMEOUT)
            self.url = line.split()[-1]
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while True:  # the URL is printed once listening; poll /healthz to be sure it serves
                try:
                    if request(self.url, "GET", "/healthz", timeout=5, ssl_context=self.ssl_context).status == 200:
                        return self
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError("/healthz did not answer 200")
                time.sleep(0.05)
        except BaseException:
            self.stop()
            raise

    def stop(self):
        """SIGTERM (the server flushes its execution log) and wait; SIGKILL after a timeout."""
        _stop(self.proc)
        rc = self.proc.returncode if self.proc else None
        self.proc = None
        if self.server_log:
            self.server_log.close()
            self.server_log = None
        return rc

    def kill(self):
        """SIGKILL: no shutdown code runs, as when the machine loses power or the OOM killer strikes."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=STOP_TIMEOUT)
        rc = self.proc.returncode
        self.proc = None
        if self.server_log:
            self.server_log.close()
            self.server_log = None
        return rc

    def restart(self, **kwargs):
        self.stop()
        return self.start(**kwargs)

    def log_text(self):
        try:
            with open(os.path.join(self.dir, "server.log")) as f:
                return f.read()
        except OSError:
            return ""

    def db(self):
        """A sqlite3 connection to the server's database (SQLite runs only; see sql())."""
        assert not self.pg, "db() is SQLite's; use sql() in tests that also run on PostgreSQL"
        return sqlite3.connect(self.db_path, timeout=10)

    def sql(self, statement, params=()):
        """Runs one statement (SQL both dialects accept, '?' placeholders) on the server's database."""
        self.query(statement, params)

    def query(self, statement, params=()):
        """Like sql(), returning the rows as tuples (of strings on PostgreSQL: select text columns)."""
        if not self.pg:
            with sqlite3.connect(self.db_path, timeout=10) as db:
                return db.execute(statement, params).fetchall()
        parts = statement.split("?")
        assert len(parts) == len(params) + 1, "one parameter per '?'"
        literal = [str(p) if isinstance(p, (int, float)) else "'" + str(p).replace("'", "''") + "'" for p in params]
        text = "".join(part + (literal[i] if i < len(literal) else "") for i, part in enumerate(parts))
        out = self.pg.psql(text, database=self.pg.database)
        return [tuple(line.split("|")) for line in out.splitlines() if line]

    def call(self, method, path, body=None, key=None, headers=None, raw=None, conn=None):
        h = dict(headers or {})
        if key:
            h["X-API-Key"] = key
        return request(self.url, method, path, body=body, headers=h, raw=raw, conn=conn, ssl_context=self.ssl_context)

    def close(self):
        try:
            if self.proc:
                self.stop()
        finally:
            if self.fake:
                self.fake.close()
                self.fake = None
            if self.pg:
                self.pg.stop()
                self.pg = None
            shutil.rmtree(self.dir, ignore_errors=True)


def new_connection(env, key, project, token=SLACK_TOKEN):
    """A bearer Slack connection, for class-level setup (tests use create_connection)."""
    body = {"integration_id": "slack", "project_id": project, "auth_type": "bearer",
            "credentials": {"token": token}}
    r = env.call("POST", "/api/v2/connections", body, key=key)
    if r.status != 201:
        raise AssertionError(f"creating a connection failed: {r}")
    return r.json


class PlugboardTestCase(unittest.TestCase):
    """One Env per test class: a key for workspace acme/project main, the server running."""

    start_server = True
    server_env = None

    @classmethod
    def setUpClass(cls):
        cls.env = Env()
        try:
            cls.admin = cls.env.create_key()
            cls.key = cls.admin["key"]
            cls.ws = cls.admin["workspace_id"]
            cls.project = cls.admin["project_id"]
            cls.prepare_keys()
            if cls.start_server:
                cls.env.start(extra_env=cls.server_env)
        except BaseException:
            cls.env.close()
            raise

    @classmethod
    def prepare_keys(cls):
        """Hook: create further CLI keys before the server starts."""

    @classmethod
    def tearDownClass(cls):
        cls.env.close()

    # --- helpers -----------------------------------------------------------------------------

    def call(self, method, path, body=None, key=None, **kw):
        return self.env.call(method, path, body=body, key=self.key if key is None else key, **kw)

    def create_connection(self, key=None, project=None, credentials=None, **extra):
        body = {"integration_id": "slack", "project_id": project or self.project, "auth_type": "bearer",
                "credentials": {"token": SLACK_TOKEN} if credentials is None else credentials}
        body.update(extra)
        if body["credentials"] is False:  # no credentials at all
            del body["credentials"]
        r = self.call("POST", "/api/v2/connections", body, key=key)
        self.assertEqual(r.status, 201, r)
        return r.json

    def execute(self, connection_id, action, parameters=None, key=None, workspace=None, project=None, **kw):
        body = {"workspace_id": workspace or self.ws, "project_id": project or self.project,
                "connection_id": connection_id, "action": action, "parameters": parameters or {}}
        return self.call("POST", "/api/v2/execute", body, key=key, **kw)

    def assertApiError(self, r, status, code, field=None):
        """API.md's error shape outside execute: {"errors":[{"code","message"[,"field"]}],"request_id"}."""
        self.assertEqual(r.status, status, r)
        self.assertEqual(set(r.json), {"errors", "request_id"}, r)
        self.assertTrue(r.json["request_id"], r)
        self.assertEqual(r.headers["X-Request-Id"], r.json["request_id"])
        self.assertEqual(len(r.json["errors"]), 1, r)
        e = r.json["errors"][0]
        self.assertEqual(e["code"], code, r)
        self.assertIsInstance(e["message"], str)
        self.assertTrue(e["message"])
        self.assertLessEqual(set(e), {"code", "message", "field"}, r)
        if field is not None:
            self.assertEqual(e.get("field"), field, r)
        return e

    def assertExecuteError(self, r, status, code):
        """Seed 004's failure envelope, to the letter."""
        self.assertEqual(r.status, status, r)
        self.assertIsNotNone(r.json, r)
        self.assertEqual(set(r.json), {"success", "error", "metadata"}, r)
        self.assertIs(r.json["success"], False, r)
        err = r.json["error"]
        self.assertEqual(set(err), {"code", "message", "details"}, r)
        self.assertEqual(err["code"], code, r)
        self.assertIsInstance(err["message"], str)
        self.assertIsInstance(err["details"], dict, r)
        meta = r.json["metadata"]
        self.assertTrue(meta["request_id"], r)
        self.assertRegex(meta["timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
        self.assertEqual(r.headers["X-Request-Id"], meta["request_id"])
        return err

    def assertExecuteOk(self, r, action_name):
        self.assertEqual(r.status, 200, r)
        self.assertEqual(set(r.json), {"success", "data", "metadata"}, r)
        self.assertIs(r.json["success"], True, r)
        meta = r.json["metadata"]
        self.assertEqual(set(meta), {"execution_id", "request_id", "timestamp", "action", "integration"}, r)
        self.assertRegex(meta["execution_id"], r"^exec_[0-9a-f]+$")
        self.assertEqual(r.headers["X-Request-Id"], meta["request_id"])
        self.assertRegex(meta["timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
        self.assertEqual(meta["action"], action_name)
        self.assertEqual(meta["integration"], "Slack")
        return r.json["data"]
