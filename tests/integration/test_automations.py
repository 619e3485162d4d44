#!/usr/bin/python3
"""Automations end to end: application events (POST /api/v2/events) that match an
automation's type and conditions run its Slack action at the fake, with parameters built
from templates and mappings; the run is an execution carrying the event id; non-matching
events run nothing; provider failures are retried or recorded; bad rules are 400s naming
the field; other workspaces see nothing."""

import json
import time
import unittest
import uuid

from harness import PlugboardTestCase


class AutomationsTest(PlugboardTestCase):
    server_env = {"PLUGBOARD_AUTOMATIONS_RETRY_DELAY_SECONDS": "1", "PLUGBOARD_AUTOMATIONS_MAX_ATTEMPTS": "3"}

    @classmethod
    def prepare_keys(cls):
        cls.other = cls.env.create_key(workspace="other-co", project="elsewhere", name="other")["key"]
        cls.reader = cls.env.create_key(name="reader", operations="read")["key"]
        cls.writer = cls.env.create_key(name="writer", operations="read,write")["key"]

    def setUp(self):
        self.env.fake.reset()
        self.conn = self.create_connection()["id"]
        # Each test listens for its own event type: automations of earlier tests stay active.
        self.etype = "comment.created." + uuid.uuid4().hex[:8]

    # --- helpers -----------------------------------------------------------------------------

    def automation(self, **fields):
        body = {"name": "Notify on comments", "event": self.etype, "connection_id": self.conn,
                "action": "send-message",
                "parameters": {"channel": "#general", "text": "{{author.name}} commented: {{data.text}}"}}
        body.update(fields)
        r = self.call("POST", "/api/v2/automations", body)
        self.assertEqual(r.status, 201, r)
        return r.json

    def event(self, type_=None, key=None, **data):
        r = self.call("POST", "/api/v2/events", {"type": type_ or self.etype, "data": data}, key=key)
        self.assertEqual(r.status, 202, r)
        return r.json

    def runs(self, automation_id):
        r = self.call("GET", f"/api/v2/automations/{automation_id}/runs")
        self.assertEqual(r.status, 200, r)
        return r.json["runs"]

    def wait_runs(self, automation_id, count, statuses=("succeeded", "failed", "cancelled"), timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            done = [x for x in self.runs(automation_id) if x["status"] in statuses]
            if len(done) >= count:
                return done
            if time.monotonic() > deadline:
                raise AssertionError(f"not {count} finished runs: {self.runs(automation_id)}")
            time.sleep(0.05)

    def posted(self):
        return [json.loads(r["body"]) for r in self.env.fake.requests("chat.postMessage")]

    def execution_row(self, execution_id):
        # The batch writer flushes within a moment; poll rather than sleep a fixed time.
        deadline = time.monotonic() + 10
        while True:
            rows = self.env.query("SELECT event_id, action, status, connection_id FROM executions WHERE id = ?",
                                  (execution_id,))
            row = rows[0] if rows else None
            if row or time.monotonic() > deadline:
                return row
            time.sleep(0.05)

    # --- tests -------------------------------------------------------------------------------

    def test_matching_event_runs_the_action_with_templates_and_mappings(self):
        a = self.automation(
            conditions=[{"field": "data.priority", "operator": "greater_than", "value": 2},
                        {"field": "text", "operator": "contains", "value": "ship"}],
            mappings=[{"source": "author.name", "target": "username", "transform": "uppercase"},
                      {"kokoField": "data.channel", "externalField": "channel", "transform": "lowercase"}])
        self.assertRegex(a["id"], r"^aut_[0-9a-f]+$")
        self.assertEqual(a["project_id"], self.project)
        self.assertIsNone(a["last_run"])
        self.assertEqual(a["mappings"][1], {"source": "data.channel", "target": "channel", "transform": "lowercase"})

        e = self.event(text="please ship it", priority=3, channel="#GENERAL", author={"name": "Ada"})
        (run,) = self.wait_runs(a["id"], 1)
        self.assertEqual(run["status"], "succeeded", run)
        self.assertEqual((run["event_id"], run["attempts"], run["error"]), (e["id"], 1, None))
        (sent,) = self.posted()
        self.assertEqual(sent["channel"], "#general")
        self.assertEqual(sent["text"], "Ada commented: please ship it")
        self.assertEqual(sent["username"], "ADA")

        row = self.execution_row(run["execution_id"])
        self.assertEqual(row, (e["id"], "send-message", "success", self.conn))
        got = self.call("GET", f"/api/v2/automations/{a['id']}").json
        self.assertEqual(got["last_run"]["status"], "succeeded")
        self.assertIsNone(got["last_run"]["error"])

    def test_events_that_do_not_match_run_nothing(self):
        a = self.automation(conditions=[{"field": "priority", "operator": "equals", "value": "high"}])
        self.event(text="x", priority="low", author={"name": "A"})  # condition fails
        self.event(self.etype + "x", text="x", priority="high", author={"name": "A"})  # other type
        self.event(text="x", author={"name": "A"})  # field missing
        paused = self.automation(active=False)
        e = self.event(text="yes", priority="high", author={"name": "B"})
        (run,) = self.wait_runs(a["id"], 1)
        self.assertEqual(run["event_id"], e["id"])
        time.sleep(0.5)  # nothing else may arrive late
        self.assertEqual(len(self.runs(a["id"])), 1)
        self.assertEqual(self.runs(paused["id"]), [])
        self.assertEqual([m["text"] for m in self.posted()], ["B commented: yes"])

    def test_same_event_is_one_run_per_automation(self):
        a = self.automation(parameters={"channel": "#general", "text": "one"})
        b = self.automation(parameters={"channel": "#random", "text": "two"})
        e = self.event(author={"name": "A"})
        self.assertEqual(self.wait_runs(a["id"], 1)[0]["event_id"], e["id"])
        self.assertEqual(self.wait_runs(b["id"], 1)[0]["event_id"], e["id"])
        self.env.restart()  # the dispatcher may hand the event again: still one run each
        time.sleep(0.5)
        self.assertEqual((len(self.runs(a["id"])), len(self.runs(b["id"]))), (1, 1))
        self.assertEqual(sorted(m["text"] for m in self.posted()), ["one", "two"])

    def test_missing_template_field_fails_the_run_visibly(self):
        a = self.automation()
        self.event(text="no author here")
        (run,) = self.wait_runs(a["id"], 1)
        self.assertEqual(run["status"], "failed")
        self.assertEqual(run["error"]["code"], "TEMPLATE_FIELD_MISSING")
        self.assertIn("author.name", run["error"]["message"])
        self.assertIsNone(run["execution_id"])
        self.assertEqual(self.posted(), [])
        got = self.call("GET", f"/api/v2/automations/{a['id']}").json["last_run"]
        self.assertEqual(got["status"], "failed")
        self.assertTrue(got["error"].startswith("TEMPLATE_FIELD_MISSING"), got)

    def test_provider_errors_fail_and_rate_limits_are_retried(self):
        archived = self.automation(parameters={"channel": "#general", "text": "t"})
        self.env.fake.ratelimit(1, retry_after=1, method="chat.postMessage")
        e = self.event(author={"name": "A"})
        (run,) = self.wait_runs(archived["id"], 1)
        self.assertEqual(run["status"], "succeeded", run)
        # The host's HTTP client honours Retry-After within the deadline: one attempt, two posts.
        self.assertEqual((run["attempts"], len(self.posted())), (1, 2))
        self.assertEqual(self.execution_row(run["execution_id"])[0], e["id"])

        bad = self.automation(parameters={"channel": "#no-such-channel", "text": "t"})
        self.call("PATCH", f"/api/v2/automations/{archived['id']}", {"active": False})
        self.event(author={"name": "A"})
        (run,) = self.wait_runs(bad["id"], 1)
        self.assertEqual(run["status"], "failed", run)
        self.assertEqual(run["attempts"], 1)  # channel_not_found is not retryable
        self.assertEqual(run["error"]["code"], "PROVIDER_ERROR", run)  # the plugin's own code
        self.assertIn("channel_not_found", run["error"]["message"])
        self.assertEqual(self.execution_row(run["execution_id"])[2], "error")

    def test_retryable_failures_are_tried_again_until_max_attempts(self):
        a = self.automation(parameters={"channel": "ratelimited", "text": "t"})  # always 429
        self.event(author={"name": "A"})
        (run,) = self.wait_runs(a["id"], 1, timeout=40)
        self.assertEqual(run["status"], "failed", run)
        self.assertEqual(run["attempts"], 3)
        self.assertIsNotNone(run["execution_id"])

    def test_bad_rules_are_400s_naming_the_field(self):
        base = {"name": "n", "event": "comment.created", "connection_id": self.conn, "action": "send-message"}
        cases = [
            ({"event": "has spaces"}, "event"),
            ({"conditions": {"field": "x"}}, "conditions"),
            ({"conditions": [{"field": "x", "operator": "matches", "value": 1}]}, "conditions[0].operator"),
            ({"conditions": [{"field": "x", "operator": "equals"}]}, "conditions[0].value"),
            ({"mappings": [{"source": "a", "target": "b", "transform": "custom",
                            "customTransform": "x => x"}]}, "mappings[0].transform"),
            ({"action": "no-such-action"}, "action"),
            ({"parameters": "text"}, "parameters"),
            ({"active": "yes"}, "active"),
            ({"surprise": 1}, "surprise"),
        ]
        for change, field in cases:
            with self.subTest(field=field):
                body = dict(base, **change)
                self.assertApiError(self.call("POST", "/api/v2/automations", body), 400, "validation_error", field)
        self.assertApiError(self.call("POST", "/api/v2/automations", dict(base, connection_id="conn_nope")),
                            404, "not_found")
        missing = {k: v for k, v in base.items() if k != "name"}
        self.assertApiError(self.call("POST", "/api/v2/automations", missing), 400, "validation_error", "name")
        self.assertApiError(self.call("POST", "/api/v2/automations", raw=b"{not json"), 400, "validation_error")

    def test_crud_and_listing(self):
        a = self.automation(description="first")
        b = self.automation(name="second")
        r = self.call("GET", "/api/v2/automations?limit=1&offset=1")
        self.assertEqual(r.status, 200, r)
        self.assertGreaterEqual(r.json["total"], 2)
        self.assertEqual(len(r.json["automations"]), 1)
        r = self.call("PATCH", f"/api/v2/automations/{a['id']}",
                      {"name": "renamed", "conditions": [{"field": "x", "operator": "equals", "value": 1}]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["name"], r.json["description"]), ("renamed", "first"))
        self.assertEqual(r.json["conditions"], [{"field": "x", "operator": "equals", "value": 1}])
        self.assertApiError(self.call("PATCH", f"/api/v2/automations/{a['id']}", {"action": "nope"}),
                            400, "validation_error", "action")
        self.assertEqual(self.call("GET", f"/api/v2/automations/{a['id']}").json["action"], "send-message")
        self.assertEqual(self.call("DELETE", f"/api/v2/automations/{b['id']}").status, 204)
        self.assertApiError(self.call("GET", f"/api/v2/automations/{b['id']}"), 404, "not_found")
        self.assertApiError(self.call("DELETE", f"/api/v2/automations/{b['id']}"), 404, "not_found")
        self.assertApiError(self.call("GET", f"/api/v2/automations/{b['id']}/runs"), 404, "not_found")

    def test_permissions_and_other_workspaces(self):
        a = self.automation()
        body = {"name": "n", "event": "comment.created", "connection_id": self.conn, "action": "send-message"}
        self.assertApiError(self.call("POST", "/api/v2/automations", body, key=self.reader), 403, "forbidden")
        # Configuring automations is an admin's job (seed 003): a writer cannot.
        self.assertApiError(self.call("POST", "/api/v2/automations", body, key=self.writer), 403, "forbidden")
        self.assertEqual(self.call("GET", f"/api/v2/automations/{a['id']}", key=self.reader).status, 200)
        for method, path in [("GET", f"/api/v2/automations/{a['id']}"),
                             ("PATCH", f"/api/v2/automations/{a['id']}"),
                             ("DELETE", f"/api/v2/automations/{a['id']}"),
                             ("GET", f"/api/v2/automations/{a['id']}/runs")]:
            with self.subTest(method=method):
                self.assertApiError(self.call(method, path, {} if method == "PATCH" else None, key=self.other),
                                    404, "not_found")
        r = self.call("GET", "/api/v2/automations", key=self.other)
        self.assertEqual((r.json["automations"], r.json["total"]), ([], 0))
        # Another workspace's connection cannot be named, and its events run nothing here.
        self.assertApiError(self.call("POST", "/api/v2/automations", body, key=self.other), 404, "not_found",
                            "connection_id")
        self.event(key=self.other, author={"name": "X"})
        time.sleep(0.5)
        self.assertEqual(self.runs(a["id"]), [])


if __name__ == "__main__":
    unittest.main()
