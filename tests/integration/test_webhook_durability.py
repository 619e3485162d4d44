#!/usr/bin/python3
"""Outbound webhooks survive a crash: events are POSTed while the receiver is slow, the server
is killed with SIGKILL while deliveries are in flight (and events are still arriving), and after
a restart every acknowledged event reaches the receiver at least once; a delivery seen twice
carries the same X-Plugboard-Delivery id both times, so receivers can drop the repeat."""

import collections
import signal
import threading
import time
import unittest

from harness import PlugboardTestCase
from webhook_receiver import Receiver

PATH = "/slow"
RECEIVER_DELAY = 0.5   # seconds the receiver takes per delivery before the crash
TIMEOUT_MS = 2000      # one attempt; a lease is this plus 5 s, so a dead worker's rows return in 7 s
MAX_EVENTS = 80


class WebhookDurabilityTest(PlugboardTestCase):
    server_env = {"PLUGBOARD_WEBHOOKS_EGRESS_ALLOW_LOOPBACK": "true",
                  "PLUGBOARD_WEBHOOKS_TIMEOUT_MS": str(TIMEOUT_MS),
                  "PLUGBOARD_WEBHOOKS_WORKERS": "4"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rx = Receiver()

    @classmethod
    def tearDownClass(cls):
        cls.rx.close()
        super().tearDownClass()

    def kill_server(self):
        """SIGKILL: no shutdown code runs, as when the machine loses power or the OOM killer strikes."""
        env = self.env
        env.proc.send_signal(signal.SIGKILL)
        env.proc.wait(timeout=10)
        self.assertEqual(env.proc.returncode, -signal.SIGKILL)
        env.proc = None
        env.server_log.close()
        env.server_log = None

    def post_events(self, acknowledged, stop):
        """Posts events until told to stop or the server is gone; keeps the ids it got a 202 for."""
        for n in range(MAX_EVENTS):
            if stop.is_set():
                return
            try:
                r = self.call("POST", "/api/v2/events",
                              {"type": "record_created", "table_id": 7, "row_id": n, "data": {"n": n}})
            except OSError:
                return  # killed: this event was never acknowledged, so nothing was promised
            if r.status != 202:
                return
            acknowledged.append(r.json["id"])
            time.sleep(0.02)

    def test_every_event_arrives_after_sigkill_mid_delivery(self):
        r = self.call("POST", "/api/v2/webhooks", {
            "name": "durable", "url": self.rx.url + PATH, "events": ["record_created"],
            "retry_config": {"max_retries": 5, "retry_delay_seconds": 0.2, "exponential_backoff": False}})
        self.assertEqual(r.status, 201, r)
        webhook = r.json
        self.rx.on(PATH, secret=webhook["secret"], delay=RECEIVER_DELAY)

        acknowledged, stop = [], threading.Event()
        poster = threading.Thread(target=self.post_events, args=(acknowledged, stop), daemon=True)
        poster.start()
        # Kill once some deliveries were answered and others are waiting at the receiver: the
        # server has sent those but will never hear the answer.
        deadline = time.monotonic() + 30
        while not (len(self.rx.at(PATH)) >= 6 and self.rx.in_flight(PATH)):
            self.assertLess(time.monotonic(), deadline, "deliveries did not start")
            time.sleep(0.01)
        in_flight = {e["headers"]["X-Plugboard-Delivery"] for e in self.rx.in_flight(PATH)}
        self.kill_server()
        poster.join(timeout=30)
        stop.set()
        before_restart = len(self.rx.at(PATH))
        self.assertTrue(in_flight)
        self.assertGreater(len(acknowledged), before_restart,
                           "every event was delivered before the kill: nothing was left to recover")
        self.assertLess(len(acknowledged), MAX_EVENTS, "the kill came after the last event was posted")

        self.rx.on(PATH, delay=0.02)  # the receiver recovers too; only the sender's crash matters now
        self.env.start(extra_env=self.server_env)

        wanted = set(acknowledged)
        deadline = time.monotonic() + 90
        while True:
            got = {e["json"]["id"] for e in self.rx.at(PATH) if e["answered"]}
            if wanted <= got:
                break
            self.assertLess(time.monotonic(), deadline,
                            f"{len(wanted - got)} of {len(wanted)} acknowledged events never arrived")
            time.sleep(0.1)

        received = self.rx.at(PATH)
        self.assertTrue(all(e["valid"] for e in received), "a delivery did not verify with the secret")
        by_event = collections.defaultdict(list)
        for e in received:
            by_event[e["json"]["id"]].append(e["headers"]["X-Plugboard-Delivery"])
        for event_id, delivery_ids in by_event.items():
            self.assertEqual(len(set(delivery_ids)), 1, f"{event_id} arrived under several delivery ids")
        repeated = {ids[0] for ids in by_event.values() if len(ids) > 1}
        # What was in flight at the kill is exactly what comes again (at least once each).
        self.assertTrue(in_flight <= repeated, (in_flight, repeated))
        self.assertEqual(len(received) - len(by_event), sum(len(v) - 1 for v in by_event.values()))

        # The delivery log agrees: one delivery per event, each ending in success, under the id
        # the receiver saw.
        with self.env.db() as db:
            rows = db.execute("SELECT id, event_id, status FROM webhook_deliveries WHERE webhook_id = ?",
                              (webhook["id"],)).fetchall()
        log = {event_id: (delivery_id, status) for delivery_id, event_id, status in rows}
        self.assertEqual(len(rows), len(log), "an event was queued twice for the same webhook")
        deadline = time.monotonic() + 15
        for event_id in wanted:
            self.assertEqual(log[event_id][0], by_event[event_id][0])
        while True:  # the last answers are recorded a moment after the receiver sent them
            r = self.call("GET", f"/api/v2/webhooks/{webhook['id']}/deliveries?status=success&limit=500")
            self.assertEqual(r.status, 200, r)
            done = {d["event_id"] for d in r.json["deliveries"]}
            if wanted <= done:
                break
            self.assertLess(time.monotonic(), deadline, f"not recorded as success: {wanted - done}")
            time.sleep(0.1)


if __name__ == "__main__":
    unittest.main()
