"""Provider triggers through the real server: Slack's Events API as a webhook trigger.

fake_slack.py plays Slack calling the app (signed url_verification, event_callback, retries);
tests/integration/webhook_receiver.py stands for the client's endpoint, reached through an
outbound webhook subscribed to the trigger's events. Covers subscription CRUD and validation,
secret redaction, the handshake, signature and replay-window checks, dedupe of Slack's
retries, event filters, pause/resume, unknown hooks and tenancy."""

import hashlib
import hmac
import json
import time
import unittest
import uuid
from urllib.parse import urlsplit

from harness import PlugboardTestCase, request
from webhook_receiver import Receiver

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def slack_headers(body, secret=SIGNING_SECRET, ts=None):
    ts = str(int(time.time()) if ts is None else ts)
    sig = "v0=" + hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig}


class SlackEventsTriggerTest(PlugboardTestCase):
    server_env = {"PLUGBOARD_WEBHOOKS_EGRESS_ALLOW_LOOPBACK": "true"}

    @classmethod
    def prepare_keys(cls):
        cls.other = cls.env.create_key(workspace="other-co", project="elsewhere", name="other")["key"]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rx = Receiver()

    @classmethod
    def tearDownClass(cls):
        cls.rx.close()
        super().tearDownClass()

    def setUp(self):
        self.conn = self.create_connection()
        # The client's endpoint: every slack.* event of this test's subscription lands here.
        self.path = "/rx/" + uuid.uuid4().hex[:10]
        r = self.call("POST", "/api/v2/webhooks",
                      {"name": "slack events " + self.path, "url": self.rx.url + self.path,
                       "events": ["slack.message", "slack.app_mention"]})
        self.assertEqual(r.status, 201, r)
        self.rx.on(self.path, secret=r.json["secret"])
        self.webhook_id = r.json["id"]

    def tearDown(self):
        self.call("DELETE", f"/api/v2/webhooks/{self.webhook_id}")

    def subscribe(self, **config):
        cfg = {"signing_secret": SIGNING_SECRET, "event_types": ["message", "app_mention"]}
        cfg.update(config)
        r = self.call("POST", "/api/v2/triggers",
                      {"connection_id": self.conn["id"], "trigger": "events", "name": "Slack events", "config": cfg})
        self.assertEqual(r.status, 201, r)
        return r.json

    def fake(self, path, body):
        r = request(self.env.fake.url, "POST", path, body=body)
        self.assertEqual(r.status, 200, r)
        return r.json

    def mine(self):
        """Deliveries of this test's events at the receiver."""
        return self.rx.at(self.path)

    def settle(self, seconds=1.0):
        time.sleep(seconds)  # long enough for a dispatched event to reach the receiver

    # --- tests --------------------------------------------------------------------------------

    def test_subscription_shows_hook_url_and_never_the_secret(self):
        t = self.subscribe()
        self.assertTrue(t["id"].startswith("trg_"))
        self.assertEqual((t["provider"], t["trigger"], t["kind"], t["status"]), ("slack", "events", "webhook", "active"))
        self.assertEqual(t["event"], "slack.message")
        self.assertEqual(t["config"]["signing_secret"], "[REDACTED]")
        self.assertEqual(t["config"]["event_types"], ["message", "app_mention"])
        self.assertEqual(t["hook_url"], self.env.url + "/hooks/" + t["id"])
        self.assertIsNone(t["expires_at"])  # Slack subscriptions are app settings: nothing expires
        for r in (self.call("GET", f"/api/v2/triggers/{t['id']}"), self.call("GET", "/api/v2/triggers")):
            self.assertEqual(r.status, 200, r)
            self.assertNotIn(SIGNING_SECRET, r.text)
        listed = self.call("GET", f"/api/v2/triggers?connection_id={self.conn['id']}").json
        self.assertEqual([x["id"] for x in listed["triggers"]], [t["id"]])
        self.assertEqual(listed["total"], 1)
        self.assertNotIn(SIGNING_SECRET, self.env.log_text())

    def test_url_verification_then_events_reach_subscribers_once(self):
        t = self.subscribe()
        check = self.fake("/_fake/events/request_url", {"url": t["hook_url"], "signing_secret": SIGNING_SECRET})
        self.assertTrue(check["verified"], check)

        sent = self.fake("/_fake/events/send", {
            "event": {"type": "message", "channel": "C0000000001", "user": "U0000000001", "text": "hello there",
                      "ts": "1700000000.000100"},
            "resend": 2})  # Slack's retries after a timeout carry the same event_id
        self.assertEqual(sent["statuses"], [200, 200, 200])
        got = self.rx.wait_for(self.path, 1)
        self.settle()
        got = self.mine()
        self.assertEqual(len(got), 1, [g["json"] for g in got])
        delivery = got[0]
        self.assertTrue(delivery["valid"])
        payload = delivery["json"]
        self.assertEqual(payload["event"], "slack.message")
        self.assertEqual(payload["subscription_id"], t["id"])
        self.assertEqual(payload["provider"], "slack")
        self.assertEqual(payload["data"]["event_id"], sent["event_id"])
        self.assertEqual(payload["data"]["event"]["text"], "hello there")
        self.assertEqual(payload["data"]["team_id"], "T0000000001")

        r = self.call("GET", f"/api/v2/triggers/{t['id']}")
        self.assertIsNotNone(r.json["last_run_at"])

    def test_bad_signatures_and_replays_are_refused_and_record_nothing(self):
        t = self.subscribe()
        hook = urlsplit(t["hook_url"]).path
        body = json.dumps({"type": "event_callback", "event_id": "EvFORGED001", "team_id": "T0000000001",
                           "event": {"type": "message", "text": "forged"}}).encode()
        cases = {
            "wrong secret": slack_headers(body, secret="not-the-secret-at-all"),
            "old timestamp": slack_headers(body, ts=int(time.time()) - 600),
            "future timestamp": slack_headers(body, ts=int(time.time()) + 600),
            "no signature": {"Content-Type": "application/json",
                             "X-Slack-Request-Timestamp": str(int(time.time()))},
        }
        for name, headers in cases.items():
            with self.subTest(name):
                r = self.env.call("POST", hook, raw=body, headers=headers)
                self.assertEqual(r.status, 401, r)
                self.assertEqual(r.json["error"]["code"], "INVALID_SIGNATURE", r)
        # A body changed after signing fails too: the signature covers the raw bytes.
        headers = slack_headers(body)
        r = self.env.call("POST", hook, raw=body.replace(b"forged", b"FORGED"), headers=headers)
        self.assertEqual(r.status, 401, r)
        # The genuine request is accepted.
        r = self.env.call("POST", hook, raw=body, headers=headers)
        self.assertEqual(r.status, 200, r)
        self.rx.wait_for(self.path, 1)
        self.settle()
        self.assertEqual([g["json"]["data"]["event_id"] for g in self.mine()], ["EvFORGED001"])

    def test_event_filters(self):
        self.subscribe(channels=["C0000000001"], event_types=["message"])
        t = self.call("GET", f"/api/v2/triggers?connection_id={self.conn['id']}").json["triggers"][0]
        self.fake("/_fake/events/request_url", {"url": t["hook_url"], "signing_secret": SIGNING_SECRET})
        for event in ({"type": "reaction_added", "channel": "C0000000001"},   # type not wanted
                      {"type": "message", "channel": "C0000000002", "text": "elsewhere"},  # channel not wanted
                      {"type": "message", "channel": "C0000000001", "text": "wanted"}):
            self.assertEqual(self.fake("/_fake/events/send", {"event": event})["statuses"], [200])
        self.rx.wait_for(self.path, 1)
        self.settle()
        self.assertEqual([g["json"]["data"]["event"]["text"] for g in self.mine()], ["wanted"])

    def test_paused_subscription_acknowledges_and_keeps_nothing(self):
        t = self.subscribe()
        self.fake("/_fake/events/request_url", {"url": t["hook_url"], "signing_secret": SIGNING_SECRET})
        r = self.call("PATCH", f"/api/v2/triggers/{t['id']}", {"status": "paused"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "paused")
        self.assertEqual(self.fake("/_fake/events/send", {"event": {"type": "message", "text": "while paused"}})
                         ["statuses"], [200])
        r = self.call("PATCH", f"/api/v2/triggers/{t['id']}", {"status": "active"})
        self.assertEqual(r.json["status"], "active")
        self.fake("/_fake/events/send", {"event": {"type": "message", "text": "after resume"}})
        self.rx.wait_for(self.path, 1)
        self.settle()
        self.assertEqual([g["json"]["data"]["event"]["text"] for g in self.mine()], ["after resume"])

    def test_unsubscribe_removes_the_hook(self):
        t = self.subscribe()
        hook = urlsplit(t["hook_url"]).path
        self.assertEqual(self.call("DELETE", f"/api/v2/triggers/{t['id']}").status, 204)
        self.assertEqual(self.call("DELETE", f"/api/v2/triggers/{t['id']}").status, 404)
        self.assertEqual(self.call("GET", f"/api/v2/triggers/{t['id']}").status, 404)
        body = b'{"type":"url_verification","challenge":"abc"}'
        r = self.env.call("POST", hook, raw=body, headers=slack_headers(body))
        self.assertEqual(r.status, 404, r)
        self.assertEqual(self.env.call("POST", "/hooks/trg_doesnotexist", raw=b"{}").status, 404)

    def test_validation_errors_name_the_field(self):
        cases = [
            ({"trigger": "events"}, "connection_id"),
            ({"connection_id": self.conn["id"]}, "trigger"),
            ({"connection_id": self.conn["id"], "trigger": "no-such-trigger"}, "trigger"),
            ({"connection_id": self.conn["id"], "trigger": "events", "config": {}}, None),  # signing_secret required
            ({"connection_id": self.conn["id"], "trigger": "events",
              "config": {"signing_secret": SIGNING_SECRET, "surprise": 1}}, None),
            ({"connection_id": self.conn["id"], "trigger": "events",
              "config": {"signing_secret": SIGNING_SECRET}, "interval_seconds": 30}, "interval_seconds"),
            ({"connection_id": self.conn["id"], "trigger": "events", "colour": "red"}, "colour"),
            ({"connection_id": "conn_missing", "trigger": "events"}, None),
        ]
        for body, field in cases:
            with self.subTest(body=body):
                r = self.call("POST", "/api/v2/triggers", body)
                self.assertIn(r.status, (400, 404), r)
                if field:
                    self.assertEqual(r.json["errors"][0].get("field"), field, r)
                if body.get("connection_id") == "conn_missing":
                    self.assertApiError(r, 404, "not_found", "connection_id")
                elif "config" in body and "interval_seconds" not in body:
                    self.assertApiError(r, 400, "validation_error")
                    self.assertTrue(r.json["errors"][0]["field"].startswith("config"), r)
        self.assertApiError(self.call("POST", "/api/v2/triggers", raw=b"[1,2"), 400, "validation_error")

    def test_other_workspaces_see_nothing(self):
        t = self.subscribe()
        self.assertApiError(self.call("GET", f"/api/v2/triggers/{t['id']}", key=self.other), 404, "not_found")
        self.assertApiError(self.call("PATCH", f"/api/v2/triggers/{t['id']}", {"status": "paused"}, key=self.other),
                            404, "not_found")
        self.assertApiError(self.call("DELETE", f"/api/v2/triggers/{t['id']}", key=self.other), 404, "not_found")
        r = self.call("GET", "/api/v2/triggers", key=self.other)
        self.assertEqual((r.json["triggers"], r.json["total"]), ([], 0))
        # Nor can they subscribe with this workspace's connection.
        r = self.call("POST", "/api/v2/triggers", {"connection_id": self.conn["id"], "trigger": "events",
                                                   "config": {"signing_secret": SIGNING_SECRET}}, key=self.other)
        self.assertApiError(r, 404, "not_found", "connection_id")
        self.assertEqual(self.call("GET", f"/api/v2/triggers/{t['id']}").json["status"], "active")


if __name__ == "__main__":
    unittest.main()
