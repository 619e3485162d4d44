#!/usr/bin/python3
"""Catalog: seed 000's listing to the letter, and the v2 catalog with full descriptors."""

import unittest

from harness import PlugboardTestCase

SEED_000_KEYS = {"id", "name", "description", "category", "status", "requires_oauth", "supported_features"}


class CatalogTest(PlugboardTestCase):
    def slack_entry(self, entries):
        found = [e for e in entries if e["id"] == "slack"]
        self.assertEqual(len(found), 1, entries)
        return found[0]

    def test_seed_000_listing(self):
        r = self.call("GET", "/api/integrations/")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(set(r.json), {"integrations"})
        self.assertIsInstance(r.json["integrations"], list)
        slack = self.slack_entry(r.json["integrations"])
        self.assertLessEqual(SEED_000_KEYS, set(slack))  # extra fields are allowed
        self.assertEqual(slack["name"], "Slack")
        self.assertEqual(slack["description"], "Send notifications to Slack channels")
        self.assertEqual(slack["category"], "communication")
        self.assertEqual(slack["status"], "available")
        self.assertIs(slack["requires_oauth"], True)  # slack offers oauth2
        self.assertIsInstance(slack["supported_features"], list)
        # seed 000 lists exactly these three for slack; list_channels may come on top.
        self.assertLessEqual({"send_message", "create_channel", "user_lookup"}, set(slack["supported_features"]))
        self.assertTrue(all(isinstance(f, str) for f in slack["supported_features"]))

    def test_listing_without_trailing_slash(self):
        self.assertEqual(self.call("GET", "/api/integrations").status, 200)

    def test_listing_needs_a_key(self):
        self.assertApiError(self.call("GET", "/api/integrations/", key=""), 401, "unauthorized")

    def test_v2_catalog(self):
        r = self.call("GET", "/api/v2/catalog")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["total"], len(r.json["providers"]))
        slack = self.slack_entry(r.json["providers"])
        self.assertLessEqual(SEED_000_KEYS, set(slack))
        self.assertEqual(slack["version"], "1.0.0")
        self.assertEqual(slack["auth_types"], ["bearer", "oauth2"])
        self.assertEqual(slack["actions"], ["send-message", "list-channels", "create-channel", "user-lookup"])
        self.assertEqual(slack["triggers"], ["events"])

    def test_v2_catalog_filters(self):
        ids = lambda r: [p["id"] for p in r.json["providers"]]  # noqa: E731
        r = self.call("GET", "/api/v2/catalog?category=communication")
        self.assertEqual(r.status, 200, r)
        self.assertIn("slack", ids(r))
        r = self.call("GET", "/api/v2/catalog?category=file_storage")
        self.assertNotIn("slack", ids(r))
        self.assertEqual(r.json["total"], len(r.json["providers"]))
        for q in ("slack", "SLACK", "notifications"):  # id, case-insensitive, description
            self.assertIn("slack", ids(self.call("GET", "/api/v2/catalog?q=" + q)), q)
        r = self.call("GET", "/api/v2/catalog?q=no-such-thing-xyz")
        self.assertEqual((r.json["providers"], r.json["total"]), ([], 0))

    def test_v2_descriptor(self):
        r = self.call("GET", "/api/v2/catalog/slack")
        self.assertEqual(r.status, 200, r)
        d = r.json
        self.assertEqual(d["id"], "slack")
        self.assertLessEqual(SEED_000_KEYS, set(d))
        bearer = [a for a in d["auth_types"] if a["type"] == "bearer"][0]
        self.assertEqual(bearer["fields"], [{"name": "token", "description": bearer["fields"][0]["description"],
                                             "secret": True, "required": True}])
        oauth = [a for a in d["auth_types"] if a["type"] == "oauth2"][0]
        self.assertTrue(oauth["authorization_url"].startswith("https://slack.com/"))
        self.assertIn("chat:write", oauth["scopes"])
        actions = {a["slug"]: a for a in d["actions"]}
        self.assertEqual(set(actions), {"send-message", "list-channels", "create-channel", "user-lookup"})
        for slug, a in actions.items():
            self.assertLessEqual({"slug", "name", "description", "idempotent", "parameters", "output"}, set(a), slug)
            self.assertEqual(a["parameters"]["type"], "object", slug)
            self.assertIsInstance(a["parameters"]["properties"], dict, slug)
            self.assertEqual(a["output"]["type"], "object", slug)
        send = actions["send-message"]
        self.assertEqual(send["name"], "Send Message")
        self.assertIs(send["idempotent"], False)
        self.assertEqual(send["parameters"]["required"], ["channel"])
        self.assertLessEqual({"channel", "text", "blocks", "attachments", "username", "icon_emoji"},
                             set(send["parameters"]["properties"]))
        self.assertEqual(actions["user-lookup"]["parameters"]["required"], ["email"])
        self.assertEqual(actions["create-channel"]["parameters"]["properties"]["name"]["pattern"],
                         "^[a-z0-9][a-z0-9_-]*$")
        self.assertIs(actions["list-channels"]["idempotent"], True)
        (events,) = d["triggers"]
        self.assertEqual((events["slug"], events["kind"], events["name"]), ("events", "webhook", "Events API"))
        self.assertIn("signing secret", events["description"])

    def test_unknown_provider_404(self):
        self.assertApiError(self.call("GET", "/api/v2/catalog/no-such-provider"), 404, "not_found")
        self.assertApiError(self.call("GET", "/api/v2/catalog/no-such-provider/icon"), 404, "not_found")


if __name__ == "__main__":
    unittest.main()
