#!/usr/bin/python3
"""Execute success for every Slack action, v2 and v1, checked at the fake Slack as well."""

import json
import unittest
import urllib.parse

from harness import PlugboardTestCase, SLACK_TOKEN, new_connection


class ExecuteTest(PlugboardTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.conn = new_connection(cls.env, cls.key, cls.project)["id"]

    def setUp(self):
        self.env.fake.reset()

    def test_send_message_fills_seed_000_placeholders_from_context(self):
        params = {"channel": "#general", "message": "New task created: {{field_456}}",
                  "attachments": [{"title": "Task", "fields": [{"title": "Priority", "value": "{{field_457}}"}]}],
                  "context": {"field_456": "Write docs", "field_457": "High"}}
        self.assertExecuteOk(self.execute(self.conn, "send-message", params), "Send Message")
        sent = json.loads(self.env.fake.requests("chat.postMessage")[-1]["body"])
        self.assertEqual(sent["text"], "New task created: Write docs")
        self.assertEqual(sent["attachments"][0]["fields"][0]["value"], "High")
        self.assertNotIn("context", sent)
        params["context"] = {"field_456": "only one"}
        r = self.execute(self.conn, "send-message", params)
        self.assertExecuteError(r, 500, "EXECUTION_FAILED")
        self.assertEqual((r.json["error"]["details"]["error_code"], r.json["error"]["details"]["field"]),
                         ("TEMPLATE_FIELD_MISSING", "field_457"))

    def test_send_message_full(self):
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*bold*"}}]
        attachments = [{"color": "good", "title": "Task Details",
                        "fields": [{"title": "Priority", "value": "High", "short": True}]}]
        params = {"channel": "#general", "text": "hello from plugboard", "blocks": blocks,
                  "attachments": attachments, "username": "Baserow Bot", "icon_emoji": ":robot_face:"}
        r = self.execute(self.conn, "send-message", params)
        data = self.assertExecuteOk(r, "Send Message")
        self.assertEqual(set(data), {"message_id", "channel", "timestamp", "permalink"})
        self.assertEqual(data["channel"], "C0000000001")
        self.assertRegex(data["message_id"], r"^1700000000\.\d{6}$")
        self.assertEqual(data["timestamp"], data["message_id"])
        self.assertEqual(data["permalink"], "https://fake-workspace.slack.com/archives/C0000000001/p"
                         + data["message_id"].replace(".", ""))
        (post,) = self.env.fake.requests("chat.postMessage")
        self.assertEqual(post["method"], "POST")
        headers = {k.lower(): v for k, v in post["headers"].items()}
        self.assertEqual(headers["authorization"], "Bearer " + SLACK_TOKEN)
        self.assertTrue(headers["content-type"].startswith("application/json"))
        body = json.loads(post["body"])
        self.assertEqual(body, {"channel": "#general", "text": "hello from plugboard", "blocks": blocks,
                                "attachments": attachments, "username": "Baserow Bot",
                                "icon_emoji": ":robot_face:"})
        self.assertEqual(post["status"], 200)

    def test_send_message_seed_000_alias(self):
        r = self.execute(self.conn, "send-message", {"channel": "#general", "message": "via alias"})
        self.assertExecuteOk(r, "Send Message")
        (post,) = self.env.fake.requests("chat.postMessage")
        self.assertEqual(json.loads(post["body"])["text"], "via alias")

    def test_list_channels_walks_all_pages(self):
        seen, cursor, pages = [], None, 0
        while True:
            params = {"limit": 40, "types": "public_channel,private_channel"}
            if cursor:
                params["cursor"] = cursor
            data = self.assertExecuteOk(self.execute(self.conn, "list-channels", params), "List Channels")
            self.assertEqual(set(data), {"channels", "next_cursor"})
            for ch in data["channels"]:
                self.assertEqual(set(ch), {"id", "name", "is_private", "is_member"})
            seen += data["channels"]
            pages += 1
            cursor = data["next_cursor"]
            if not cursor:
                break
            self.assertLess(pages, 10, "pagination does not end")
        self.assertEqual(pages, 4)  # 152 seeded channels, 40 a page
        ids = [c["id"] for c in seen]
        self.assertEqual(len(ids), 152)
        self.assertEqual(len(set(ids)), 152)
        self.assertEqual(seen[0], {"id": "C0000000001", "name": "general", "is_private": False, "is_member": True})
        self.assertEqual(seen[9]["is_private"], True)  # channel-010
        calls = self.env.fake.requests("conversations.list")
        self.assertEqual(len(calls), 4)
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(calls[1]["path"]).query))
        self.assertEqual(q["limit"], "40")
        self.assertIn("cursor", q)

    def test_list_channels_default_public_only(self):
        data = self.assertExecuteOk(self.execute(self.conn, "list-channels", {}), "List Channels")
        self.assertEqual(len(data["channels"]), 100)
        self.assertTrue(data["next_cursor"])
        self.assertFalse(any(c["is_private"] for c in data["channels"]))

    def test_create_channel(self):
        r = self.execute(self.conn, "create-channel", {"name": "project-updates", "is_private": True,
                                                       "purpose": "Updates for the current project"})
        data = self.assertExecuteOk(r, "Create Channel")
        self.assertEqual(data["name"], "project-updates")
        self.assertIs(data["is_private"], True)
        self.assertEqual(data["purpose"], "Updates for the current project")
        self.assertRegex(data["id"], r"^C\d{10}$")
        self.assertNotIn("warnings", data)
        (create,) = self.env.fake.requests("conversations.create")
        self.assertEqual(json.loads(create["body"]), {"name": "project-updates", "is_private": True})
        self.assertEqual(len(self.env.fake.requests("conversations.setPurpose")), 1)
        # The name is taken now: Slack's error comes through.
        r = self.execute(self.conn, "create-channel", {"name": "project-updates"})
        err = self.assertExecuteError(r, 500, "EXECUTION_FAILED")
        self.assertEqual(err["details"]["provider_error"], "name_taken")

    def test_user_lookup(self):
        data = self.assertExecuteOk(self.execute(self.conn, "user-lookup", {"email": "alice@example.com"}),
                                    "Look Up User")
        self.assertEqual(data, {"id": "U0000000001", "name": "alice", "real_name": "Alice Example",
                                "email": "alice@example.com", "is_bot": False, "tz": "Europe/Berlin"})
        (call,) = self.env.fake.requests("users.lookupByEmail")
        self.assertEqual(call["method"], "GET")
        self.assertIn("email=alice%40example.com", call["path"])

    def test_v1_route(self):
        headers = {"X-Workspace-ID": self.ws, "X-Project-ID": self.project}
        r = self.call("POST", f"/api/execute/{self.conn}/send-message",
                      {"channel": "#random", "text": "v1 says hi"}, headers=headers)
        data = self.assertExecuteOk(r, "Send Message")
        self.assertEqual(data["channel"], "C0000000002")
        # v1 with an empty body: the parameters are {}.
        r = self.call("POST", f"/api/execute/{self.conn}/list-channels", raw=b"", headers=headers)
        self.assertExecuteOk(r, "List Channels")
        # v1 missing its headers.
        r = self.call("POST", f"/api/execute/{self.conn}/list-channels", {}, headers={"X-Workspace-ID": self.ws})
        err = self.assertExecuteError(r, 400, "MISSING_REQUIRED_FIELDS")
        self.assertEqual(err["details"]["missing_fields"], ["X-Project-ID"])
        # v1 errors are in the same envelope.
        r = self.call("POST", f"/api/execute/{self.conn}/no-such-action", {}, headers=headers)
        self.assertExecuteError(r, 404, "ACTION_NOT_FOUND")

    def test_metadata_ids_are_unique_and_request_id_is_echoed(self):
        r1 = self.execute(self.conn, "user-lookup", {"email": "alice@example.com"})
        r2 = self.execute(self.conn, "user-lookup", {"email": "alice@example.com"},
                          headers={"X-Request-Id": "trace-123"})
        m1, m2 = r1.json["metadata"], r2.json["metadata"]
        self.assertNotEqual(m1["execution_id"], m2["execution_id"])
        self.assertRegex(m1["request_id"], r"^req_[0-9a-f]+$")
        self.assertEqual(m2["request_id"], "trace-123")
        self.assertEqual(r2.headers["X-Request-Id"], "trace-123")

    def test_bearer_key_header(self):
        body = {"workspace_id": self.ws, "project_id": self.project, "connection_id": self.conn,
                "action": "user-lookup", "parameters": {"email": "alice@example.com"}}
        r = self.env.call("POST", "/api/v2/execute", body, headers={"Authorization": "Bearer " + self.key})
        self.assertExecuteOk(r, "Look Up User")


if __name__ == "__main__":
    unittest.main()
