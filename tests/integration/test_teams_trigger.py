#!/usr/bin/python3
"""Microsoft Teams' channel-message webhook trigger through the real server, against
tests/fakes/fake_graph.py's change notifications (it performs Graph's validation handshake
against the hook URL before creating a subscription, and POSTs notifications with the
clientState), with tests/integration/webhook_receiver.py as the client's endpoint.

Covers: registration and the handshake, notification -> one event (Graph's redeliveries
deduped), forged or missing clientState -> 401 and nothing recorded, renewal by PATCH,
re-subscribing when Graph forgot the subscription, unsubscribe deleting it at Graph, refusal by
Graph surfacing on create, and tenancy."""

import json
import time
import unittest
import uuid
from datetime import datetime, timezone
from urllib.parse import urlsplit

import test_teams as teams_test  # FakeGraph, the fake's process wrapper, and its seeded ids
from harness import PlugboardTestCase
from webhook_receiver import Receiver

TEAM = teams_test.TEAM
CHANNEL = teams_test.CHANNEL
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"  # the fake's tenant
OTHER_CHANNEL = "19:2a7c3e9e7b9f4fbe8f0c4d6d2b4a1c5e@thread.tacv2"  # Announcements, same team


def epoch(text):
    return datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc).timestamp()


class TeamsTriggerTest(PlugboardTestCase):
    server_env = {"PLUGBOARD_WEBHOOKS_EGRESS_ALLOW_LOOPBACK": "true"}

    @classmethod
    def prepare_keys(cls):
        cls.other = cls.env.create_key(workspace="other-co", project="elsewhere", name="other")["key"]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rx = Receiver()
        try:
            cls.graph = teams_test.FakeGraph(cls.env.dir)
            r = cls.env.call("POST", "/api/v2/integrations",
                             {"name": "Teams via fake", "type": "teams", "apiBaseUri": cls.graph.url + "/v1.0"},
                             key=cls.key)
            assert r.status == 201, r
            r = cls.env.call("POST", "/api/v2/connections",
                             {"integration_id": r.json["id"], "project_id": cls.project, "auth_type": "bearer",
                              "credentials": {"token": teams_test.GRAPH_TOKEN}}, key=cls.key)
            assert r.status == 201, r
            cls.conn = r.json
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "graph", None):
            cls.graph.close()
            cls.graph = None
        cls.rx.close()
        super().tearDownClass()

    def setUp(self):
        self.graph.control("POST", "/_fake/reset", {})
        self.path = "/rx/" + uuid.uuid4().hex[:10]
        r = self.call("POST", "/api/v2/webhooks", {"name": "teams " + self.path, "url": self.rx.url + self.path,
                                                   "events": ["teams.channel_message"]})
        self.assertEqual(r.status, 201, r)
        self.rx.on(self.path, secret=r.json["secret"])
        self.webhook_id = r.json["id"]
        self.created = []

    def tearDown(self):
        for t in self.created:
            self.call("DELETE", f"/api/v2/triggers/{t}")
        self.call("DELETE", f"/api/v2/webhooks/{self.webhook_id}")

    # --- helpers -------------------------------------------------------------------------------

    def subscribe(self, channel=CHANNEL, team=TEAM):
        r = self.call("POST", "/api/v2/triggers", {"connection_id": self.conn["id"], "trigger": "channel-message",
                                                   "name": "Channel messages",
                                                   "config": {"team_id": team, "channel_id": channel}})
        self.assertEqual(r.status, 201, r)
        self.created.append(r.json["id"])
        return r.json

    def graph_subscriptions(self):
        return self.graph.control("GET", "/_fake/subscriptions")["subscriptions"]

    def graph_subscription(self, t):
        [sub] = [s for s in self.graph_subscriptions() if s["notificationUrl"] == t["hook_url"]]
        return sub

    def post_in_channel(self, text, channel=CHANNEL, resend=0):
        r = self.graph.control("POST", "/_fake/channel_message",
                               {"team_id": TEAM, "channel_id": channel, "text": text, "from": "Alex Wilber",
                                "resend": resend})
        return r

    def events(self):
        return [g["json"] for g in self.rx.at(self.path)]

    def settle(self, seconds=1.0):
        time.sleep(seconds)

    def force_renewal(self, t):
        """Time passes: make the renewal due now (the scheduler looks every second)."""
        with self.env.db() as db:
            db.execute("UPDATE trigger_subscriptions SET next_run_at = '2000-01-01T00:00:00.000Z' WHERE id = ?",
                       (t["id"],))

    def wait_until(self, what, check, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            got = check()
            if got:
                return got
            if time.monotonic() > deadline:
                self.fail(f"timed out waiting for {what}")
            time.sleep(0.2)

    def hook_post(self, t, body, headers=None):
        return self.env.call("POST", urlsplit(t["hook_url"]).path, raw=json.dumps(body).encode(),
                             headers=dict({"Content-Type": "application/json; charset=utf-8"}, **(headers or {})))

    # --- tests ---------------------------------------------------------------------------------

    def test_subscribing_registers_at_graph_after_the_handshake(self):
        before = time.time()
        t = self.subscribe()
        self.assertEqual((t["provider"], t["trigger"], t["kind"], t["event"]),
                         ("teams", "channel-message", "webhook", "teams.channel_message"))
        sub = self.graph_subscription(t)
        self.assertEqual((sub["changeType"], sub["resource"]), ("created", f"/teams/{TEAM}/channels/{CHANNEL}/messages"))
        self.assertEqual(len(sub["clientState"]), 64)
        # Graph's limit for channel messages is 60 minutes; the subscription shows when it ends.
        expires = epoch(t["expires_at"])
        self.assertGreater(expires, before + 50 * 60)
        self.assertLessEqual(expires, time.time() + 60 * 60)
        self.assertLess(abs(expires - epoch(sub["expirationDateTime"])), 2)
        [v] = self.graph.control("GET", "/_fake/validations")["validations"]
        self.assertEqual((v["url"], v["status"], v["echoed"]), (t["hook_url"], 200, True))
        # The clientState is a secret: no answer and no log line carries it.
        for r in (self.call("GET", f"/api/v2/triggers/{t['id']}"), self.call("GET", "/api/v2/triggers")):
            self.assertNotIn(sub["clientState"], r.text)
        self.assertNotIn(sub["clientState"], self.env.log_text())
        [post] = self.graph.requests("/v1.0/subscriptions")
        self.assertEqual(post["headers"]["Authorization"], "Bearer " + teams_test.GRAPH_TOKEN)

    def test_a_channel_message_becomes_one_event(self):
        t = self.subscribe()
        sub = self.graph_subscription(t)
        sent = self.post_in_channel("Ship it on Friday?", resend=2)  # Graph redelivers: same message id
        self.assertEqual([d["status"] for d in sent["deliveries"]], [202, 202, 202], sent)
        self.rx.wait_for(self.path, 1)
        self.settle()
        [e] = self.events()
        self.assertEqual((e["event"], e["subscription_id"], e["provider"]), ("teams.channel_message", t["id"], "teams"))
        data = e["data"]
        self.assertEqual((data["team_id"], data["channel_id"], data["change_type"]), (TEAM, CHANNEL, "created"))
        self.assertEqual(data["subscription_id"], sub["id"])
        self.assertEqual(data["tenant_id"], TENANT)
        self.assertEqual(data["message"]["id"], sent["message"]["id"])
        self.assertEqual(data["message"]["body"]["content"], "Ship it on Friday?")
        self.assertEqual(data["message"]["from"]["user"]["displayName"], "Alex Wilber")
        # The notification had no resource data: the plugin fetched the message, once per delivery.
        gets = self.graph.requests(f"/messages/{sent['message']['id']}")
        self.assertTrue(gets and all(g["method"] == "GET" for g in gets), gets)
        # A message sent through execute is announced too (Graph notifies on its own time).
        r = self.execute(self.conn["id"], "send-teams-message",
                         {"team_id": TEAM, "channel_id": CHANNEL, "message": {"text": "sent via Plugboard"}})
        self.assertEqual(r.status, 200, r)
        self.rx.wait_for(self.path, 2)
        self.assertEqual(self.events()[1]["data"]["message"]["id"], r.json["data"]["message_id"])
        # Messages in other channels are not this subscription's business.
        self.post_in_channel("elsewhere", channel=OTHER_CHANNEL)
        self.settle()
        self.assertEqual(len(self.events()), 2)

    def test_forged_notifications_are_refused_and_record_nothing(self):
        t = self.subscribe()
        sub = self.graph_subscription(t)
        sent = self.post_in_channel("genuine")
        self.rx.wait_for(self.path, 1)

        def note(**fields):
            n = {"subscriptionId": sub["id"], "changeType": "created", "clientState": sub["clientState"],
                 "resource": f"teams('{TEAM}')/channels('{CHANNEL}')/messages('{sent['message']['id']}')",
                 "resourceData": {"id": sent["message"]["id"]}, "tenantId": TENANT}
            n.update(fields)
            return {k: v for k, v in n.items() if v is not None}

        for name, body in (("wrong clientState", {"value": [note(clientState="guess" * 12)]}),
                           ("no clientState", {"value": [note(clientState=None)]}),
                           ("one of two forged", {"value": [note(), note(clientState=sub["clientState"][:-1] + "x")]})):
            with self.subTest(name):
                r = self.hook_post(t, body)
                self.assertEqual(r.status, 401, r)
                self.assertEqual(r.json["error"]["code"], "INVALID_SIGNATURE", r)
        r = self.env.call("POST", urlsplit(t["hook_url"]).path, raw=b"not json",
                          headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 400, r)
        # A genuine redelivery is accepted and deduped.
        self.assertEqual(self.hook_post(t, {"value": [note()]}).status, 202)
        self.settle()
        self.assertEqual(len(self.events()), 1)

    def test_renewal_patches_the_expiry(self):
        t = self.subscribe()
        sub = self.graph_subscription(t)
        # Graph keeps seconds: make the stored expiry visibly older than the renewed one.
        time.sleep(1.1)
        self.force_renewal(t)
        patch = self.wait_until("the renewal", lambda: self.graph.requests(f"/v1.0/subscriptions/{sub['id']}"))[0]
        self.assertEqual(patch["method"], "PATCH")
        self.assertEqual(set(json.loads(patch["body"])), {"expirationDateTime"})
        renewed = self.wait_until("the new expiry", lambda: (lambda x: x if x["expires_at"] != t["expires_at"] else None)(
            self.call("GET", f"/api/v2/triggers/{t['id']}").json))
        self.assertGreater(epoch(renewed["expires_at"]), epoch(t["expires_at"]))
        self.assertEqual(renewed["consecutive_failures"], 0)
        self.assertEqual(self.graph_subscription(t)["id"], sub["id"])  # the same subscription, renewed
        # The next renewal is planned well before the new expiry.
        self.assertLess(epoch(renewed["next_run_at"]), epoch(renewed["expires_at"]) - 10 * 60)

    def test_renewal_subscribes_again_when_graph_forgot(self):
        t = self.subscribe()
        old = self.graph_subscription(t)
        self.graph.control("POST", "/_fake/subscriptions/drop", {"id": old["id"]})
        self.force_renewal(t)
        new = self.wait_until("a new Graph subscription", lambda: self.graph_subscriptions())[0]
        self.assertNotEqual(new["id"], old["id"])
        self.assertEqual((new["notificationUrl"], new["clientState"]), (t["hook_url"], old["clientState"]))
        patches = [q for q in self.graph.requests(f"/v1.0/subscriptions/{old['id']}") if q["method"] == "PATCH"]
        self.assertEqual([q["status"] for q in patches], [404])
        self.assertEqual(len(self.graph.control("GET", "/_fake/validations")["validations"]), 2)
        self.wait_until("the renewal recorded", lambda: self.call("GET", f"/api/v2/triggers/{t['id']}").json["next_run_at"]
                        > "2001")
        self.post_in_channel("after re-subscribing")
        self.rx.wait_for(self.path, 1)
        self.assertEqual(self.events()[0]["data"]["subscription_id"], new["id"])

    def test_unsubscribe_deletes_at_graph(self):
        t = self.subscribe()
        sub = self.graph_subscription(t)
        self.assertEqual(self.call("DELETE", f"/api/v2/triggers/{t['id']}").status, 204)
        self.assertEqual(self.graph_subscriptions(), [])
        [d] = [q for q in self.graph.requests(f"/v1.0/subscriptions/{sub['id']}") if q["method"] == "DELETE"]
        self.assertEqual(d["status"], 204)
        self.assertEqual(self.hook_post(t, {"value": []}).status, 404)

    def test_graph_refusing_the_subscription_is_an_error_and_leaves_nothing(self):
        r = self.call("POST", "/api/v2/triggers", {"connection_id": self.conn["id"], "trigger": "channel-message",
                                                   "config": {"team_id": TEAM, "channel_id": "19:nope@thread.tacv2"}})
        e = self.assertApiError(r, 502, "provider_error")
        self.assertIn("NotFound", e["message"])
        self.assertEqual(self.call("GET", "/api/v2/triggers").json["total"], 0)
        r = self.call("POST", "/api/v2/triggers", {"connection_id": self.conn["id"], "trigger": "channel-message",
                                                   "config": {"team_id": TEAM}})
        self.assertApiError(r, 400, "validation_error")

    def test_tenancy(self):
        t = self.subscribe()
        mine = self.graph_subscription(t)
        t2 = self.subscribe(channel=OTHER_CHANNEL)
        # One subscription's clientState does not open another's hook.
        body = {"value": [{"subscriptionId": mine["id"], "changeType": "created", "clientState": mine["clientState"],
                           "resource": f"teams('{TEAM}')/channels('{OTHER_CHANNEL}')/messages('1')",
                           "resourceData": {"id": "1"}}]}
        self.assertEqual(self.hook_post(t2, body).status, 401)
        # Another workspace neither sees nor removes them, nor subscribes with this connection.
        for method in ("GET", "DELETE"):
            self.assertApiError(self.call(method, f"/api/v2/triggers/{t['id']}", key=self.other), 404, "not_found")
        self.assertEqual(self.call("GET", "/api/v2/triggers", key=self.other).json["total"], 0)
        r = self.call("POST", "/api/v2/triggers", {"connection_id": self.conn["id"], "trigger": "channel-message",
                                                   "config": {"team_id": TEAM, "channel_id": CHANNEL}}, key=self.other)
        self.assertApiError(r, 404, "not_found", "connection_id")
        self.assertEqual(len(self.graph_subscriptions()), 2)


if __name__ == "__main__":
    unittest.main()
