"""GET /openapi.json: served without a key, valid OpenAPI 3.1 by Spectral's rules, and true to
what the server answers: real responses (execute success and failure, catalog, lists, 401, 404)
validate against the document's response schemas with Ajv.

The routed-paths check (every route the router holds is documented) is the unit test
tests/unit/openapi_test.cpp, which walks the route table itself. Spectral and Ajv come from
tests/openapi (the openapi_npm fixture)."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SOURCE_DIR, PlugboardTestCase  # noqa: E402

TOOLS = os.path.join(SOURCE_DIR, "tests", "openapi")
NODE = os.environ.get("PLUGBOARD_NODE") or "node"
SPECTRAL = os.path.join(TOOLS, "node_modules", "@stoplight", "spectral-cli", "dist", "index.js")


class OpenApiTest(PlugboardTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.mkdtemp(prefix="plugboard-openapi-", dir=cls.env.dir)
        r = cls.env.call("GET", "/openapi.json")
        assert r.status == 200, r
        cls.doc = r.json
        cls.doc_file = os.path.join(cls.tmp, "openapi.json")
        with open(cls.doc_file, "w") as f:
            f.write(r.text)

    def spectral(self, path):
        env = dict(os.environ, SCARF_ANALYTICS="false")
        return subprocess.run([NODE, SPECTRAL, "lint", "--fail-severity=warn", "-r",
                               os.path.join(TOOLS, "spectral.yaml"), path],
                              capture_output=True, text=True, timeout=180, env=env)

    def check(self, samples):
        """[(path template, method, response)] -> Ajv's verdict for each body."""
        data = [{"path": p, "method": m, "status": r.status, "body": r.json} for p, m, r in samples]
        samples_file = os.path.join(self.tmp, "samples.json")
        with open(samples_file, "w") as f:
            json.dump(data, f)
        out = subprocess.run([NODE, os.path.join(TOOLS, "check_responses.mjs"), self.doc_file, samples_file],
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        return json.loads(out.stdout)

    def assertConform(self, samples):
        for (path, method, r), verdict in zip(samples, self.check(samples)):
            self.assertTrue(verdict["ok"], f"{method} {path} -> {r.status}: {verdict.get('errors')}\n{r.text[:500]}")

    def test_served_without_a_key_as_json(self):
        r = self.env.call("GET", "/openapi.json")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.headers["Content-Type"].startswith("application/json"))
        self.assertTrue(r.headers["X-Request-Id"])
        self.assertEqual(self.doc["openapi"], "3.1.0")
        self.assertEqual(self.doc["components"]["securitySchemes"]["ApiKeyHeader"]["name"], "X-API-Key")

    def test_spectral_finds_no_problem(self):
        out = self.spectral(self.doc_file)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)

    def test_spectral_fails_a_broken_document(self):
        # The linter can fail: a dangling $ref and an operation without responses are refused.
        broken = json.loads(json.dumps(self.doc))
        broken["paths"]["/healthz"]["get"].pop("responses")
        broken["paths"]["/api/v2/catalog"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] = {
            "$ref": "#/components/schemas/NoSuchSchema"}
        path = os.path.join(self.tmp, "broken.json")
        with open(path, "w") as f:
            json.dump(broken, f)
        out = self.spectral(path)
        self.assertNotEqual(out.returncode, 0, out.stdout)
        self.assertIn("NoSuchSchema", out.stdout)

    def test_real_responses_match_the_schemas(self):
        conn = self.create_connection()
        ok = self.execute(conn["id"], "send-message", {"channel": "#general", "text": "hello"})
        self.assertEqual(ok.status, 200, ok)
        samples = [
            ("/healthz", "GET", self.env.call("GET", "/healthz")),
            ("/api/integrations/", "GET", self.call("GET", "/api/integrations/")),
            ("/api/v2/catalog", "GET", self.call("GET", "/api/v2/catalog")),
            ("/api/v2/catalog/{provider}", "GET", self.call("GET", "/api/v2/catalog/slack")),
            ("/api/v2/execute", "POST", ok),
            # seed 004 failures: missing fields (400), no key (401), unknown connection (404)
            ("/api/v2/execute", "POST", self.call("POST", "/api/v2/execute", {"action": "send-message"})),
            ("/api/v2/execute", "POST", self.env.call("POST", "/api/v2/execute", {})),
            ("/api/v2/execute", "POST", self.execute("00000000-0000-0000-0000-000000000000", "send-message")),
            ("/api/execute/{connection_id}/{action}", "POST",
             self.call("POST", f"/api/execute/{conn['id']}/send-message", {"channel": "#general", "text": "v1"},
                       headers={"X-Workspace-ID": self.ws, "X-Project-ID": self.project})),
            ("/api/v2/connections", "POST", self.call("POST", "/api/v2/connections", {
                "integration_id": "slack", "project_id": self.project, "auth_type": "bearer",
                "credentials": {"token": "xoxb-test"}})),
            ("/api/v2/connections", "GET", self.call("GET", "/api/v2/connections")),
            ("/api/v2/connections/{id}", "GET", self.call("GET", f"/api/v2/connections/{conn['id']}")),
            ("/api/v2/connections/{id}", "GET", self.call("GET", "/api/v2/connections/nope")),
            ("/api/v2/connections", "GET", self.env.call("GET", "/api/v2/connections")),
            ("/api/v2/connections", "POST", self.call("POST", "/api/v2/connections", {"project_id": self.project})),
            ("/api/v2/integrations", "GET", self.call("GET", "/api/v2/integrations")),
            ("/api/v2/api-keys", "GET", self.call("GET", "/api/v2/api-keys")),
            ("/api/v2/workspaces", "GET", self.call("GET", "/api/v2/workspaces")),
            ("/api/v2/audit", "GET", self.call("GET", "/api/v2/audit")),
            ("/api/v2/webhooks", "GET", self.call("GET", "/api/v2/webhooks")),
            ("/api/v2/triggers", "GET", self.call("GET", "/api/v2/triggers")),
        ]
        auto = self.call("POST", "/api/v2/automations", {
            "name": "n", "event": "openapi.sample", "connection_id": conn["id"], "action": "send-message",
            "conditions": [{"field": "x", "operator": "equals", "value": 1}],
            "mappings": [{"source": "x", "target": "text"}], "parameters": {"channel": "#general"}})
        samples += [
            ("/api/v2/automations", "POST", auto),
            ("/api/v2/automations", "GET", self.call("GET", "/api/v2/automations")),
            ("/api/v2/automations/{id}/runs", "GET", self.call("GET", f"/api/v2/automations/{auto.json['id']}/runs")),
            ("/api/v2/automations", "POST", self.call("POST", "/api/v2/automations", {"name": "n"})),
            ("/api/v2/executions", "GET", self.call("GET", "/api/v2/executions")),
        ]
        statuses = [r.status for _, _, r in samples]
        self.assertEqual(statuses, [200, 200, 200, 200, 200, 400, 401, 404, 200, 201, 200, 200, 404, 401, 400,
                                    200, 200, 200, 200, 200, 200, 201, 200, 200, 400, 200],
                         [r for _, _, r in samples])
        self.assertConform(samples)

    def test_schemas_refuse_what_the_server_must_not_send(self):
        # The validation can fail: an envelope with a stray field, an unknown execute code and a
        # leaked credential are each refused.
        conn = self.create_connection()
        ok = self.execute(conn["id"], "send-message", {"channel": "#general", "text": "hello"})
        bad_ok = type(ok)(200, ok.headers, json.dumps(dict(ok.json, extra=1)))
        failed = self.env.call("POST", "/api/v2/execute", {})
        bad_code = json.loads(failed.text)
        bad_code["error"]["code"] = "SOMETHING_ELSE"
        bad_failed = type(failed)(401, failed.headers, json.dumps(bad_code))
        got = self.call("GET", f"/api/v2/connections/{conn['id']}")
        leaked = json.loads(got.text)
        leaked["credentials"] = {"token": "xoxb-test"}
        bad_conn = type(got)(200, got.headers, json.dumps(leaked))
        verdicts = self.check([("/api/v2/execute", "POST", bad_ok), ("/api/v2/execute", "POST", bad_failed),
                               ("/api/v2/connections/{id}", "GET", bad_conn)])
        self.assertEqual([v["ok"] for v in verdicts], [False, False, False], verdicts)


if __name__ == "__main__":
    unittest.main(verbosity=2)
