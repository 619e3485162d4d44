#!/usr/bin/python3
"""Isolation: a key of one workspace can neither read, change nor execute anything of another
(403 or 404, never data), for every resource; expired and revoked keys fail; oversized and
malformed bodies on every POST/PATCH route fail cleanly with a code."""

import json
import time
import unittest

from harness import PlugboardTestCase, SLACK_TOKEN

MAX_BODY = 65536


class IsolationTest(PlugboardTestCase):
    server_env = {"PLUGBOARD_WEBHOOKS_EGRESS_ALLOW_LOOPBACK": "true", "PLUGBOARD_MAX_BODY_BYTES": str(MAX_BODY)}

    @classmethod
    def prepare_keys(cls):
        cls.other = cls.env.create_key(workspace="other-co", project="ops", name="other")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        call = lambda method, path, body=None: cls.env.call(method, path, body, key=cls.key)  # noqa: E731

        def made(r, status=201):
            assert r.status == status, r
            return r.json

        # Everything workspace acme owns, one of each kind.
        cls.conn = made(call("POST", "/api/v2/connections", {
            "integration_id": "slack", "project_id": cls.project, "auth_type": "bearer",
            "credentials": {"token": SLACK_TOKEN}, "name": "acme-slack"}))
        cls.integration = made(call("POST", "/api/v2/integrations", {
            "name": "Acme Private Slack", "type": "slack"}))
        cls.webhook = made(call("POST", "/api/v2/webhooks", {
            "name": "acme hook", "url": "http://127.0.0.1:9/acme-hook", "events": ["record_created"]}))
        cls.event = made(call("POST", "/api/v2/events", {"type": "record_created", "data": {"acme": "private"}}), 202)
        cls.trigger = made(call("POST", "/api/v2/triggers", {
            "connection_id": cls.conn["id"], "trigger": "events", "name": "acme events",
            "config": {"signing_secret": "acme-signing-secret"}}))
        cls.api_key = made(call("POST", "/api/v2/api-keys", {"name": "acme second key"}))
        cls.project2 = made(call("POST", f"/api/v2/workspaces/{cls.ws}/projects", {"name": "acme-side"}))
        cls.execution = cls.env.call("POST", "/api/v2/execute", {
            "workspace_id": cls.ws, "project_id": cls.project, "connection_id": cls.conn["id"],
            "action": "user-lookup", "parameters": {"email": "alice@example.com"}}, key=cls.key)
        assert cls.execution.status == 200, cls.execution
        cls.automation = made(call("POST", "/api/v2/automations", {
            "name": "acme automation", "event": "record_created", "connection_id": cls.conn["id"],
            "action": "send-message", "parameters": {"channel": "#general", "text": "{{data.acme}}"}}))
        # Execution records are written in batches off the request path: wait for acme's.
        deadline = time.monotonic() + 10
        while not (logged := call("GET", "/api/v2/executions").json["executions"]):
            assert time.monotonic() < deadline, "the execution was never logged"
            time.sleep(0.1)
        cls.execution_id = logged[-1]["id"]
        deliveries = call("GET", f"/api/v2/webhooks/{cls.webhook['id']}/deliveries")
        cls.delivery_id = ((deliveries.json or {}).get("deliveries") or [{}])[0].get("id", "dlv_none")

        # What must never show up in an answer to the other workspace.
        cls.acme_markers = [cls.ws, cls.conn["id"], cls.integration["id"], cls.webhook["id"], cls.event["id"],
                            cls.trigger["id"], cls.api_key["id"], cls.project2["id"], "acme-slack",
                            "Acme Private Slack", "acme-hook", "acme second key", "acme-side", "private",
                            cls.automation["id"], "acme automation", cls.execution_id]

    def as_other(self, method, path, body=None, **kw):
        return self.env.call(method, path, body=body, key=self.other["key"], **kw)

    def assertNoAcmeData(self, r, sent=""):
        """No acme id or name in the answer, except what the client itself sent (a 404 may say
        "connection <id> not found" about the id in the path: that tells the client nothing)."""
        for marker in self.acme_markers:
            if marker in sent:
                continue
            self.assertNotIn(marker, r.text, f"{r.status} {r.text[:300]}")

    # --- another workspace's key -----------------------------------------------------------

    def test_other_workspace_cannot_read_change_or_delete(self):
        i, c, w, t, k, e = (self.integration["id"], self.conn["id"], self.webhook["id"], self.trigger["id"],
                            self.api_key["id"], self.event["id"])
        p2, a = self.project2["id"], self.automation["id"]
        attempts = [
            ("GET", f"/api/v2/connections/{c}", None),
            ("PATCH", f"/api/v2/connections/{c}", {"name": "stolen"}),
            ("DELETE", f"/api/v2/connections/{c}", None),
            ("POST", f"/api/v2/connections/{c}/test", None),
            ("GET", f"/api/v2/connections/{c}/status", None),
            ("GET", f"/api/v2/integrations/{i}", None),
            ("DELETE", f"/api/v2/integrations/{i}", None),
            ("GET", f"/api/v2/integrations/{i}/template", None),
            ("GET", f"/api/v2/integrations/{i}/connections", None),
            ("GET", f"/api/v2/integrations/{i}/errors", None),
            ("GET", f"/api/v2/integrations/{i}/audit", None),
            ("GET", f"/api/v2/integrations/{i}/icon", None),
            ("PUT", f"/api/v2/integrations/{i}/icon", None),
            ("DELETE", f"/api/v2/integrations/{i}/icon", None),
            ("GET", f"/api/v2/integrations/{i}/shares", None),
            ("PUT", f"/api/v2/integrations/{i}/shares/{self.other['workspace_id']}", {"accessLevel": 1}),
            ("DELETE", f"/api/v2/integrations/{i}/shares/{self.ws}", None),
            ("GET", f"/api/v2/oauth/{i}/authorize-url?project_id={self.project}", None),
            ("POST", f"/api/v2/oauth/{i}/client-credentials", {"project_id": self.project}),
            ("GET", f"/api/v2/webhooks/{w}", None),
            ("PATCH", f"/api/v2/webhooks/{w}", {"name": "stolen"}),
            ("DELETE", f"/api/v2/webhooks/{w}", None),
            ("POST", f"/api/v2/webhooks/{w}/test", None),
            ("GET", f"/api/v2/webhooks/{w}/deliveries", None),
            ("POST", f"/api/v2/webhooks/deliveries/{self.delivery_id}/retry", None),
            ("GET", f"/api/v2/events/{e}", None),
            ("GET", f"/api/v2/triggers/{t}", None),
            ("PATCH", f"/api/v2/triggers/{t}", {"name": "stolen"}),
            ("DELETE", f"/api/v2/triggers/{t}", None),
            ("GET", f"/api/v2/automations/{a}", None),
            ("PATCH", f"/api/v2/automations/{a}", {"name": "stolen"}),
            ("DELETE", f"/api/v2/automations/{a}", None),
            ("GET", f"/api/v2/automations/{a}/runs", None),
            ("GET", f"/api/v2/executions/{self.execution_id}", None),
            ("GET", f"/api/v2/api-keys/{k}", None),
            ("DELETE", f"/api/v2/api-keys/{k}", None),
            ("GET", f"/api/v2/workspaces/{self.ws}", None),
            ("GET", f"/api/v2/workspaces/{self.ws}/projects", None),
            ("POST", f"/api/v2/workspaces/{self.ws}/projects", {"name": "planted"}),
            ("GET", f"/api/v2/workspaces/{self.ws}/projects/{p2}", None),
            ("DELETE", f"/api/v2/workspaces/{self.ws}/projects/{p2}", None),
            # acme's integration from the other workspace's own project
            ("POST", "/api/v2/connections", {"integration_id": i, "project_id": self.other["project_id"],
                                             "auth_type": "bearer", "credentials": {"token": "t"}}),
            ("POST", "/api/v2/triggers", {"connection_id": c, "trigger": "events",
                                          "config": {"signing_secret": "s"}}),
        ]
        for method, path, body in attempts:
            with self.subTest(method=method, path=path):
                r = self.as_other(method, path, body)
                # An acme id inside a body is refused as a reference to nothing (400, the same
                # answer a made-up id gets); in a path, with 403 or 404.
                by_reference = path in ("/api/v2/connections", "/api/v2/triggers")
                self.assertIn(r.status, (400, 403, 404) if by_reference else (403, 404), r)
                self.assertIsNotNone(r.json, r)
                self.assertIn(r.json["errors"][0]["code"], ("forbidden", "not_found", "validation_error")
                              if by_reference else ("forbidden", "not_found"), r)
                self.assertNoAcmeData(r, sent=path + json.dumps(body))

        # Nothing changed: acme still sees everything as it was.
        for path, name in [(f"/api/v2/connections/{c}", "acme-slack"), (f"/api/v2/webhooks/{w}", "acme hook"),
                           (f"/api/v2/triggers/{t}", "acme events"), (f"/api/v2/integrations/{i}", None),
                           (f"/api/v2/automations/{a}", "acme automation"),
                           (f"/api/v2/api-keys/{k}", None), (f"/api/v2/workspaces/{self.ws}/projects/{p2}", None)]:
            r = self.call("GET", path)
            self.assertEqual(r.status, 200, (path, r))
            if name:
                self.assertEqual(r.json["name"], name, r)
        self.assertIs(self.call("GET", f"/api/v2/api-keys/{k}").json["revoked"], False)
        projects = self.call("GET", f"/api/v2/workspaces/{self.ws}/projects").json
        self.assertNotIn("planted", json.dumps(projects))

    def test_other_workspace_lists_show_none_of_ours(self):
        for path in ["/api/v2/connections", f"/api/v2/connections?workspace_id={self.ws}",
                     f"/api/v2/connections?integration_id={self.integration['id']}", "/api/v2/integrations",
                     "/api/v2/webhooks", "/api/v2/triggers", "/api/v2/api-keys", "/api/v2/audit",
                     f"/api/v2/audit?workspace_id={self.ws}", "/api/v2/workspaces", "/api/v2/automations",
                     "/api/v2/executions", f"/api/v2/executions?connection_id={self.conn['id']}",
                     f"/api/v2/executions?workspace_id={self.ws}", "/api/v2/health", "/api/v2/usage",
                     f"/api/v2/usage?workspace_id={self.ws}"]:
            with self.subTest(path=path):
                r = self.as_other("GET", path)
                self.assertIn(r.status, (200, 403, 404), r)
                self.assertNoAcmeData(r, sent=path)
        # The same lists do show them to acme: the check above is not vacuous.
        self.assertIn(self.conn["id"], self.call("GET", "/api/v2/connections").text)
        self.assertIn(self.webhook["id"], self.call("GET", "/api/v2/webhooks").text)
        self.assertIn(self.trigger["id"], self.call("GET", "/api/v2/triggers").text)
        self.assertIn(self.api_key["id"], self.call("GET", "/api/v2/api-keys").text)
        self.assertIn(self.integration["id"], self.call("GET", "/api/v2/integrations").text)
        self.assertIn(self.automation["id"], self.call("GET", "/api/v2/automations").text)
        self.assertIn(self.execution_id, self.call("GET", "/api/v2/executions").text)

    def test_other_workspace_cannot_execute_on_our_connection(self):
        c = self.conn["id"]
        other_ws, other_project = self.other["workspace_id"], self.other["project_id"]
        for ws, project, status, codes in [
                (other_ws, other_project, 404, {"CONNECTION_NOT_FOUND"}),
                (other_ws, self.project, 403, {"ACCESS_DENIED"}),
                (self.ws, self.project, 403, {"ACCESS_DENIED"})]:
            with self.subTest(ws=ws, project=project):
                r = self.execute(c, "user-lookup", {"email": "alice@example.com"}, key=self.other["key"],
                                 workspace=ws, project=project)
                self.assertIn(r.status, (403, 404), r)
                self.assertIn(r.json["error"]["code"], {"CONNECTION_NOT_FOUND", "ACCESS_DENIED",
                                                        "CONNECTION_MISMATCH"}, r)
                self.assertNotIn("data", r.json)
        r = self.env.call("POST", f"/api/execute/{c}/user-lookup", {"email": "alice@example.com"},
                          key=self.other["key"], headers={"X-Workspace-ID": other_ws, "X-Project-ID": other_project})
        self.assertIn(r.status, (403, 404), r)
        self.assertNotIn("data", r.json)
        # Nothing reached Slack on the other key's behalf.
        before = len(self.env.fake.requests("users.lookupByEmail"))
        self.execute(c, "user-lookup", {"email": "bob@example.com"}, key=self.other["key"],
                     workspace=other_ws, project=other_project)
        self.assertEqual(len(self.env.fake.requests("users.lookupByEmail")), before)

    # --- keys that are no longer valid ----------------------------------------------------

    def test_expired_and_revoked_keys_fail_everywhere(self):
        expired = self.call("POST", "/api/v2/api-keys", {"name": "expired", "expires_at": "2000-01-01T00:00:00Z"})
        self.assertEqual(expired.status, 201, expired)
        soon = self.call("POST", "/api/v2/api-keys", {
            "name": "expires soon", "expires_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 2))})
        self.assertEqual(soon.status, 201, soon)
        revoked = self.call("POST", "/api/v2/api-keys", {"name": "to revoke"})
        self.assertEqual(self.call("GET", "/api/v2/connections", key=revoked.json["key"]).status, 200)
        self.assertEqual(self.call("GET", "/api/v2/connections", key=soon.json["key"]).status, 200)
        self.assertEqual(self.call("DELETE", f"/api/v2/api-keys/{revoked.json['id']}").status, 204)
        time.sleep(2.5)
        for name, key in [("expired", expired.json["key"]), ("expired while in use", soon.json["key"]),
                          ("revoked", revoked.json["key"])]:
            for method, path in [("GET", "/api/v2/connections"), ("GET", f"/api/v2/connections/{self.conn['id']}"),
                                 ("GET", "/api/v2/webhooks"), ("POST", "/api/v2/events"),
                                 ("GET", "/api/v2/api-keys")]:
                with self.subTest(key=name, path=path):
                    r = self.call(method, path, {"type": "record_created"} if method == "POST" else None, key=key)
                    self.assertApiError(r, 401, "unauthorized")
                    self.assertNoAcmeData(r)
            with self.subTest(key=name, path="execute"):
                r = self.execute(self.conn["id"], "user-lookup", {"email": "a@example.com"}, key=key)
                self.assertExecuteError(r, 401, "INVALID_API_KEY")

    # --- bad bodies -----------------------------------------------------------------------

    def body_routes(self):
        """Every POST/PATCH/PUT route that reads a JSON body, with ids acme owns."""
        c, w, t, i = self.conn["id"], self.webhook["id"], self.trigger["id"], self.integration["id"]
        return [
            ("POST", "/api/v2/connections"), ("PATCH", f"/api/v2/connections/{c}"),
            ("POST", "/api/v2/integrations"), ("POST", "/api/v2/integrations/import"),
            ("PUT", f"/api/v2/integrations/{i}/shares/{self.ws}"),
            ("POST", f"/api/v2/oauth/{i}/client-credentials"),
            ("POST", "/api/v2/webhooks"), ("PATCH", f"/api/v2/webhooks/{w}"),
            ("POST", "/api/v2/events"),
            ("POST", "/api/v2/triggers"), ("PATCH", f"/api/v2/triggers/{t}"),
            ("POST", "/api/v2/api-keys"),
            ("POST", "/api/v2/workspaces"), ("POST", f"/api/v2/workspaces/{self.ws}/projects"),
        ]

    def assertCleanError(self, r, statuses, codes):
        self.assertIn(r.status, statuses, r)
        self.assertIsNotNone(r.json, r)
        if "errors" in r.json:
            self.assertIn(r.json["errors"][0]["code"], codes, r)
            self.assertTrue(r.json["request_id"], r)
        else:
            self.assertIn(r.json["error"]["code"], codes, r)

    def test_malformed_bodies_get_400_with_a_code(self):
        routes = self.body_routes() + [("POST", "/api/v2/execute")]
        for method, path in routes:
            for raw in ['{"name": ', "not json", "[1, 2]", '"a string"', "\x00\xff", '{"name": "x"} trailing']:
                with self.subTest(method=method, path=path, body=raw):
                    r = self.call(method, path, raw=raw)
                    self.assertCleanError(r, (400,), {"validation_error", "INVALID_REQUEST"})
        self.assertEqual(self.call("GET", "/healthz").status, 200)

    def test_oversized_bodies_get_413_with_a_code(self):
        big = json.dumps({"name": "x" * (MAX_BODY + 10)})
        routes = self.body_routes() + [("POST", "/api/v2/execute"),
                                       ("POST", f"/api/execute/{self.conn['id']}/user-lookup")]
        for method, path in routes:
            with self.subTest(method=method, path=path, how="content-length"):
                r = self.call(method, path, raw=big,
                              headers={"X-Workspace-ID": self.ws, "X-Project-ID": self.project})
                self.assertCleanError(r, (413,), {"payload_too_large", "PAYLOAD_TOO_LARGE"})
        # Chunked, so the size is only known while reading.
        for method, path in [("POST", "/api/v2/events"), ("POST", "/api/v2/execute")]:
            with self.subTest(method=method, path=path, how="chunked"):
                # An iterable body with no Content-Length: http.client sends it chunked.
                r = self.call(method, path, raw=iter([big[i:i + 8192].encode() for i in range(0, len(big), 8192)]))
                self.assertCleanError(r, (413,), {"payload_too_large", "PAYLOAD_TOO_LARGE"})
        self.assertEqual(self.call("GET", "/healthz").status, 200)


if __name__ == "__main__":
    unittest.main()
