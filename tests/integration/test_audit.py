#!/usr/bin/python3
"""Audit log (seed 001 "Get Audit Log"): integration and API key changes recorded with who, what
and {field: {old, new}}; secrets redacted everywhere; filters, cursor pages, workspace scoping."""

import unittest
import urllib.parse

from harness import PlugboardTestCase

CLIENT_SECRET = "cs-audit-secret-4411"
NEW_CLIENT_SECRET = "cs-audit-secret-rotated-5522"
HEADER_SECRET = "hv-audit-secret-6633"
SECRETS = (CLIENT_SECRET, NEW_CLIENT_SECRET, HEADER_SECRET)
ENTRY_FIELDS = {"id", "timestamp", "user", "userKeyId", "action", "resourceType", "resourceId", "changes", "requestId"}


class AuditTest(PlugboardTestCase):
    @classmethod
    def prepare_keys(cls):
        cls.reader = cls.env.create_key(name="reader", operations="read")["key"]
        cls.other = cls.env.create_key(workspace="other", project="p2", name="o")["key"]

    def setUp(self):
        self.seen = []
        self.api_key_secrets = []

    def call(self, *a, **kw):
        r = super().call(*a, **kw)
        self.seen.append((a[1] if len(a) > 1 else kw.get("path", ""), r.text))
        return r

    def tearDown(self):
        for path, text in self.seen:
            for secret in SECRETS:
                self.assertNotIn(secret, text, path)
            if "/audit" in path:
                for key in self.api_key_secrets:
                    self.assertNotIn(key, text, path)
        # Nor in the database: the log stores redacted changes only.
        with self.env.db() as db:
            for (changes,) in db.execute("SELECT changes FROM audit_log"):
                for secret in SECRETS + tuple(self.api_key_secrets):
                    self.assertNotIn(secret, changes)

    def audit(self, path="/api/v2/audit", key=None, **query):
        q = ("?" + urllib.parse.urlencode(query)) if query else ""
        r = self.call("GET", path + q, key=key)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(set(r.json), {"entries", "next_cursor", "limit"}, r)
        for e in r.json["entries"]:
            self.assertEqual(set(e), ENTRY_FIELDS, e)
            self.assertRegex(e["timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        return r.json

    def assertByThisKey(self, entry):
        self.assertEqual(entry["userKeyId"], self.admin["id"])
        self.assertTrue(entry["user"].startswith("k ("), entry)  # the CLI key's name and prefix
        self.assertIn(self.key[:6], entry["user"])

    def test_integration_create_update_delete(self):
        r = self.call("POST", "/api/v2/integrations",
                      {"name": "Audited", "type": "slack", "clientId": "cid", "clientSecret": CLIENT_SECRET,
                       "headers": {"X-Team": HEADER_SECRET}})
        self.assertEqual(r.status, 201, r)
        i = r.json
        create_request = r.headers["X-Request-Id"]
        u = self.call("PATCH", f"/api/v2/integrations/{i['id']}",
                      {"description": "ops", "clientSecret": NEW_CLIENT_SECRET})
        self.assertEqual(u.status, 200, u)
        # The same values again change nothing, so nothing is recorded.
        self.assertEqual(self.call("PATCH", f"/api/v2/integrations/{i['id']}", {"description": "ops"}).status, 200)

        for ref in (i["id"], "audited"):
            log = self.audit(f"/api/v2/integrations/{ref}/audit")
            self.assertEqual([e["action"] for e in log["entries"]], ["update", "create"], log)
            self.assertIsNone(log["next_cursor"])
        update, create = log["entries"]
        for e in (update, create):
            self.assertByThisKey(e)
            self.assertEqual((e["resourceType"], e["resourceId"]), ("integration", i["id"]))
        self.assertEqual(create["requestId"], create_request)
        self.assertEqual(update["requestId"], u.headers["X-Request-Id"])
        self.assertEqual(update["changes"], {
            "description": {"old": i["description"], "new": "ops"},
            "clientSecret": {"old": "[REDACTED]", "new": "[REDACTED]"},
        })
        c = create["changes"]
        self.assertEqual(c["name"], {"new": "Audited"})
        self.assertEqual(c["clientId"], {"new": "cid"})
        self.assertEqual(c["clientSecret"], {"new": "[REDACTED]"})
        self.assertEqual(c["headers"], {"new": {"X-Team": "[REDACTED]"}})
        self.assertNotIn("apiKey", c)  # no secret set, nothing to say
        self.assertTrue(all(set(v) == {"new"} for v in c.values()), c)

        self.assertEqual(self.call("DELETE", f"/api/v2/integrations/{i['id']}").status, 204)
        self.assertApiError(self.call("GET", f"/api/v2/integrations/{i['id']}/audit"), 404, "not_found")
        log = self.audit(resource_type="integration", resource_id=i["id"])
        self.assertEqual([e["action"] for e in log["entries"]], ["delete", "update", "create"])
        gone = log["entries"][0]["changes"]
        self.assertEqual(gone["name"], {"old": "Audited"})
        self.assertEqual(gone["clientSecret"], {"old": "[REDACTED]"})
        self.assertTrue(all(set(v) == {"old"} for v in gone.values()), gone)

    def test_icon_and_shares_are_updates(self):
        i = self.call("POST", "/api/v2/integrations", {"name": "Shared", "type": "slack"}).json
        self.assertEqual(self.call("PUT", f"/api/v2/integrations/{i['id']}/shares/u1", {"accessLevel": 2}).status, 200)
        self.assertEqual(self.call("DELETE", f"/api/v2/integrations/{i['id']}/shares/u1").status, 204)
        log = self.audit(f"/api/v2/integrations/{i['id']}/audit")["entries"]
        self.assertEqual([e["action"] for e in log], ["update", "update", "create"])
        self.assertEqual(log[1]["changes"], {"sharing": {"old": [], "new": [{"principalId": "u1", "accessLevel": 2}]}})
        self.assertEqual(log[0]["changes"], {"sharing": {"old": [{"principalId": "u1", "accessLevel": 2}], "new": []}})

    def test_api_key_create_and_revoke(self):
        r = self.call("POST", "/api/v2/api-keys", {"name": "ci", "permissions": {"operations": ["read"]}})
        self.assertEqual(r.status, 201, r)
        created = r.json
        self.api_key_secrets.append(created["key"])
        self.assertEqual(self.call("DELETE", f"/api/v2/api-keys/{created['id']}").status, 204)
        log = self.audit(resource_type="api_key", resource_id=created["id"])["entries"]
        self.assertEqual([e["action"] for e in log], ["revoke", "create"])
        revoke, create = log
        self.assertByThisKey(create)
        self.assertEqual(create["changes"]["name"], {"new": "ci"})
        self.assertEqual(create["changes"]["prefix"], {"new": created["prefix"]})
        self.assertEqual(create["changes"]["permissions"]["new"]["operations"], ["read"])
        self.assertEqual(revoke["changes"], {"revoked": {"old": False, "new": True}})
        self.assertEqual(self.audit(action="revoke", resource_id=created["id"])["entries"], [revoke])

    def test_filters_and_cursor_pages(self):
        for n in range(5):
            self.assertEqual(self.call("POST", "/api/v2/integrations", {"name": f"Paged {n}", "type": "slack"}).status, 201)
        everything = self.audit(limit=500)["entries"]
        self.assertGreaterEqual(len(everything), 5)
        self.assertEqual(everything, sorted(everything, key=lambda e: e["timestamp"], reverse=True))
        pages, cursor, seen = 0, None, []
        while True:
            q = {"limit": 2} if cursor is None else {"limit": 2, "cursor": cursor}
            page = self.audit(**q)
            seen += page["entries"]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
            self.assertLess(pages, 100)
        self.assertEqual(seen, everything)
        self.assertEqual(len({e["id"] for e in seen}), len(seen))

        first = everything[-1]["timestamp"]
        self.assertEqual(len(self.audit(start_date=first, limit=500)["entries"]), len(everything))
        self.assertEqual(self.audit(start_date="2999-01-01")["entries"], [])
        self.assertEqual(len(self.audit(end_date="2999-12-31", limit=500)["entries"]), len(everything))
        self.assertEqual(self.audit(end_date="2000-01-01T00:00:00Z")["entries"], [])
        creates = self.audit(action="create", resource_type="integration", limit=500)["entries"]
        self.assertTrue(creates and all(e["action"] == "create" for e in creates))

        self.assertApiError(self.call("GET", "/api/v2/audit?cursor=garbage!"), 400, "validation_error", "cursor")
        self.assertApiError(self.call("GET", "/api/v2/audit?start_date=yesterday"), 400, "validation_error", "start_date")
        self.assertApiError(self.call("GET", "/api/v2/audit?resource_type=flow"), 400, "validation_error", "resource_type")
        self.assertApiError(self.call("GET", "/api/v2/audit?action=explode"), 400, "validation_error", "action")
        self.assertApiError(self.call("GET", "/api/v2/audit?limit=0"), 400, "validation_error", "limit")

    def test_other_workspace_and_non_admins_see_nothing(self):
        i = self.call("POST", "/api/v2/integrations", {"name": "Private", "type": "slack", "clientSecret": CLIENT_SECRET}).json
        self.assertTrue(self.audit()["entries"])
        self.assertEqual(self.audit(key=self.other, limit=500)["entries"], [])
        self.assertApiError(self.call("GET", f"/api/v2/integrations/{i['id']}/audit", key=self.other), 404, "not_found")
        self.assertApiError(self.call("GET", "/api/v2/audit", key=self.reader), 403, "forbidden")
        self.assertApiError(self.call("GET", "/api/v2/audit", key=""), 401, "unauthorized")


if __name__ == "__main__":
    unittest.main()
