#!/usr/bin/python3
"""Operations API (issue 6) against the real server and the fake Slack: API keys (permissions,
expiry, revocation, last_used), rate limits (burst, 429 + Retry-After, refill; execute's
RATE_LIMITED), roles, the execution log (filters, cursors, tenancy), health, usage,
/healthz, /readyz, /metrics, and retention (pruning by age, payload cap)."""

import datetime
import os
import re
import shutil
import sqlite3
import tempfile
import time
import unittest

from harness import PlugboardTestCase, Env, new_connection, request


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def now():
    return datetime.datetime.now(datetime.timezone.utc)


class OperationsTest(PlugboardTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.conn = new_connection(cls.env, cls.key, cls.project)["id"]

    def new_key(self, **body):
        body.setdefault("name", "k")
        r = self.call("POST", "/api/v2/api-keys", body)
        self.assertEqual(r.status, 201, r)
        return r.json

    def send(self, text="hi", channel="#general", key=None, conn=None, **kw):
        return self.execute(conn or self.conn, "send-message", {"channel": channel, "text": text}, key=key, **kw)

    def own_workspace(self, name):
        """An admin key and a Slack connection in a workspace of the test's own, so records of
        the other tests on this server do not show in what it counts."""
        k = self.env.create_key(workspace=name, name="admin")
        k["conn"] = new_connection(self.env, k["key"], k["project_id"])["id"]
        return k

    def send_in(self, ws, text="hi", channel="#general", action="send-message", conn=None):
        params = {"channel": channel, "text": text} if action == "send-message" else {}
        return self.execute(conn or ws["conn"], action, params, key=ws["key"], workspace=ws["workspace_id"],
                            project=ws["project_id"])

    def executions(self, query="", key=None, expect=200):
        r = self.call("GET", "/api/v2/executions" + query, key=key)
        self.assertEqual(r.status, expect, r)
        return r.json

    def wait_logged(self, count, query="", key=None):
        """The log is written in batches off the request path: poll until `count` records show."""
        deadline = time.monotonic() + 10
        while True:
            got = self.executions(query + ("&" if "?" in query else "?") + "limit=100", key=key)["executions"]
            if len(got) >= count or time.monotonic() > deadline:
                return got
            time.sleep(0.1)

    # --- API keys ---------------------------------------------------------------------------

    def test_key_lifecycle_permissions_last_used_and_revoke(self):
        created = self.new_key(name="ci", permissions={"operations": ["read"], "integrations": ["slack"],
                                                       "projects": [self.project]},
                               expires_at=iso(now() + datetime.timedelta(days=30)),
                               rate_limit={"requests_per_hour": 1000, "burst_limit": 100})
        self.assertTrue(created["key"].startswith("pb_"))
        self.assertEqual(created["permissions"], {"operations": ["read"], "integrations": ["slack"],
                                                  "projects": [self.project]})
        self.assertEqual(created["rate_limit"], {"requests_per_hour": 1000, "burst_limit": 100})
        self.assertIsNone(created["last_used"])
        self.assertEqual(self.call("GET", "/api/v2/catalog", key=created["key"]).status, 200)
        deadline = time.monotonic() + 10
        while True:  # last_used is written in batches with the execution log
            got = self.call("GET", "/api/v2/api-keys/" + created["id"]).json
            if got["last_used"] or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertRegex(got["last_used"] or "", r"^\d{4}-\d\d-\d\dT")
        self.assertNotIn("key", got)
        listed = self.call("GET", "/api/v2/api-keys").json["api_keys"]
        self.assertIn(created["id"], [k["id"] for k in listed])
        self.assertTrue(all("key" not in k for k in listed))

        r = self.call("DELETE", "/api/v2/api-keys/" + created["id"])
        self.assertEqual(r.status, 204, r)
        self.assertApiError(self.call("GET", "/api/v2/catalog", key=created["key"]), 401, "unauthorized")
        self.assertIs(self.call("GET", "/api/v2/api-keys/" + created["id"]).json["revoked"], True)
        self.assertApiError(self.call("DELETE", "/api/v2/api-keys/no-such-key"), 404, "not_found")

    def test_key_expiry(self):
        k = self.new_key(expires_at=iso(now() + datetime.timedelta(seconds=2)))
        self.assertEqual(self.call("GET", "/api/v2/catalog", key=k["key"]).status, 200)
        time.sleep(3)
        self.assertApiError(self.call("GET", "/api/v2/catalog", key=k["key"]), 401, "unauthorized")
        self.assertExecuteError(self.send(key=k["key"]), 401, "INVALID_API_KEY")

    def test_key_bad_input(self):
        for body, field in [({"name": "x", "expires_at": "tomorrow"}, "expires_at"),
                            ({"name": "x", "rate_limit": {"requests_per_hour": 0, "burst_limit": 1}},
                             "rate_limit.requests_per_hour"),
                            ({"name": "x", "rate_limit": {"requests_per_hour": 10}}, "rate_limit.burst_limit"),
                            ({"name": "x", "permissions": {"operations": ["root"]}}, "permissions.operations")]:
            self.assertApiError(self.call("POST", "/api/v2/api-keys", body), 400, "validation_error", field)

    # --- rate limits ------------------------------------------------------------------------

    def test_rate_limit_burst_then_429_then_refill(self):
        k = self.new_key(permissions={"operations": ["read"]},
                         rate_limit={"requests_per_hour": 3600, "burst_limit": 3})  # one a second
        statuses = [self.call("GET", "/api/v2/catalog", key=k["key"]) for _ in range(3)]
        self.assertEqual([r.status for r in statuses], [200, 200, 200])
        self.assertEqual([r.headers["X-RateLimit-Remaining"] for r in statuses], ["2", "1", "0"])
        self.assertEqual(statuses[0].headers["X-RateLimit-Limit"], "3")
        r = self.call("GET", "/api/v2/catalog", key=k["key"])
        self.assertApiError(r, 429, "rate_limited")
        retry = int(r.headers["Retry-After"])
        self.assertGreaterEqual(retry, 1)
        self.assertLessEqual(retry, 2)
        # Another key is not affected, nor is the admin key without a limit.
        self.assertEqual(self.call("GET", "/api/v2/catalog").status, 200)
        self.assertNotIn("X-RateLimit-Limit", self.call("GET", "/api/v2/catalog").headers)
        time.sleep(retry)
        self.assertEqual(self.call("GET", "/api/v2/catalog", key=k["key"]).status, 200)
        self.assertEqual(self.call("GET", "/api/v2/catalog", key=k["key"]).status, 429)

    def test_rate_limit_on_execute_answers_rate_limited_envelope(self):
        k = self.new_key(permissions={"operations": ["execute"]},
                         rate_limit={"requests_per_hour": 60, "burst_limit": 2})  # one a minute
        self.assertExecuteOk(self.send(key=k["key"]), "Send Message")
        self.assertExecuteOk(self.send(key=k["key"]), "Send Message")
        before = len(self.env.fake.requests("chat.postMessage"))
        r = self.send(key=k["key"])
        err = self.assertExecuteError(r, 429, "RATE_LIMITED")
        self.assertEqual(int(r.headers["Retry-After"]), err["details"]["retry_after"])
        self.assertGreater(err["details"]["retry_after"], 50)
        self.assertEqual(len(self.env.fake.requests("chat.postMessage")), before, "a refused call reached Slack")
        # v1 shares the same bucket.
        r = self.call("POST", f"/api/execute/{self.conn}/send-message", {"channel": "#general", "text": "x"},
                      key=k["key"], headers={"X-Workspace-ID": self.ws, "X-Project-ID": self.project})
        self.assertExecuteError(r, 429, "RATE_LIMITED")

    # --- roles ------------------------------------------------------------------------------

    # Seed 003's permissions table: members view; admins connect/disconnect, configure and read
    # logs. Ids that exist nowhere are fine: the permission is checked before the resource.
    MEMBER_VIEWS = ["/api/v2/health", "/api/v2/usage", "/api/v2/integrations", "/api/v2/connections",
                    "/api/v2/webhooks", "/api/v2/triggers", "/api/v2/automations", "/api/v2/catalog",
                    "/api/v2/workspaces"]
    ADMIN_ONLY = [
        # connect / disconnect
        ("POST", "/api/v2/connections", {"integration_id": "slack", "auth_type": "bearer",
                                         "credentials": {"token": "t"}}),
        ("PATCH", "/api/v2/connections/{conn}", {"name": "renamed"}),
        ("DELETE", "/api/v2/connections/nope", None),
        ("GET", "/api/v2/oauth/slack/authorize-url", None),
        ("POST", "/api/v2/oauth/slack/client-credentials", {}),
        # configure
        ("POST", "/api/v2/integrations", {"provider": "slack", "name": "x"}),
        ("PATCH", "/api/v2/integrations/nope", {"name": "x"}),
        ("POST", "/api/v2/webhooks", {"url": "http://127.0.0.1:9/x", "events": ["*"]}),
        ("PATCH", "/api/v2/webhooks/nope", {"active": False}),
        ("DELETE", "/api/v2/webhooks/nope", None),
        ("POST", "/api/v2/webhooks/nope/test", {}),
        ("POST", "/api/v2/webhooks/deliveries/nope/retry", {}),
        ("POST", "/api/v2/triggers", {"connection_id": "{conn}", "trigger": "events"}),
        ("PATCH", "/api/v2/triggers/nope", {"status": "paused"}),
        ("DELETE", "/api/v2/triggers/nope", None),
        ("POST", "/api/v2/automations", {"name": "a", "event_type": "x"}),
        ("PATCH", "/api/v2/automations/nope", {"enabled": False}),
        ("DELETE", "/api/v2/automations/nope", None),
        ("POST", "/api/v2/api-keys", {"name": "x"}),
        ("GET", "/api/v2/api-keys", None),
        ("POST", "/api/v2/workspaces", {"name": "x"}),
        # read logs
        ("GET", "/api/v2/executions", None),
        ("GET", "/api/v2/executions/nope", None),
        ("GET", "/api/v2/audit", None),
        ("GET", "/api/v2/webhooks/nope/deliveries", None),
        ("GET", "/api/v2/automations/nope/runs", None),
        ("GET", "/api/v2/integrations/slack/errors", None),
    ]

    def test_roles_follow_seed_003(self):
        keys = {ops: self.new_key(permissions={"operations": ops.split(",")})["key"]
                for ops in ("read", "read,write", "read,execute", "read,write,execute")}
        admin = self.own_workspace("roles")
        for path in self.MEMBER_VIEWS:
            self.assertEqual(self.call("GET", path, key=keys["read"]).status, 200, path)
        for method, path, body in self.ADMIN_ONLY:
            path = path.replace("{conn}", self.conn)
            if isinstance(body, dict) and body.get("connection_id") == "{conn}":
                body = dict(body, connection_id=self.conn)
            for ops, key in keys.items():
                with self.subTest(method=method, path=path, operations=ops):
                    self.assertApiError(self.call(method, path, body, key=key), 403, "forbidden")
            # An admin (of a workspace of its own, so nothing here changes) gets past the check.
            with self.subTest(method=method, path=path, operations="admin"):
                self.assertNotEqual(self.call(method, path, body, key=admin["key"]).status, 403, (method, path))
        # A writer feeds events in; a member cannot.
        event = {"type": "order.created", "data": {"n": 1}}
        self.assertEqual(self.call("POST", "/api/v2/events", event, key=keys["read,write"]).status, 202)
        self.assertApiError(self.call("POST", "/api/v2/events", event, key=keys["read"]), 403, "forbidden")
        self.assertApiError(request(self.env.url, "GET", "/api/v2/health"), 401, "unauthorized")

    # --- execution log ----------------------------------------------------------------------

    def test_executions_filters_cursor_and_tenancy(self):
        ws = self.own_workspace("logs")
        key = ws["key"]
        other_conn = new_connection(self.env, key, ws["project_id"])["id"]
        for i in range(3):
            self.assertExecuteOk(self.send_in(ws, text=f"m{i}"), "Send Message")
        self.assertExecuteError(self.send_in(ws, channel="#no-such-channel"), 500, "EXECUTION_FAILED")
        self.assertExecuteOk(self.send_in(ws, action="list-channels", conn=other_conn), "List Channels")
        got = self.wait_logged(5, key=key)
        self.assertEqual(len(got), 5, got)
        e = got[0]
        self.assertEqual(set(e), {"id", "request_id", "workspace_id", "project_id", "connection_id",
                                  "integration_id", "action", "status", "error_code", "duration_ms",
                                  "started_at", "event_id", "parameters", "result"})
        self.assertEqual(e["workspace_id"], ws["workspace_id"])
        self.assertEqual(e["integration_id"], "slack")
        self.assertIsNone(e["event_id"])
        started = [x["started_at"] for x in got]
        self.assertEqual(started, sorted(started, reverse=True))  # newest first

        failed = self.executions("?status=error", key=key)["executions"]
        self.assertEqual([x["parameters"]["channel"] for x in failed], ["#no-such-channel"])
        self.assertTrue(failed[0]["error_code"])
        self.assertEqual(len(self.executions("?status=success", key=key)["executions"]), 4)
        self.assertEqual(len(self.executions("?action=send-message", key=key)["executions"]), 4)
        listed = self.executions(f"?connection_id={other_conn}", key=key)["executions"]
        self.assertEqual([x["action"] for x in listed], ["list-channels"])
        self.assertEqual(len(self.executions("?integration_id=slack&limit=100", key=key)["executions"]), 5)
        self.assertEqual(self.executions("?end_date=2001-01-01", key=key)["executions"], [])
        self.assertEqual(len(self.executions("?start_date=2001-01-01", key=key)["executions"]), 5)

        # Cursor pages of two cover the five once each, in order.
        ids, cursor = [], None
        for _ in range(10):
            page = self.executions("?limit=2" + (f"&cursor={cursor}" if cursor else ""), key=key)
            self.assertLessEqual(len(page["executions"]), 2)
            ids += [x["id"] for x in page["executions"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        self.assertEqual(ids, [x["id"] for x in got])

        one = self.call("GET", "/api/v2/executions/" + got[1]["id"], key=key)
        self.assertEqual(one.status, 200, one)
        self.assertEqual(one.json["id"], got[1]["id"])
        self.assertApiError(self.call("GET", "/api/v2/executions/exec_nope", key=key), 404, "not_found")

        for query, field in [("?cursor=garbage", "cursor"), ("?limit=0", "limit"), ("?limit=abc", "limit"),
                             ("?status=maybe", "status"), ("?start_date=yesterday", "start_date"),
                             ("?start_date=2026-02-01&end_date=2026-01-01", "end_date")]:
            self.assertApiError(self.call("GET", "/api/v2/executions" + query, key=key), 400, "validation_error",
                                field)
        self.assertApiError(self.call("GET", "/api/v2/executions?integration_id=nope", key=key), 404, "not_found")

        # Another workspace's admin sees none of it.
        ids_elsewhere = [x["id"] for x in self.executions("?limit=100")["executions"]]
        self.assertFalse(set(ids) & set(ids_elsewhere))
        self.assertApiError(self.call("GET", "/api/v2/executions/" + got[0]["id"]), 404, "not_found")

    # --- health and usage -------------------------------------------------------------------

    def test_health_and_usage_from_recent_executions(self):
        ws = self.own_workspace("usage")
        key = ws["key"]
        for i in range(2):
            self.assertExecuteOk(self.send_in(ws, text=f"u{i}"), "Send Message")
        self.assertExecuteError(self.send_in(ws, channel="#no-such-channel"), 500, "EXECUTION_FAILED")
        self.wait_logged(3, key=key)
        start = "2001-01-01"

        h = self.call("GET", "/api/v2/health", key=key)
        self.assertEqual(h.status, 200, h)
        self.assertIn(h.json["overall_status"], ("healthy", "degraded", "down"))
        slack = [x for x in h.json["integrations"] if x["integration_id"] == "slack"]
        self.assertEqual(len(slack), 1, h)
        slack = slack[0]
        self.assertLessEqual({"integration_id", "status", "last_check", "response_time_ms", "error_rate"}, set(slack))
        self.assertEqual(slack["executions"], 3)
        self.assertGreater(slack["error_rate"], 0)
        self.assertIn(slack["status"], ("degraded", "down"))  # at least one in three failed
        self.assertTrue(slack["issues"])
        self.assertRegex(slack["last_check"], r"^\d{4}-\d\d-\d\dT")
        self.assertApiError(self.call("GET", "/api/v2/health?window_minutes=0"), 400, "validation_error",
                            "window_minutes")

        u = self.call("GET", f"/api/v2/usage?integration_id=slack&start_date={start}", key=key)
        self.assertEqual(u.status, 200, u)
        (row,) = u.json["usage"]
        self.assertEqual((row["integration_id"], row["total_requests"], row["successful_requests"],
                          row["failed_requests"]), ("slack", 3, 2, 1))
        self.assertLessEqual({"avg_response_time_ms", "data_transferred_mb"}, set(row))
        self.assertEqual(self.call("GET", "/api/v2/usage?end_date=2001-01-01", key=key).json["usage"], [])
        self.assertEqual(self.call("GET", "/api/v2/usage?integration_id=teams", key=key).json["usage"], [])
        self.assertApiError(self.call("GET", "/api/v2/usage?start_date=nope"), 400, "validation_error", "start_date")

    # --- probes and metrics -----------------------------------------------------------------

    def test_healthz_readyz_and_metrics(self):
        self.assertEqual(request(self.env.url, "GET", "/healthz").json["status"], "ok")
        r = request(self.env.url, "GET", "/readyz")
        self.assertEqual((r.status, r.json["status"], r.json["problems"]), (200, "ready", []))

        self.assertExecuteOk(self.send(text="metrics"), "Send Message")
        self.call("GET", "/api/v2/connections/" + self.conn)
        self.call("GET", "/api/v2/no/such/route")
        self.wait_logged(1)
        m = request(self.env.url, "GET", "/metrics")
        self.assertEqual(m.status, 200)
        self.assertTrue(m.headers["Content-Type"].startswith("text/plain; version=0.0.4"), m.headers)
        text = m.text
        count = re.search(r'^plugboard_http_requests_total\{method="POST",route="/api/v2/execute",status="200"\} (\d+)$',
                          text, re.M)
        self.assertTrue(count and int(count.group(1)) >= 1, text[:2000])
        # Route labels are templates, never the raw path with its id.
        self.assertIn('route="/api/v2/connections/{id}",status="200"', text)
        self.assertNotIn(self.conn, text)
        self.assertIn('route="unmatched",status="404"', text)
        self.assertRegex(text, r'plugboard_http_request_duration_seconds_bucket\{method="POST",'
                               r'route="/api/v2/execute",le="\+Inf"\} \d+')
        self.assertRegex(text, r'plugboard_executions_total\{provider="slack",action="send-message",'
                               r'status="success"\} [1-9]\d*')
        for family in ("plugboard_plugins_loaded", "plugboard_plugin_load_failures",
                       "plugboard_webhook_outbox_depth", "plugboard_webhook_deliveries",
                       "plugboard_execution_log_dropped_total"):
            self.assertIn("# TYPE " + family, text)
        self.assertRegex(text, r"(?m)^plugboard_webhook_outbox_depth 0$")
        # Every sample line is name{labels} value.
        for line in text.splitlines():
            if line and not line.startswith("#"):
                self.assertRegex(line, r'^[a-z_]+(\{.*\})? [0-9.+Inf-]+$')


class RetentionTest(unittest.TestCase):
    """Its own server: a plugin folder with one broken manifest, retention of one day checked
    every second, and a small payload cap."""

    @classmethod
    def setUpClass(cls):
        cls.env = Env()
        cls.plugins = tempfile.mkdtemp(prefix="pb-plugins-")
        try:
            src = os.environ.get("PLUGBOARD_TEST_PLUGINS")
            for name in os.listdir(src):
                if name.endswith((".so", ".yaml")):
                    os.symlink(os.path.join(src, name), os.path.join(cls.plugins, name))
            with open(os.path.join(cls.plugins, "broken.yaml"), "w") as f:
                f.write("id: broken\nname: [unclosed\n")
            cls.admin = cls.env.create_key()
            cls.env.start(plugins_dir=cls.plugins, extra_env={
                "PLUGBOARD_EXECUTIONS_RETENTION_DAYS": "1", "PLUGBOARD_EXECUTIONS_PRUNE_INTERVAL_S": "1",
                "PLUGBOARD_EXECUTIONS_MAX_PAYLOAD_BYTES": "256"})
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.env.close()
        shutil.rmtree(cls.plugins, ignore_errors=True)

    def call(self, method, path, body=None):
        return self.env.call(method, path, body=body, key=self.admin["key"])

    def test_old_records_are_pruned_and_recent_ones_kept(self):
        old = iso(now() - datetime.timedelta(days=3))
        recent = iso(now() - datetime.timedelta(hours=1))
        with self.env.db() as db:
            for i, started in enumerate([old, old, recent]):
                db.execute("INSERT INTO executions (id, request_id, workspace_id, project_id, connection_id,"
                           " provider, action, status, error_code, duration_ms, started_at, parameters, result)"
                           " VALUES (?, 'r', ?, ?, 'c', 'slack', 'send-message', 'success', '', 5, ?, '{}', '{}')",
                           (f"exec_seeded{i}", self.admin["workspace_id"], self.admin["project_id"], started))
        deadline = time.monotonic() + 15
        while True:
            with self.env.db() as db:
                left = [r[0] for r in db.execute("SELECT id FROM executions WHERE id LIKE 'exec_seeded%' ORDER BY id")]
            if left == ["exec_seeded2"] or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(left, ["exec_seeded2"])
        self.assertIn("execution log retention: deleted", self.env.log_text())

    def test_payloads_are_capped(self):
        conn = new_connection(self.env, self.admin["key"], self.admin["project_id"])["id"]
        body = {"workspace_id": self.admin["workspace_id"], "project_id": self.admin["project_id"],
                "connection_id": conn, "action": "send-message",
                "parameters": {"channel": "#general", "text": "x" * 5000}}
        r = self.call("POST", "/api/v2/execute", body)
        self.assertEqual(r.status, 200, r)
        exec_id = r.json["metadata"]["execution_id"]
        deadline = time.monotonic() + 10
        while True:
            one = self.call("GET", "/api/v2/executions/" + exec_id)
            if one.status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(one.status, 200, one)
        self.assertIs(one.json["parameters"]["truncated"], True)
        with self.env.db() as db:
            (stored,) = db.execute("SELECT parameters FROM executions WHERE id = ?", (exec_id,)).fetchone()
        self.assertLess(len(stored), 300)

    def test_metrics_count_the_broken_plugin(self):
        text = request(self.env.url, "GET", "/metrics").text
        self.assertRegex(text, r'(?m)^plugboard_plugin_load_failures\{provider="[^"]+"\} 1$')
        r = request(self.env.url, "GET", "/readyz")
        self.assertEqual(r.status, 200, r)  # the other plugins serve


if __name__ == "__main__":
    unittest.main(verbosity=2)
