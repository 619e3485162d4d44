#!/usr/bin/python3
"""API keys and tenancy: CLI keys, workspaces, projects, key lifecycle and permissions."""

import unittest

from harness import PlugboardTestCase


class KeysAndTenancyTest(PlugboardTestCase):
    @classmethod
    def prepare_keys(cls):
        # CLI keys are made before the server starts; all of them in workspace acme.
        cls.reader = cls.env.create_key(name="reader", operations="read")["key"]
        cls.other = cls.env.create_key(workspace="other", project="p2", name="o")

    def new_key(self, **body):
        body.setdefault("name", "api-made")
        r = self.call("POST", "/api/v2/api-keys", body)
        self.assertEqual(r.status, 201, r)
        return r.json

    def test_cli_key_works(self):
        self.assertTrue(self.admin["key"])
        self.assertEqual(self.call("GET", "/api/v2/workspaces").status, 200)
        self.assertEqual(self.env.call("GET", "/api/v2/workspaces",
                                       headers={"Authorization": "Bearer " + self.key}).status, 200)

    def test_workspaces(self):
        r = self.call("GET", "/api/v2/workspaces")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["total"], 1)
        (w,) = r.json["workspaces"]
        self.assertEqual((w["id"], w["name"]), (self.ws, "acme"))
        self.assertIn("created_at", w)
        r = self.call("GET", f"/api/v2/workspaces/{self.ws}")
        self.assertEqual((r.status, r.json["id"]), (200, self.ws))
        # Another tenant's workspace does not exist for this key.
        self.assertApiError(self.call("GET", f"/api/v2/workspaces/{self.other['workspace_id']}"), 404, "not_found")

    def test_projects_create_list_get(self):
        r = self.call("POST", f"/api/v2/workspaces/{self.ws}/projects", {"name": "second"})
        self.assertEqual(r.status, 201, r)
        p = r.json
        self.assertEqual(set(p), {"id", "workspace_id", "name", "created_at"})
        self.assertEqual((p["workspace_id"], p["name"]), (self.ws, "second"))
        r = self.call("GET", f"/api/v2/workspaces/{self.ws}/projects")
        self.assertEqual(r.status, 200, r)
        ids = [x["id"] for x in r.json["projects"]]
        self.assertIn(p["id"], ids)
        self.assertIn(self.project, ids)
        r = self.call("GET", f"/api/v2/workspaces/{self.ws}/projects/{p['id']}")
        self.assertEqual((r.status, r.json), (200, p))
        self.assertApiError(self.call("GET", f"/api/v2/workspaces/{self.ws}/projects/nope"), 404, "not_found")
        # Duplicate name in one workspace: 409.
        self.assertApiError(self.call("POST", f"/api/v2/workspaces/{self.ws}/projects", {"name": "second"}),
                            409, "conflict")
        self.assertApiError(self.call("POST", f"/api/v2/workspaces/{self.ws}/projects", {}),
                            400, "validation_error", field="name")

    def test_api_key_create_shows_secret_once(self):
        k = self.new_key(name="once", permissions={"operations": ["read", "execute"]},
                         rate_limit={"requests_per_hour": 1000, "burst_limit": 100})
        self.assertTrue(k["key"])
        self.assertEqual(k["permissions"]["operations"], ["read", "execute"])
        self.assertEqual(k["rate_limit"], {"requests_per_hour": 1000, "burst_limit": 100})
        self.assertIsNone(k["last_used"])
        r = self.call("GET", "/api/v2/api-keys")
        self.assertEqual(r.status, 200, r)
        listed = [x for x in r.json["api_keys"] if x["id"] == k["id"]]
        self.assertEqual(len(listed), 1)
        self.assertNotIn("key", listed[0])
        self.assertNotIn(k["key"], r.text)
        r = self.call("GET", f"/api/v2/api-keys/{k['id']}")
        self.assertEqual(r.status, 200, r)
        self.assertNotIn("key", r.json)
        self.assertNotIn(k["key"], r.text)
        # The new key authenticates.
        self.assertEqual(self.call("GET", "/api/v2/workspaces", key=k["key"]).status, 200)

    def test_revoke(self):
        k = self.new_key(name="to-revoke")
        self.assertEqual(self.call("GET", "/api/v2/workspaces", key=k["key"]).status, 200)
        r = self.call("DELETE", f"/api/v2/api-keys/{k['id']}")
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.text, "")
        self.assertApiError(self.call("GET", "/api/v2/workspaces", key=k["key"]), 401, "unauthorized")
        r = self.execute("whatever", "send-message", key=k["key"])
        self.assertExecuteError(r, 401, "INVALID_API_KEY")
        self.assertIs(self.call("GET", f"/api/v2/api-keys/{k['id']}").json["revoked"], True)
        self.assertApiError(self.call("DELETE", "/api/v2/api-keys/no-such-key"), 404, "not_found")

    def test_expired_key(self):
        k = self.new_key(name="expired", expires_at="2000-01-01T00:00:00Z")
        self.assertEqual(k["expires_at"], "2000-01-01T00:00:00Z")
        self.assertApiError(self.call("GET", "/api/v2/workspaces", key=k["key"]), 401, "unauthorized")
        self.assertExecuteError(self.execute("x", "send-message", key=k["key"]), 401, "INVALID_API_KEY")

    def test_bad_expires_at(self):
        self.assertApiError(self.call("POST", "/api/v2/api-keys", {"name": "x", "expires_at": "tomorrow"}),
                            400, "validation_error", field="expires_at")

    def test_non_admin_cannot_create_keys(self):
        k = self.new_key(name="rw", permissions={"operations": ["read", "write", "execute"]})
        self.assertApiError(self.call("POST", "/api/v2/api-keys", {"name": "x"}, key=k["key"]), 403, "forbidden")
        self.assertApiError(self.call("POST", "/api/v2/api-keys", {"name": "x"}, key=self.reader), 403, "forbidden")
        self.assertApiError(self.call("GET", "/api/v2/api-keys", key=self.reader), 403, "forbidden")

    def test_key_without_execute_gets_access_denied(self):
        conn = self.create_connection()
        k = self.new_key(name="no-exec", permissions={"operations": ["read", "write"]})
        r = self.execute(conn["id"], "send-message", {"channel": "#general", "text": "hi"}, key=k["key"])
        self.assertExecuteError(r, 403, "ACCESS_DENIED")
        r = self.execute(conn["id"], "send-message", {"channel": "#general", "text": "hi"}, key=self.reader)
        self.assertExecuteError(r, 403, "ACCESS_DENIED")

    def test_key_narrowed_to_a_project(self):
        p2 = self.call("POST", f"/api/v2/workspaces/{self.ws}/projects", {"name": "narrow"}).json
        k = self.new_key(name="narrow", permissions={"projects": [p2["id"]]})
        ids = [x["id"] for x in self.call("GET", f"/api/v2/workspaces/{self.ws}/projects", key=k["key"]).json["projects"]]
        self.assertEqual(ids, [p2["id"]])
        conn = self.create_connection()  # in project main, which the narrowed key cannot use
        r = self.execute(conn["id"], "list-channels", key=k["key"])
        self.assertExecuteError(r, 403, "ACCESS_DENIED")

    def test_other_workspace_key_is_isolated(self):
        okey = self.other["key"]
        r = self.call("GET", "/api/v2/workspaces", key=okey)
        self.assertEqual([w["name"] for w in r.json["workspaces"]], ["other"])
        self.assertApiError(self.call("GET", f"/api/v2/workspaces/{self.ws}/projects", key=okey), 404, "not_found")
        self.assertNotIn(self.admin["id"], self.call("GET", "/api/v2/api-keys", key=okey).text)
        self.assertApiError(self.call("GET", f"/api/v2/api-keys/{self.admin['id']}", key=okey), 404, "not_found")

    def test_key_narrowed_to_an_integration(self):
        conn = self.create_connection()
        k = self.new_key(name="teams-only", permissions={"integrations": ["teams"]})
        self.assertExecuteError(self.execute(conn["id"], "list-channels", key=k["key"]), 403, "ACCESS_DENIED")

    def test_api_key_errors(self):
        for body, field in (({}, "name"),
                            ({"name": "x", "permissions": {"operations": ["fly"]}}, "permissions.operations"),
                            ({"name": "x", "permissions": {"projects": [self.other["project_id"]]}},
                             "permissions.projects"),
                            ({"name": "x", "rate_limit": {"requests_per_hour": 0, "burst_limit": 1}},
                             "rate_limit.requests_per_hour")):
            with self.subTest(body=body):
                self.assertApiError(self.call("POST", "/api/v2/api-keys", body), 400, "validation_error", field)

    def test_api_key_list_total_counts_all_keys(self):
        for i in range(3):
            self.new_key(name=f"count-{i}")
        everything = self.call("GET", "/api/v2/api-keys?limit=100").json
        page = self.call("GET", "/api/v2/api-keys?limit=1").json
        self.assertEqual(len(page["api_keys"]), 1)
        # API.md: list responses say `total` - the number of matching records, not of this page.
        self.assertEqual(page["total"], len(everything["api_keys"]))

    def test_project_list_total_counts_all_projects(self):
        for i in range(2):
            self.call("POST", f"/api/v2/workspaces/{self.ws}/projects", {"name": f"count-{i}"})
        everything = self.call("GET", f"/api/v2/workspaces/{self.ws}/projects?limit=100").json
        page = self.call("GET", f"/api/v2/workspaces/{self.ws}/projects?limit=1").json
        self.assertEqual(len(page["projects"]), 1)
        self.assertEqual(page["total"], len(everything["projects"]))

    def test_create_workspace_returns_its_admin_key(self):
        r = self.call("POST", "/api/v2/workspaces", {"name": "fresh-tenant"})
        self.assertEqual(r.status, 201, r)
        w = r.json
        self.assertEqual(w["name"], "fresh-tenant")
        self.assertEqual(w["api_key"]["operations"], ["admin"])
        r = self.call("GET", "/api/v2/workspaces", key=w["api_key"]["key"])
        self.assertEqual([x["id"] for x in r.json["workspaces"]], [w["id"]])
        # The creating key does not gain access to the new workspace.
        self.assertApiError(self.call("GET", f"/api/v2/workspaces/{w['id']}"), 404, "not_found")
        self.assertApiError(self.call("POST", "/api/v2/workspaces", {"name": "fresh-tenant"}), 409, "conflict")

    def test_project_with_connections_cannot_be_deleted(self):
        p = self.call("POST", f"/api/v2/workspaces/{self.ws}/projects", {"name": "doomed"}).json
        conn = self.create_connection(project=p["id"])
        path = f"/api/v2/workspaces/{self.ws}/projects/{p['id']}"
        self.assertApiError(self.call("DELETE", path), 409, "conflict")
        self.assertEqual(self.call("DELETE", f"/api/v2/connections/{conn['id']}").status, 204)
        self.assertEqual(self.call("DELETE", path).status, 204)
        self.assertApiError(self.call("GET", path), 404, "not_found")


if __name__ == "__main__":
    unittest.main()
