#!/usr/bin/python3
"""Connections: create with bearer credentials, secrets never echoed, filters, errors, delete, tenancy."""

import unittest

from harness import PlugboardTestCase, SLACK_TOKEN

# A token the fake would refuse, but any string works for checking it never comes back out.
SECRET = "xoxb-very-secret-token-4242"

CONNECTION_KEYS = {"id", "integration_id", "provider", "name", "status", "auth_type", "workspace_id",
                   "project_id", "configuration", "credentials", "has_credentials", "created_on",
                   "updated_at", "last_sync"}


class ConnectionsTest(PlugboardTestCase):
    @classmethod
    def prepare_keys(cls):
        cls.other = cls.env.create_key(workspace="other", project="p2", name="o")

    def setUp(self):
        self.seen = []  # every response body of the test, to check the secret never leaks

    def call(self, *a, **kw):
        r = super().call(*a, **kw)
        self.seen.append(r.text)
        return r

    def tearDown(self):
        for text in self.seen:
            self.assertNotIn(SECRET, text)

    def test_create_get_list_never_show_the_token(self):
        c = self.create_connection(credentials={"token": SECRET}, name="My Slack")
        self.assertEqual(set(c), CONNECTION_KEYS)
        default_slack = self.call("GET", "/api/v2/integrations/slack").json["id"]
        self.assertEqual((c["integration_id"], c["provider"], c["auth_type"], c["status"]),
                         (default_slack, "slack", "bearer", "connected"))
        self.assertEqual((c["workspace_id"], c["project_id"], c["name"]), (self.ws, self.project, "My Slack"))
        self.assertEqual(c["credentials"], {"token": "[REDACTED]"})
        self.assertIs(c["has_credentials"], True)
        r = self.call("GET", f"/api/v2/connections/{c['id']}")
        self.assertEqual((r.status, r.json), (200, c))
        r = self.call("GET", "/api/v2/connections")
        self.assertEqual(r.status, 200, r)
        self.assertIn(c["id"], [x["id"] for x in r.json["connections"]])
        self.assertLessEqual({"connections", "total", "limit", "offset"}, set(r.json))

    def test_list_filters(self):
        live = self.create_connection(name="filter-live")
        pending = self.create_connection(credentials=False, name="filter-pending")
        self.assertEqual(pending["status"], "pending")
        self.assertIs(pending["has_credentials"], False)
        self.assertEqual(pending["credentials"], {})

        def ids(query):
            r = self.call("GET", "/api/v2/connections" + query)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json["total"], len(r.json["connections"]), r)  # all fit one page
            return {x["id"] for x in r.json["connections"]}

        self.assertLessEqual({live["id"], pending["id"]}, ids("?integration_id=slack"))
        self.assertEqual(ids("?integration_id=teams"), set())
        connected = ids("?status=connected")
        self.assertIn(live["id"], connected)
        self.assertNotIn(pending["id"], connected)
        self.assertEqual(ids("?status=pending&integration_id=slack") & {live["id"], pending["id"]}, {pending["id"]})
        self.assertEqual(ids(f"?workspace_id={self.other['workspace_id']}"), set())
        r = self.call("GET", "/api/v2/connections?limit=1")
        self.assertEqual(len(r.json["connections"]), 1)
        self.assertGreaterEqual(r.json["total"], 2)

    def test_create_errors(self):
        base = {"integration_id": "slack", "project_id": self.project, "auth_type": "bearer",
                "credentials": {"token": SLACK_TOKEN}}
        cases = [
            ({"integration_id": "no-such"}, "integration_id"),
            ({"auth_type": "api_key"}, "auth_type"),
            ({"credentials": {}}, "credentials.token"),
            ({"credentials": {"token": ""}}, "credentials.token"),
            ({"credentials": {"token": 42}}, "credentials.token"),
            ({"integration_id": None}, "integration_id"),
            ({"project_id": "no-such-project"}, "project_id"),
            ({"credentials": "xoxb"}, "credentials"),
        ]
        for change, field in cases:
            with self.subTest(change=change):
                body = dict(base, **change)
                self.assertApiError(self.call("POST", "/api/v2/connections", body), 400, "validation_error", field)
        self.assertApiError(self.call("POST", "/api/v2/connections", raw="{not json"), 400, "validation_error")

    def test_delete_disconnects_and_keeps_the_record(self):
        # Seed 003: the credentials are gone, the record and its log stay, as disconnected.
        c = self.create_connection()
        r = self.call("DELETE", f"/api/v2/connections/{c['id']}")
        self.assertEqual((r.status, r.text), (204, ""))
        got = self.call("GET", f"/api/v2/connections/{c['id']}").json
        self.assertEqual((got["status"], got["has_credentials"], got["credentials"]), ("disconnected", False, {}))
        self.assertEqual(self.call("DELETE", f"/api/v2/connections/{c['id']}").status, 204)  # idempotent
        r = self.execute(c["id"], "list-channels")
        self.assertExecuteError(r, 400, "CONNECTION_INACTIVE")
        self.assertApiError(self.call("PATCH", f"/api/v2/connections/{c['id']}", {"name": "x"}), 409, "conflict")
        self.assertApiError(self.call("DELETE", "/api/v2/connections/no-such-id"), 404, "not_found")

    def test_patch_disable_enable_and_replace_credentials(self):
        c = self.create_connection()
        r = self.call("PATCH", f"/api/v2/connections/{c['id']}", {"name": "Renamed", "status": "disabled"})
        self.assertEqual((r.status, r.json["name"], r.json["status"]), (200, "Renamed", "disabled"))
        self.assertExecuteError(self.execute(c["id"], "list-channels"), 400, "CONNECTION_INACTIVE")
        r = self.call("PATCH", f"/api/v2/connections/{c['id']}", {"credentials": {"token": SECRET}})
        self.assertEqual(r.json["status"], "connected")
        self.assertExecuteError(self.execute(c["id"], "list-channels"), 500, "EXECUTION_FAILED")  # fake refuses SECRET
        r = self.call("PATCH", f"/api/v2/connections/{c['id']}", {"credentials": {"token": SLACK_TOKEN}})
        self.assertEqual(self.execute(c["id"], "list-channels").status, 200)
        self.assertApiError(self.call("PATCH", f"/api/v2/connections/{c['id']}", {"status": "weird"}), 400,
                            "validation_error", "status")
        self.assertApiError(self.call("PATCH", f"/api/v2/connections/{c['id']}", {"provider": "x"}), 400,
                            "validation_error", "provider")
        self.assertApiError(self.call("PATCH", f"/api/v2/connections/{c['id']}", {"credentials": {}}), 400,
                            "validation_error", "credentials.token")

    def test_test_and_status(self):
        c = self.create_connection()
        t = self.call("POST", f"/api/v2/connections/{c['id']}/test")
        self.assertEqual((t.status, t.json["status"]), (200, "success"), t)
        self.assertEqual(t.json["details"]["user_info"]["team"], "Fake Workspace")
        self.assertIsInstance(t.json["details"]["response_time_ms"], int)
        bad = self.create_connection(credentials={"token": SECRET})
        f = self.call("POST", f"/api/v2/connections/{bad['id']}/test").json
        self.assertEqual((f["status"], f["details"]["error"]["details"]["provider_error"]), ("failed", "invalid_auth"))
        self.execute(c["id"], "list-channels")
        self.execute(c["id"], "send-message", {"channel": "#nope", "text": "x"})
        self.env.stop()  # flushes the execution log
        self.env.start()
        s = self.call("GET", f"/api/v2/connections/{c['id']}/status").json
        self.assertEqual((s["usage"]["executions"], s["usage"]["failed"]), (2, 1))
        self.assertIn(s["health"], ("degraded", "down"))

    def test_other_workspace(self):
        mine = self.create_connection(credentials={"token": SECRET})
        okey, ows, oproj = self.other["key"], self.other["workspace_id"], self.other["project_id"]
        self.assertApiError(self.call("GET", f"/api/v2/connections/{mine['id']}", key=okey), 404, "not_found")
        self.assertApiError(self.call("DELETE", f"/api/v2/connections/{mine['id']}", key=okey), 404, "not_found")
        self.assertNotIn(mine["id"], self.call("GET", "/api/v2/connections", key=okey).text)
        # The other tenant executing my connection with its own (valid) workspace and project.
        r = self.execute(mine["id"], "list-channels", key=okey, workspace=ows, project=oproj)
        self.assertExecuteError(r, 403, "CONNECTION_MISMATCH")
        # ...and my connection is untouched.
        self.assertEqual(self.call("GET", f"/api/v2/connections/{mine['id']}").status, 200)

    def test_list_with_project_narrowed_key(self):
        p2 = self.call("POST", f"/api/v2/workspaces/{self.ws}/projects", {"name": "narrow-list"}).json
        r = self.call("POST", "/api/v2/api-keys", {"name": "narrow", "permissions": {"projects": [p2["id"]]}})
        narrow = r.json["key"]
        hidden = self.create_connection()  # in project main, invisible to the narrowed key
        visible = self.create_connection(project=p2["id"])
        self.assertApiError(self.call("GET", f"/api/v2/connections/{hidden['id']}", key=narrow), 404, "not_found")
        r = self.call("GET", "/api/v2/connections", key=narrow)
        self.assertEqual([c["id"] for c in r.json["connections"]], [visible["id"]])
        # total must count what the key may see, not leak how many connections other projects hold.
        self.assertEqual(r.json["total"], 1, r)

    def test_create_for_another_workspace_is_forbidden(self):
        body = {"integration_id": "slack", "project_id": self.project, "workspace_id": self.other["workspace_id"],
                "auth_type": "bearer", "credentials": {"token": SLACK_TOKEN}}
        self.assertApiError(self.call("POST", "/api/v2/connections", body), 403, "forbidden", "workspace_id")


if __name__ == "__main__":
    unittest.main()
