#!/usr/bin/python3
"""Integrations: defaults, CRUD by id or slug, 409, filters, ETag, secrets redacted, icons, shares,
templates, cascade delete, error summary, and apiBaseUri + headers reaching the provider."""

import unittest

from harness import PlugboardTestCase, SLACK_TOKEN

CLIENT_SECRET = "cs-very-secret-9911"
HEADER_SECRET = "hv-very-secret-7733"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")


class IntegrationsTest(PlugboardTestCase):
    def setUp(self):
        self.seen = []

    def call(self, *a, **kw):
        r = super().call(*a, **kw)
        self.seen.append(r.text)
        return r

    def tearDown(self):
        for text in self.seen:
            self.assertNotIn(CLIENT_SECRET, text)
            self.assertNotIn(HEADER_SECRET, text)

    def create(self, **fields):
        body = {"name": "Slack Eng", "type": "slack"}
        body.update(fields)
        r = self.call("POST", "/api/v2/integrations", body)
        self.assertEqual(r.status, 201, r)
        return r.json

    def test_every_provider_has_a_default_integration(self):
        r = self.call("GET", "/api/v2/integrations")
        self.assertEqual(r.status, 200, r)
        slack = [i for i in r.json["integrations"] if i["slug"] == "slack"]
        self.assertEqual(len(slack), 1)
        self.assertIs(slack[0]["default"], True)
        self.assertEqual(slack[0]["authType"], "bearer")
        self.assertEqual(self.call("GET", "/api/v2/integrations/slack").json["id"], slack[0]["id"])
        self.assertApiError(self.call("DELETE", "/api/v2/integrations/slack"), 409, "conflict")

    def test_create_get_update_delete_with_secrets_redacted(self):
        i = self.create(name="Slack Ops", clientId="cid", clientSecret=CLIENT_SECRET, scope="chat:write",
                        headers={"X-Team": HEADER_SECRET}, data={"region": "eu"}, authType="oauth2")
        self.assertEqual(i["slug"], "slack-ops")
        self.assertEqual(i["clientSecret"], "[REDACTED]")
        self.assertEqual(i["headers"], {"X-Team": "[REDACTED]"})
        self.assertEqual(i["data"], {"region": "eu"})
        self.assertEqual(i["authType"], "oauth2")
        for ref in (i["id"], "slack-ops"):
            self.assertEqual(self.call("GET", f"/api/v2/integrations/{ref}").json["id"], i["id"])
        u = self.call("PATCH", f"/api/v2/integrations/{i['id']}", {"description": "ops", "sandbox": True})
        self.assertEqual(u.status, 200, u)
        self.assertEqual((u.json["description"], u.json["sandbox"], u.json["clientSecret"]), ("ops", True, "[REDACTED]"))
        self.assertEqual(self.call("DELETE", f"/api/v2/integrations/{i['id']}").status, 204)
        self.assertApiError(self.call("GET", f"/api/v2/integrations/{i['id']}"), 404, "not_found")

    def test_validation_and_conflicts(self):
        self.create(name="Dup")
        self.assertApiError(self.call("POST", "/api/v2/integrations", {"name": "Dup", "type": "slack"}), 409, "conflict")
        self.assertApiError(self.call("POST", "/api/v2/integrations", {"type": "slack"}), 400, "validation_error", "name")
        self.assertApiError(self.call("POST", "/api/v2/integrations", {"name": "X", "type": "nope"}), 400,
                            "validation_error", "type")
        self.assertApiError(self.call("POST", "/api/v2/integrations", {"name": "X", "type": "slack", "mode": "odd"}),
                            400, "validation_error", "mode")
        self.assertApiError(self.call("POST", "/api/v2/integrations",
                                      {"name": "X", "type": "slack", "apiBaseUri": "ftp://x"}),
                            400, "validation_error", "apiBaseUri")
        self.assertApiError(self.call("POST", "/api/v2/integrations", {"name": "X", "type": "slack", "colour": 1}),
                            400, "validation_error", "colour")

    def test_list_filters_paging_and_etag(self):
        self.create(name="Findme Alpha", description="needle in here")
        self.create(name="Sandboxed", sandbox=True)
        q = self.call("GET", "/api/v2/integrations?q=NEEDLE")
        self.assertEqual([i["name"] for i in q.json["integrations"]], ["Findme Alpha"])
        sb = self.call("GET", "/api/v2/integrations?sandbox=true")
        self.assertTrue(sb.json["integrations"])
        self.assertTrue(all(i["sandbox"] for i in sb.json["integrations"]))
        page = self.call("GET", "/api/v2/integrations?limit=1&offset=1")
        self.assertEqual(len(page.json["integrations"]), 1)
        self.assertGreaterEqual(page.json["total"], 3)
        full = self.call("GET", "/api/v2/integrations")
        etag = full.headers["etag"]
        again = self.call("GET", "/api/v2/integrations", headers={"If-None-Match": etag})
        self.assertEqual(again.status, 304)
        self.assertEqual(again.text, "")
        self.create(name="Changes The List")
        self.assertEqual(self.call("GET", "/api/v2/integrations", headers={"If-None-Match": etag}).status, 200)

    def test_icon_shares_template_and_errors(self):
        i = self.create(name="Iconic", clientSecret=CLIENT_SECRET, headers={"X-A": HEADER_SECRET})
        path = f"/api/v2/integrations/{i['id']}"
        self.assertApiError(self.call("GET", path + "/icon"), 404, "not_found")
        put = self.call("PUT", path + "/icon", raw=PNG, headers={"Content-Type": "image/png"})
        self.assertEqual(put.status, 204, put)
        got = self.call("GET", path + "/icon")
        self.assertEqual((got.status, got.headers["content-type"]), (200, "image/png"))
        self.assertApiError(self.call("PUT", path + "/icon", raw=b"x", headers={"Content-Type": "text/plain"}),
                            400, "validation_error")
        self.assertEqual(self.call("DELETE", path + "/icon").status, 204)

        self.assertEqual(self.call("PUT", path + "/shares/marketing", {"accessLevel": 1}).status, 200)
        self.assertEqual(self.call("GET", path + "/shares").json["shares"], [{"principalId": "marketing", "accessLevel": 1}])
        self.assertEqual(self.call("DELETE", path + "/shares/marketing").status, 204)
        self.assertApiError(self.call("DELETE", path + "/shares/marketing"), 404, "not_found")

        t = self.call("GET", path + "/template").json["template"]
        self.assertNotIn("clientSecret", t)
        clone = self.call("POST", "/api/v2/integrations/import", {"template": t, "name": "Iconic Clone"})
        self.assertEqual(clone.status, 201, clone)
        self.assertEqual((clone.json["type"], clone.json["slug"]), ("slack", "iconic-clone"))
        self.assertEqual(self.call("GET", path + "/errors").json, {"errors": []})

    def test_connections_follow_their_integration(self):
        fake = self.env.fake
        i = self.create(name="Via Base", apiBaseUri=f"{fake.url}/api", headers={"X-Tenant": "${tenant.id}"})
        r = self.call("POST", "/api/v2/connections", {"integration_id": i["slug"], "project_id": self.project,
                                                      "credentials": {"token": SLACK_TOKEN}})
        self.assertEqual(r.status, 201, r)
        conn = r.json
        self.assertEqual((conn["integration_id"], conn["provider"]), (i["id"], "slack"))
        listed = self.call("GET", f"/api/v2/integrations/{i['id']}/connections").json
        self.assertEqual([c["id"] for c in listed["connections"]], [conn["id"]])

        fake.reset()
        ok = self.execute(conn["id"], "user-lookup", {"email": "alice@example.com"})
        self.assertEqual(ok.status, 200, ok)
        seen = fake.requests()
        self.assertTrue(seen)
        self.assertEqual(seen[-1]["headers"].get("X-Tenant"), self.ws)

        bad = self.execute(conn["id"], "send-message", {"channel": "#nope", "text": "x"})
        self.assertEqual(bad.status, 500, bad)
        errors = self.call("GET", f"/api/v2/integrations/{i['id']}/errors")
        self.env.stop()  # flushes the execution log
        self.env.start()
        errors = self.call("GET", f"/api/v2/integrations/{i['id']}/errors").json["errors"]
        self.assertEqual([(e["action"], e["numError"]) for e in errors], [("send-message", 1)])

        # The integration's base URL wins over the provider's: pointed at a closed port, it fails.
        dead = self.create(name="Dead End", apiBaseUri="http://127.0.0.1:1/api")
        r = self.call("POST", "/api/v2/connections", {"integration_id": dead["id"], "project_id": self.project,
                                                      "credentials": {"token": SLACK_TOKEN}})
        gone = self.execute(r.json["id"], "user-lookup", {"email": "alice@example.com"})
        self.assertEqual(gone.status, 500, gone)
        self.assertEqual(gone.json["error"]["details"]["error_code"], "PROVIDER_UNREACHABLE", gone)

        # Deleting the integration takes its connections with it.
        self.assertEqual(self.call("DELETE", f"/api/v2/integrations/{i['id']}").status, 204)
        self.assertApiError(self.call("GET", f"/api/v2/connections/{conn['id']}"), 404, "not_found")

    def test_per_user_connections_belong_to_their_user(self):
        fake = self.env.fake
        i = self.create(name="Per User", mode="per-user", apiBaseUri=f"{fake.url}/api",
                        headers={"X-User-Email": "${user.email}", "X-Tenant": "${tenant.id}"})
        body = {"integration_id": i["id"], "project_id": self.project, "credentials": {"token": SLACK_TOKEN}}
        self.assertApiError(self.call("POST", "/api/v2/connections", body), 400, "validation_error", "user.id")
        body["user"] = {"id": "u-ada", "email": "ada@example.com"}
        conn = self.call("POST", "/api/v2/connections", body).json
        self.assertEqual(conn["user"], {"id": "u-ada", "email": "ada@example.com"})

        fake.reset()
        params = {"workspace_id": self.ws, "project_id": self.project, "connection_id": conn["id"],
                  "action": "user-lookup", "parameters": {"email": "alice@example.com"}}
        ok = self.call("POST", "/api/v2/execute", dict(params, user_id="u-ada"))
        self.assertEqual(ok.status, 200, ok)
        self.assertEqual(fake.requests()[-1]["headers"].get("X-User-Email"), "ada@example.com")
        self.assertEqual(fake.requests()[-1]["headers"].get("X-Tenant"), self.ws)
        self.assertExecuteError(self.call("POST", "/api/v2/execute", dict(params, user_id="u-bob")), 403,
                                "CONNECTION_MISMATCH")
        self.assertExecuteError(self.call("POST", "/api/v2/execute", params), 403, "CONNECTION_MISMATCH")
        v1 = self.call("POST", f"/api/execute/{conn['id']}/user-lookup", {"email": "alice@example.com"},
                       headers={"X-Workspace-ID": self.ws, "X-Project-ID": self.project, "X-User-Id": "u-ada"})
        self.assertEqual(v1.status, 200, v1)


if __name__ == "__main__":
    unittest.main()
