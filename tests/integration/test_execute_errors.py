#!/usr/bin/python3
"""Every error code of seed 004's table, with its HTTP status, in the execute envelope.

Codes that need a server restart (INTEGRATION_NOT_FOUND, CONNECTION_INACTIVE,
CREDENTIAL_DECRYPTION_FAILED, a short deadline) are in RestartErrorsTest, which stops and
restarts its own server on the same data dir.
"""

import os
import time
import unittest

from harness import OTHER_MASTER_KEY, PlugboardTestCase, new_connection

NEW_UUID = "00000000-0000-4000-8000-000000000000"


class ExecuteErrorsTest(PlugboardTestCase):
    @classmethod
    def prepare_keys(cls):
        cls.other = cls.env.create_key(workspace="other", project="p2", name="o")
        cls.side = cls.env.create_key(project="side", name="side")  # acme, a second project

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.conn = new_connection(cls.env, cls.key, cls.project)["id"]

    def setUp(self):
        self.env.fake.reset()

    def body(self, **change):
        b = {"workspace_id": self.ws, "project_id": self.project, "connection_id": self.conn,
             "action": "send-message", "parameters": {"channel": "#general", "text": "hi"}}
        b.update(change)
        return {k: v for k, v in b.items() if v is not ...}  # ... drops a field

    def post(self, body=None, raw=None, key=None):
        return self.call("POST", "/api/v2/execute", body, raw=raw, key=key)

    # --- 400 INVALID_REQUEST ---------------------------------------------------------------

    def test_invalid_request_malformed_json(self):
        for raw in ('{"workspace_id": ', "not json at all", "", "{'single': 'quotes'}"):
            with self.subTest(raw=raw):
                err = self.assertExecuteError(self.post(raw=raw), 400, "INVALID_REQUEST")
                self.assertIn("reason", err["details"])

    def test_invalid_request_body_not_an_object(self):
        for raw in ("[]", '"a string"', "42", "null", "true"):
            with self.subTest(raw=raw):
                self.assertExecuteError(self.post(raw=raw), 400, "INVALID_REQUEST")

    def test_invalid_request_parameters_not_an_object(self):
        for params in ([], "channel=#general", 3, True):
            with self.subTest(params=params):
                err = self.assertExecuteError(self.post(self.body(parameters=params)), 400, "INVALID_REQUEST")
                self.assertEqual(err["details"]["field"], "parameters")

    def test_invalid_request_routing_field_not_a_string(self):
        err = self.assertExecuteError(self.post(self.body(workspace_id=5)), 400, "INVALID_REQUEST")
        self.assertEqual(err["details"]["invalid_fields"], ["workspace_id"])

    def test_invalid_request_wrong_parameter_type(self):
        cases = [("send-message", {"channel": 5, "text": "x"}, "channel"),
                 ("list-channels", {"limit": "ten"}, "limit"),
                 ("list-channels", {"limit": 0}, "limit"),
                 ("create-channel", {"name": "Not Valid!"}, "name"),
                 ("send-message", {"channel": "#general", "text": "x", "bogus": 1}, None)]
        for action, params, field in cases:
            with self.subTest(action=action, params=params):
                r = self.post(self.body(action=action, parameters=params))
                err = self.assertExecuteError(r, 400, "INVALID_REQUEST")
                if field:
                    self.assertEqual(err["details"]["field"], field, r)
        self.assertEqual(self.env.fake.requests(), [])  # nothing reached Slack

    # --- 400 MISSING_REQUIRED_FIELDS -------------------------------------------------------

    def test_missing_required_fields(self):
        for name in ("workspace_id", "project_id", "connection_id", "action"):
            for value in (..., "", None):
                with self.subTest(field=name, value=value):
                    err = self.assertExecuteError(self.post(self.body(**{name: value})), 400,
                                                  "MISSING_REQUIRED_FIELDS")
                    self.assertEqual(err["details"]["missing_fields"], [name])
        err = self.assertExecuteError(self.post({}), 400, "MISSING_REQUIRED_FIELDS")
        self.assertEqual(err["details"]["missing_fields"], ["workspace_id", "project_id", "connection_id", "action"])

    def test_missing_required_parameter(self):
        for action, params, field in (("send-message", {"text": "no channel"}, "channel"),
                                      ("user-lookup", {}, "email"),
                                      ("create-channel", {"purpose": "p"}, "name")):
            with self.subTest(action=action):
                r = self.post(self.body(action=action, parameters=params))
                err = self.assertExecuteError(r, 400, "MISSING_REQUIRED_FIELDS")
                self.assertEqual(err["details"]["field"], field, r)
                self.assertEqual(r.json["metadata"]["integration"], "Slack")
        # parameters omitted entirely is {}: channel is then missing.
        self.assertExecuteError(self.post(self.body(parameters=...)), 400, "MISSING_REQUIRED_FIELDS")

    # --- 401 -------------------------------------------------------------------------------

    def test_unauthorized_without_key(self):
        self.assertExecuteError(self.post(self.body(), key=""), 401, "UNAUTHORIZED")
        r = self.env.call("POST", f"/api/execute/{self.conn}/send-message", {"channel": "#general", "text": "x"},
                          headers={"X-Workspace-ID": self.ws, "X-Project-ID": self.project})
        self.assertExecuteError(r, 401, "UNAUTHORIZED")

    def test_invalid_api_key(self):
        # A well-formed key that was never issued, and plain garbage.
        forged = self.key[:-1] + ("A" if self.key[-1] != "A" else "B")
        for bad in (forged, "nope", "Bearer"):
            with self.subTest(key=bad):
                err = self.assertExecuteError(self.post(self.body(), key=bad), 401, "INVALID_API_KEY")
                self.assertEqual(err["message"], "The provided API key is invalid or inactive")
        # Authentication comes before the body is even read.
        self.assertExecuteError(self.post(raw="{broken", key=forged), 401, "INVALID_API_KEY")

    # --- 403 -------------------------------------------------------------------------------

    def test_access_denied_other_workspace(self):
        for ws in (self.other["workspace_id"], NEW_UUID):
            with self.subTest(workspace=ws):
                self.assertExecuteError(self.post(self.body(workspace_id=ws)), 403, "ACCESS_DENIED")

    def test_access_denied_project_not_in_workspace(self):
        for project in (self.other["project_id"], NEW_UUID):
            with self.subTest(project=project):
                self.assertExecuteError(self.post(self.body(project_id=project)), 403, "ACCESS_DENIED")

    def test_connection_mismatch(self):
        # Same workspace, another project of it.
        err = self.assertExecuteError(self.post(self.body(project_id=self.side["project_id"])), 403,
                                      "CONNECTION_MISMATCH")
        self.assertEqual(err["details"]["connection_id"], self.conn)
        # Another tenant naming its own workspace and project but my connection.
        r = self.post(self.body(workspace_id=self.other["workspace_id"], project_id=self.other["project_id"]),
                      key=self.other["key"])
        self.assertExecuteError(r, 403, "CONNECTION_MISMATCH")
        self.assertEqual(self.env.fake.requests(), [])

    # --- 404 -------------------------------------------------------------------------------

    def test_connection_not_found(self):
        for cid in (NEW_UUID, "conn_123"):
            with self.subTest(connection=cid):
                err = self.assertExecuteError(self.post(self.body(connection_id=cid)), 404, "CONNECTION_NOT_FOUND")
                self.assertEqual(err["details"]["connection_id"], cid)

    def test_action_not_found(self):
        r = self.post(self.body(action="append-row"))
        err = self.assertExecuteError(r, 404, "ACTION_NOT_FOUND")
        self.assertEqual(err["details"]["action"], "append-row")
        self.assertEqual(err["details"]["available_actions"],
                         ["send-message", "list-channels", "create-channel", "user-lookup"])

    # --- 500 -------------------------------------------------------------------------------

    def test_no_credentials(self):
        pending = self.create_connection(credentials=False)
        self.assertEqual(pending["status"], "pending")
        r = self.post(self.body(connection_id=pending["id"]))
        err = self.assertExecuteError(r, 500, "NO_CREDENTIALS")
        self.assertEqual(err["details"]["connection_id"], pending["id"])
        self.assertEqual(r.json["metadata"]["action"], "Send Message")

    def test_execution_failed_slack_error(self):
        r = self.post(self.body(parameters={"channel": "#no-such-channel", "text": "x"}))
        err = self.assertExecuteError(r, 500, "EXECUTION_FAILED")
        d = err["details"]
        self.assertEqual(d["provider_error"], "channel_not_found")
        self.assertEqual(d["provider"], "slack")
        self.assertIs(d["retryable"], False)
        self.assertEqual(d["status"], 200)
        self.assertEqual(d["method"], "chat.postMessage")
        self.assertRegex(r.json["metadata"]["execution_id"], r"^exec_[0-9a-f]+$")
        self.assertEqual(r.json["metadata"]["integration"], "Slack")

    def test_execution_failed_wrong_token(self):
        bad = new_connection(self.env, self.key, self.project, token="xoxb-wrong")
        err = self.assertExecuteError(self.post(self.body(connection_id=bad["id"])), 500, "EXECUTION_FAILED")
        self.assertEqual(err["details"]["provider_error"], "invalid_auth")

    def test_provider_429_is_retried_after_retry_after(self):
        self.env.fake.ratelimit(count=1, retry_after=1)
        started = time.monotonic()
        r = self.post(self.body(action="list-channels", parameters={"limit": 5}))
        elapsed = time.monotonic() - started
        data = self.assertExecuteOk(r, "List Channels")
        self.assertEqual(len(data["channels"]), 5)
        calls = self.env.fake.requests()
        self.assertEqual([c["status"] for c in calls], [429, 200])
        self.assertGreaterEqual(elapsed, 0.9, "the host did not wait Retry-After before retrying")

    def test_provider_429_persisting_fails_retryable(self):
        self.env.fake.ratelimit(count=20, retry_after=1)
        r = self.post(self.body(action="list-channels", parameters={}))
        err = self.assertExecuteError(r, 500, "EXECUTION_FAILED")
        d = err["details"]
        self.assertIs(d["retryable"], True)
        self.assertEqual(d["status"], 429)
        self.assertEqual(d["provider_error"], "ratelimited")
        self.assertEqual(d["retry_after"], 1)
        self.assertEqual(len(self.env.fake.requests()), 3)  # slack.yaml: max_attempts 3

    def test_provider_5xx_html_is_retried(self):
        self.env.fake.control("POST", "/_fake/fail", {"count": 1, "status": 503})
        data = self.assertExecuteOk(self.post(self.body(action="list-channels", parameters={"limit": 1})),
                                    "List Channels")
        self.assertEqual(len(data["channels"]), 1)
        self.assertEqual([c["status"] for c in self.env.fake.requests()], [503, 200])

    @unittest.skip("runtime gap: API-key rate_limit (requests_per_hour/burst_limit) is stored but never "
                   "enforced; nothing answers RATE_LIMITED 429 (see execute_service.cpp / server.cpp)")
    def test_api_key_rate_limit(self):
        k = self.call("POST", "/api/v2/api-keys",
                      {"name": "limited", "rate_limit": {"requests_per_hour": 2, "burst_limit": 2}}).json["key"]
        codes = [self.post(self.body(action="user-lookup", parameters={"email": "alice@example.com"}), key=k)
                 for _ in range(3)]
        self.assertEqual([c.status for c in codes[:2]], [200, 200])
        self.assertExecuteError(codes[2], 429, "RATE_LIMITED")
        self.assertIn("Retry-After", codes[2].headers)


class RestartErrorsTest(PlugboardTestCase):
    """Errors that need the server restarted over the same data dir. Each test puts things back."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.conn = new_connection(cls.env, cls.key, cls.project)["id"]

    def tearDown(self):
        if self.env.proc is None or self.env.proc.poll() is not None:
            self.env.proc = None
            self.env.start()

    def run_list(self):
        return self.execute(self.conn, "list-channels", {"limit": 1})

    def test_baseline_connection_works(self):
        self.assertExecuteOk(self.run_list(), "List Channels")

    def test_integration_not_found(self):
        empty = os.path.join(self.env.dir, "no-plugins")
        os.makedirs(empty, exist_ok=True)
        self.env.restart(plugins_dir=empty)
        try:
            self.assertEqual(self.call("GET", "/healthz").json["plugins_loaded"], 0)
            err = self.assertExecuteError(self.run_list(), 404, "INTEGRATION_NOT_FOUND")
            self.assertEqual(err["details"]["integration"], "slack")
        finally:
            self.env.restart()
        self.assertExecuteOk(self.run_list(), "List Channels")

    def test_connection_inactive(self):
        # There is no API to disable a connection yet, so the test sets the status in the store
        # while the server is stopped (the server caches connections, so it must restart).
        self.env.stop()
        with self.env.db() as db:
            db.execute("UPDATE connections SET status='disabled' WHERE id=?", (self.conn,))
        self.env.start()
        try:
            r = self.run_list()
            err = self.assertExecuteError(r, 400, "CONNECTION_INACTIVE")
            self.assertEqual(err["details"]["status"], "disabled")
            self.assertEqual(self.call("GET", f"/api/v2/connections/{self.conn}").json["status"], "disabled")
        finally:
            self.env.stop()
            with self.env.db() as db:
                db.execute("UPDATE connections SET status='connected' WHERE id=?", (self.conn,))
            self.env.start()
        self.assertExecuteOk(self.run_list(), "List Channels")

    def test_credential_decryption_failed(self):
        self.env.restart(master_key=OTHER_MASTER_KEY)
        try:
            self.env.fake.reset()
            r = self.run_list()
            err = self.assertExecuteError(r, 500, "CREDENTIAL_DECRYPTION_FAILED")
            self.assertEqual(err["details"]["connection_id"], self.conn)
            self.assertEqual(self.env.fake.requests(), [])  # nothing sent without a token
        finally:
            self.env.restart()
        self.assertExecuteOk(self.run_list(), "List Channels")

    def test_deadline_stops_retrying(self):
        # With 400 ms left the host cannot honour Retry-After: 1, so it gives up at once.
        self.env.restart(extra_env={"PLUGBOARD_DEADLINE_MS": "400"})
        try:
            self.env.fake.reset()
            self.env.fake.ratelimit(count=5, retry_after=1)
            started = time.monotonic()
            err = self.assertExecuteError(self.run_list(), 500, "EXECUTION_FAILED")
            self.assertLess(time.monotonic() - started, 1.0)
            self.assertIs(err["details"]["retryable"], True)
            self.assertEqual(len(self.env.fake.requests()), 1)
        finally:
            self.env.fake.reset()
            self.env.restart()


if __name__ == "__main__":
    unittest.main()
