#!/usr/bin/python3
"""Outbound webhooks and application events against a real receiver (webhook_receiver.py):
CRUD, redaction, the secret shown once, filters, event matching, signatures, retries with
backoff, the delivery log, manual retry, /test, auto-disable, egress refusal and tenancy."""

import json
import time
import unittest
import uuid

from harness import PlugboardTestCase
from webhook_receiver import Receiver, verify

SEED_CREATE = {
    "name": "Task Updates Webhook",
    "events": ["record_created", "record_updated", "record_deleted"],
    "table_id": 123,
    "headers": {"Authorization": "Bearer secret_token", "Content-Type": "application/json"},
    "active": True,
    "retry_config": {"max_retries": 3, "retry_delay_seconds": 60, "exponential_backoff": True},
}


class WebhooksTest(PlugboardTestCase):
    server_env = {"PLUGBOARD_WEBHOOKS_EGRESS_ALLOW_LOOPBACK": "true",
                  "PLUGBOARD_WEBHOOKS_DISABLE_AFTER_FAILURES": "3",
                  "PLUGBOARD_WEBHOOKS_TIMEOUT_MS": "3000"}

    @classmethod
    def prepare_keys(cls):
        cls.other = cls.env.create_key(workspace="other-co", project="elsewhere", name="other")["key"]
        cls.reader = cls.env.create_key(name="reader", operations="read")["key"]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rx = Receiver()

    @classmethod
    def tearDownClass(cls):
        cls.rx.close()
        super().tearDownClass()

    # --- helpers -----------------------------------------------------------------------------

    def hook(self, **fields):
        """Creates a webhook on a fresh receiver path; returns (webhook, path)."""
        path = "/hook/" + uuid.uuid4().hex[:10]
        body = {"name": "hook " + path, "url": self.rx.url + path}
        body.update(fields)
        r = self.call("POST", "/api/v2/webhooks", body)
        self.assertEqual(r.status, 201, r)
        self.rx.on(path, secret=r.json["secret"])
        return r.json, path

    def event(self, type_, **fields):
        body = {"type": type_}
        body.update(fields)
        r = self.call("POST", "/api/v2/events", body)
        self.assertEqual(r.status, 202, r)
        return r.json

    def deliveries(self, webhook_id, query=""):
        r = self.call("GET", f"/api/v2/webhooks/{webhook_id}/deliveries{query}")
        self.assertEqual(r.status, 200, r)
        return r.json["deliveries"]

    def wait_delivery(self, webhook_id, status, count=1, timeout=15):
        deadline = time.monotonic() + timeout
        while True:
            got = [d for d in self.deliveries(webhook_id) if d["status"] == status]
            if len(got) >= count:
                return got
            if time.monotonic() > deadline:
                raise AssertionError(f"no {count} {status} deliveries: {self.deliveries(webhook_id)}")
            time.sleep(0.05)

    def get_hook(self, webhook_id):
        r = self.call("GET", f"/api/v2/webhooks/{webhook_id}")
        self.assertEqual(r.status, 200, r)
        return r.json

    # --- CRUD ----------------------------------------------------------------------------------

    def test_create_seed_shape_secret_once_headers_redacted(self):
        w, _ = self.hook(**SEED_CREATE)
        for k in ("id", "name", "url", "events", "table_id", "headers", "active", "secret", "retry_config",
                  "created_on"):
            self.assertIn(k, w)
        self.assertEqual(w["events"], SEED_CREATE["events"])
        self.assertEqual(w["table_id"], 123)
        self.assertEqual(w["headers"], {"Authorization": "[REDACTED]", "Content-Type": "[REDACTED]"})
        self.assertEqual(w["retry_config"], SEED_CREATE["retry_config"])
        self.assertTrue(w["secret"].startswith("whsec_") and len(w["secret"]) > 32, w["secret"])
        self.assertRegex(w["created_on"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

        got = self.call("GET", f"/api/v2/webhooks/{w['id']}")
        listed = self.call("GET", "/api/v2/webhooks")
        for r in (got, listed):
            self.assertEqual(r.status, 200, r)
            self.assertNotIn(w["secret"], r.text)
            self.assertNotIn("secret_token", r.text)
        self.assertNotIn("secret", got.json)
        self.assertEqual(got.json["headers"]["Authorization"], "[REDACTED]")
        self.assertNotIn("secret_token", self.env.log_text())
        self.assertNotIn(w["secret"], self.env.log_text())

    def test_defaults_and_given_secret(self):
        w, _ = self.hook(secret="my-own-secret-of-16+")
        self.assertEqual(w["secret"], "my-own-secret-of-16+")
        self.assertEqual(w["retry_config"], {"max_retries": 3, "retry_delay_seconds": 60,
                                             "exponential_backoff": True})
        self.assertEqual((w["events"], w["table_id"], w["active"], w["headers"]), ([], None, True, {}))

    def test_seed_003_create_custom_names(self):
        path = "/hook/custom"
        r = self.call("POST", "/api/v2/webhooks", {
            "teamId": self.ws, "name": "Video hooks", "description": "comments", "webhookUrl": self.rx.url + path,
            "events": ["comment.created", "video.created"], "headers": {"X-Team": "a"},
            "secret": "0123456789abcdef0123"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["webhookSecret"], "0123456789abcdef0123")
        self.assertEqual(r.json["url"], self.rx.url + path)

    def test_update_and_delete(self):
        w, _ = self.hook(**SEED_CREATE)
        r = self.call("PATCH", f"/api/v2/webhooks/{w['id']}",
                      {"name": "Renamed", "events": ["record_deleted"], "table_id": None,
                       "retry_config": {"max_retries": 5}, "headers": {"X-Other": "v"}})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["name"], r.json["events"], r.json["table_id"]), ("Renamed", ["record_deleted"], None))
        self.assertEqual(r.json["retry_config"], {"max_retries": 5, "retry_delay_seconds": 60,
                                                  "exponential_backoff": True})
        self.assertEqual(r.json["headers"], {"X-Other": "[REDACTED]"})
        self.assertNotIn("secret", r.json)
        self.assertEqual(self.call("DELETE", f"/api/v2/webhooks/{w['id']}").status, 204)
        self.assertApiError(self.call("GET", f"/api/v2/webhooks/{w['id']}"), 404, "not_found")
        self.assertApiError(self.call("DELETE", f"/api/v2/webhooks/{w['id']}"), 404, "not_found")

    def test_bad_input_is_a_400_naming_the_field(self):
        url = self.rx.url + "/x"
        cases = [
            ({"name": "n"}, "url"),
            ({"url": url}, "name"),
            ({"name": "n", "url": "ftp://example.com/x"}, "url"),
            ({"name": "n", "url": url, "events": ["bad type!"]}, "events"),
            ({"name": "n", "url": url, "events": "record_created"}, "events"),
            ({"name": "n", "url": url, "table_id": {"a": 1}}, "table_id"),
            ({"name": "n", "url": url, "headers": {"X-A": "line\r\nInjected: 1"}}, "headers.X-A"),
            ({"name": "n", "url": url, "headers": {"Bad Name": "v"}}, "headers.Bad Name"),
            ({"name": "n", "url": url, "retry_config": {"max_retries": -1}}, "retry_config.max_retries"),
            ({"name": "n", "url": url, "retry_config": {"max_retries": 99}}, "retry_config.max_retries"),
            ({"name": "n", "url": url, "retry_config": {"retry_delay_seconds": 0}}, "retry_config.retry_delay_seconds"),
            ({"name": "n", "url": url, "retry_config": {"jitter": 1}}, "retry_config.jitter"),
            ({"name": "n", "url": url, "secret": "short"}, "secret"),
            ({"name": "n", "url": url, "project_id": "nope"}, "project_id"),
            ({"name": "n", "url": url, "surprise": 1}, "surprise"),
            ({"name": "n", "url": url, "filters": []}, "filters"),
        ]
        for body, field in cases:
            with self.subTest(field=field, body=body):
                self.assertApiError(self.call("POST", "/api/v2/webhooks", body), 400, "validation_error", field)
        self.assertApiError(self.call("POST", "/api/v2/webhooks", raw="[1,2"), 400, "validation_error")

    def test_list_filters(self):
        a, _ = self.hook(events=["record_created"], table_id=777)
        b, _ = self.hook(events=["record_deleted"], table_id="777", active=False)
        c, _ = self.hook()  # every event, any table

        def ids(query):
            r = self.call("GET", "/api/v2/webhooks" + query)
            self.assertEqual(r.status, 200, r)
            return {w["id"] for w in r.json["webhooks"]} & {a["id"], b["id"], c["id"]}, r.json

        self.assertEqual(ids("?table_id=777")[0], {a["id"], b["id"]})
        self.assertEqual(ids("?active=false")[0], {b["id"]})
        self.assertEqual(ids("?event=record_created")[0], {a["id"], c["id"]})
        self.assertEqual(ids("?event=record_deleted&active=true")[0], {c["id"]})
        _, page = ids("?limit=1&offset=1")
        self.assertEqual((len(page["webhooks"]), page["limit"], page["offset"]), (1, 1, 1))
        self.assertGreaterEqual(page["total"], 3)
        self.assertApiError(self.call("GET", "/api/v2/webhooks?active=maybe"), 400, "validation_error", "active")

    # --- events and delivery -------------------------------------------------------------------

    def test_event_is_delivered_signed(self):
        w, path = self.hook(events=["record_created"], table_id=123,
                            headers={"Authorization": "Bearer receiver-token"})
        e = self.event("record_created", table_id=123, row_id=1001,
                       data={"field_456": "New Task", "field_457": "Medium"})
        self.assertTrue(e["id"].startswith("evt_"), e)
        (got,) = self.rx.wait_for(path, 1)
        self.assertTrue(got["valid"], got["headers"])
        h = got["headers"]
        self.assertEqual(h["Content-Type"], "application/json")
        self.assertEqual(h["X-Plugboard-Event"], "record_created")
        self.assertEqual(h["Authorization"], "Bearer receiver-token")
        self.assertTrue(h["X-Plugboard-Delivery"].startswith("dlv_"))
        self.assertLess(abs(int(h["X-Plugboard-Timestamp"]) - time.time()), 10)
        self.assertEqual(got["json"]["id"], e["id"])
        self.assertEqual(got["json"]["event"], "record_created")
        self.assertEqual((got["json"]["table_id"], got["json"]["row_id"]), (123, 1001))
        self.assertEqual(got["json"]["data"], {"field_456": "New Task", "field_457": "Medium"})
        self.assertRegex(got["json"]["timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        # A wrong secret does not verify: the check is real.
        self.assertFalse(verify("not-the-secret", h, got["body"]))

        (d,) = self.wait_delivery(w["id"], "success")
        for k in ("id", "webhook_id", "event", "payload", "status", "response_code", "response_body",
                  "response_time_ms", "attempts", "delivered_at"):
            self.assertIn(k, d)
        self.assertEqual((d["id"], d["webhook_id"], d["event"]), (h["X-Plugboard-Delivery"], w["id"], "record_created"))
        self.assertEqual((d["response_code"], d["response_body"], d["attempts"]), (200, "OK", 1))
        self.assertEqual(d["payload"], got["json"])

        r = self.call("GET", f"/api/v2/events/{e['id']}")
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["event"], r.json["entity"], r.json["data"]["field_456"]),
                         ("record_created", {"table_id": 123, "row_id": 1001}, "New Task"))

    def test_event_matching_by_type_table_and_project(self):
        a, pa = self.hook(events=["record_created"], table_id=123)
        b, pb = self.hook()                       # every event
        c, pc = self.hook(table_id="999")         # every event of table 999
        d, pd = self.hook(project_id=self.project, events=["record_updated"])
        self.event("record_created", table_id=123)
        self.event("record_updated", table_id=123, project_id=self.project)
        self.event("record_created", table_id=999)
        self.event("record_created")
        self.rx.wait_for(pb, 4)
        self.rx.wait_for(pa, 1)
        self.rx.wait_for(pc, 1)
        self.rx.wait_for(pd, 1)
        time.sleep(0.5)  # anything that should not arrive has had time to
        self.assertEqual([r["json"]["table_id"] for r in self.rx.at(pa)], [123])
        self.assertEqual([r["json"]["table_id"] for r in self.rx.at(pc)], [999])
        self.assertEqual([r["json"]["event"] for r in self.rx.at(pd)], ["record_updated"])
        self.assertEqual(len(self.rx.at(pb)), 4)

    def test_event_input_errors(self):
        for body, field in [({}, "type"), ({"type": "has space"}, "type"), ({"type": "x", "colour": 1}, "colour"),
                            ({"type": "x", "table_id": {"a": 1}}, "table_id"),
                            ({"type": "x", "project_id": "nope"}, "project_id"),
                            ({"type": "x", "occurred_at": "yesterday"}, "occurred_at")]:
            with self.subTest(body=body):
                self.assertApiError(self.call("POST", "/api/v2/events", body), 400, "validation_error", field)
        self.assertApiError(self.call("GET", "/api/v2/events/evt_nope"), 404, "not_found")

    def test_repeated_external_id_is_one_event(self):
        w, path = self.hook(events=["order.paid"])
        first = self.call("POST", "/api/v2/events", {"type": "order.paid", "external_id": "order-17", "data": {"n": 1}})
        self.assertEqual(first.status, 202, first)
        again = self.call("POST", "/api/v2/events", {"type": "order.paid", "external_id": "order-17", "data": {"n": 1}})
        self.assertEqual(again.status, 200, again)  # the client's retry: the event it already stored
        self.assertEqual(again.json["id"], first.json["id"])
        self.assertEqual(again.json["external_id"], "order-17")
        self.assertApiError(self.call("POST", "/api/v2/events", {"type": "order.refunded", "external_id": "order-17"}),
                            409, "conflict", "external_id")
        # Another workspace's producer may use the same id.
        other = self.call("POST", "/api/v2/events", {"type": "order.paid", "external_id": "order-17"}, key=self.other)
        self.assertEqual(other.status, 202, other)
        self.rx.wait_for(path, 1)
        self.call("POST", "/api/v2/events", {"type": "order.paid", "external_id": "order-18"})
        got = self.rx.wait_for(path, 2)
        time.sleep(0.3)
        self.assertEqual([g["json"]["id"] for g in self.rx.at(path)][0], first.json["id"])
        self.assertEqual(len(self.rx.at(path)), 2, "the repeated POST was fanned out again")
        self.assertEqual(len(self.deliveries(w["id"])), 2)

    def test_retries_with_backoff_keep_the_delivery_id(self):
        w, path = self.hook(retry_config={"max_retries": 3, "retry_delay_seconds": 0.3, "exponential_backoff": True})
        self.rx.on(path, statuses=[500, 503])
        self.event("record_created")
        got = self.rx.wait_for(path, 3)
        self.assertEqual([g["status"] for g in got], [500, 503, 200])
        self.assertEqual(len({g["headers"]["X-Plugboard-Delivery"] for g in got}), 1)
        self.assertTrue(all(g["valid"] for g in got))
        gaps = [got[1]["at"] - got[0]["at"], got[2]["at"] - got[1]["at"]]
        # 0.3 s then 0.6 s, each +-20%
        self.assertGreaterEqual(gaps[0], 0.3 * 0.8 - 0.02, gaps)
        self.assertLess(gaps[0], 0.3 * 1.2 + 0.5, gaps)
        self.assertGreaterEqual(gaps[1], 0.6 * 0.8 - 0.02, gaps)
        (d,) = self.wait_delivery(w["id"], "success")
        self.assertEqual(d["attempts"], 3)

    def test_failed_delivery_log_filters_and_manual_retry(self):
        w, path = self.hook(retry_config={"max_retries": 1, "retry_delay_seconds": 0.1})
        self.rx.on(path, statuses=[500, 500])
        self.event("record_created", row_id=1)
        (d,) = self.wait_delivery(w["id"], "failed")
        self.assertEqual((d["attempts"], d["response_code"], d["response_body"]), (2, 500, "receiver says no"))
        self.assertEqual(len(self.deliveries(w["id"], "?status=failed")), 1)
        self.assertEqual(self.deliveries(w["id"], "?status=success"), [])
        self.assertEqual(len(self.deliveries(w["id"], "?start_date=2000-01-01&end_date=2999-12-31")), 1)
        self.assertEqual(self.deliveries(w["id"], "?start_date=2999-01-01"), [])
        self.assertEqual(len(self.deliveries(w["id"], "?limit=1")), 1)
        self.assertApiError(self.call("GET", f"/api/v2/webhooks/{w['id']}/deliveries?status=odd"), 400,
                            "validation_error", "status")
        self.assertApiError(self.call("GET", f"/api/v2/webhooks/{w['id']}/deliveries?start_date=soon"), 400,
                            "validation_error", "start_date")

        r = self.call("POST", f"/api/v2/webhooks/deliveries/{d['id']}/retry")
        self.assertEqual(r.status, 202, r)
        self.assertEqual(r.json["id"], d["id"])
        got = self.rx.wait_for(path, 3)
        self.assertEqual(got[-1]["headers"]["X-Plugboard-Delivery"], d["id"])
        (done,) = self.wait_delivery(w["id"], "success")
        self.assertEqual(done["id"], d["id"])
        self.assertApiError(self.call("POST", f"/api/v2/webhooks/deliveries/{d['id']}/retry"), 409, "conflict")
        self.assertApiError(self.call("POST", "/api/v2/webhooks/deliveries/dlv_nope/retry"), 404, "not_found")

    def test_delivery_log_pages_with_a_cursor(self):
        w, path = self.hook()
        for i in range(5):
            self.event("record_created", row_id=i)
        self.wait_delivery(w["id"], "success", count=5)
        seen, cursor, pages = [], None, 0
        while True:
            r = self.call("GET", f"/api/v2/webhooks/{w['id']}/deliveries?limit=2" + (f"&cursor={cursor}" if cursor else ""))
            self.assertEqual(r.status, 200, r)
            self.assertEqual((r.json["total"], r.json["limit"]), (5 if pages == 0 else 6, 2), r)
            seen += [d["id"] for d in r.json["deliveries"]]
            pages += 1
            cursor = r.json["next_cursor"]
            if cursor is None:
                break
            if pages == 1:  # the log grows meanwhile: the new delivery is newer than every page
                self.event("record_created", row_id=99)
                self.wait_delivery(w["id"], "success", count=6)
        self.assertEqual(pages, 3)
        self.assertEqual(len(seen), 5)
        self.assertEqual(len(set(seen)), 5, "a delivery appeared on two pages")
        newest_first = [d["id"] for d in self.deliveries(w["id"])]
        self.assertEqual(seen, [i for i in newest_first if i in seen])  # pages keep the log's order
        self.assertApiError(self.call("GET", f"/api/v2/webhooks/{w['id']}/deliveries?cursor=bm90LWEtY3Vyc29y"),
                            400, "validation_error", "cursor")

    def test_test_endpoint(self):
        w, path = self.hook()
        body = {"test_data": {"event": "record_created", "table_id": 123, "row_id": 1001,
                              "data": {"field_456": "Test Task", "field_457": "High"}}}
        r = self.call("POST", f"/api/v2/webhooks/{w['id']}/test", body)
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["status"], r.json["response_code"], r.json["response_body"]), ("success", 200, "OK"))
        self.assertIsInstance(r.json["response_time_ms"], int)
        self.assertRegex(r.json["delivered_at"], r"^\d{4}-\d\d-\d\dT")
        (got,) = self.rx.at(path)
        self.assertTrue(got["valid"])
        self.assertEqual((got["json"]["event"], got["json"]["row_id"], got["json"]["data"]["field_456"]),
                         ("record_created", 1001, "Test Task"))
        self.assertEqual(got["headers"]["X-Plugboard-Delivery"], r.json["delivery_id"])

        self.rx.on(path, statuses=[502])
        r = self.call("POST", f"/api/v2/webhooks/{w['id']}/test")
        self.assertEqual((r.status, r.json["status"], r.json["response_code"]), (200, "failed", 502), r)
        self.assertEqual(self.get_hook(w["id"])["consecutive_failures"], 0)  # tests do not count

    def test_switched_off_after_consecutive_failures(self):
        w, path = self.hook(retry_config={"max_retries": 0, "retry_delay_seconds": 0.1})
        self.rx.on(path, statuses=[500] * 3)
        for i in range(3):
            self.event("record_created", row_id=i)
            self.wait_delivery(w["id"], "failed", count=i + 1)
        hook = self.get_hook(w["id"])
        self.assertFalse(hook["active"])
        self.assertIn("3 failed deliveries in a row", hook["disabled_reason"])
        self.event("record_created", row_id=99)
        time.sleep(0.5)
        self.assertEqual(len(self.rx.at(path)), 3)  # switched off: nothing more is sent
        r = self.call("PATCH", f"/api/v2/webhooks/{w['id']}", {"active": True})
        self.assertEqual((r.json["active"], r.json["disabled_reason"], r.json["consecutive_failures"]), (True, None, 0))

    # --- access --------------------------------------------------------------------------------

    def test_other_workspace_gets_404(self):
        w, path = self.hook()
        self.rx.on(path, statuses=[500])
        self.call("POST", f"/api/v2/webhooks/{w['id']}/test")
        (d,) = self.deliveries(w["id"])
        for method, url, body in [("GET", f"/api/v2/webhooks/{w['id']}", None),
                                  ("PATCH", f"/api/v2/webhooks/{w['id']}", {"name": "mine"}),
                                  ("DELETE", f"/api/v2/webhooks/{w['id']}", None),
                                  ("POST", f"/api/v2/webhooks/{w['id']}/test", None),
                                  ("GET", f"/api/v2/webhooks/{w['id']}/deliveries", None),
                                  ("POST", f"/api/v2/webhooks/deliveries/{d['id']}/retry", None)]:
            with self.subTest(method=method, url=url):
                r = self.call(method, url, body, key=self.other)
                self.assertApiError(r, 404, "not_found")
                self.assertNotIn(self.rx.url, r.text)
        listed = self.call("GET", "/api/v2/webhooks", key=self.other)
        self.assertEqual(listed.json["webhooks"], [])
        e = self.event("record_created")
        self.assertApiError(self.call("GET", f"/api/v2/events/{e['id']}", key=self.other), 404, "not_found")
        self.assertEqual(self.get_hook(w["id"])["name"], w["name"])

    def test_read_key_cannot_change(self):
        w, _ = self.hook()
        self.assertEqual(self.call("GET", f"/api/v2/webhooks/{w['id']}", key=self.reader).status, 200)
        for method, url in [("POST", "/api/v2/webhooks"), ("PATCH", f"/api/v2/webhooks/{w['id']}"),
                            ("DELETE", f"/api/v2/webhooks/{w['id']}"), ("POST", "/api/v2/events")]:
            self.assertApiError(self.call(method, url, {"name": "x"}, key=self.reader), 403, "forbidden")


class RetentionTest(PlugboardTestCase):
    """The server's retention task deletes old dispatched events and old finished deliveries, and
    keeps what is recent or still owed (config retention.*, here every second)."""

    server_env = {"PLUGBOARD_WEBHOOKS_EGRESS_ALLOW_LOOPBACK": "true",
                  "PLUGBOARD_RETENTION_EVENTS_DAYS": "7",
                  "PLUGBOARD_RETENTION_DELIVERIES_DAYS": "3",
                  "PLUGBOARD_RETENTION_INTERVAL_SECONDS": "1"}

    def test_old_events_and_deliveries_are_pruned(self):
        rx = Receiver()
        try:
            r = self.call("POST", "/api/v2/webhooks", {"name": "n", "url": rx.url + "/h"})
            self.assertEqual(r.status, 201, r)
            hook = r.json["id"]
            ids = [self.call("POST", "/api/v2/events", {"type": "record_created", "row_id": i}).json["id"]
                   for i in range(4)]
            rx.wait_for("/h", 4)
            deadline = time.monotonic() + 15
            while True:
                ds = self.call("GET", f"/api/v2/webhooks/{hook}/deliveries").json["deliveries"]
                if len(ds) == 4 and all(d["status"] == "success" for d in ds):
                    break
                self.assertLess(time.monotonic(), deadline, ds)
                time.sleep(0.05)
            by_event = {d["event_id"]: d["id"] for d in ds}
            # Age them as if time had passed: events 0 and 1 are 10 days old, 2 is 5 days old;
            # deliveries of 0 and 2 are 10 days old, but 2's is still retrying (owed).
            five_days_ago = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 5 * 86400))
            self.env.sql("UPDATE events SET created_at = '2000-01-01T00:00:00Z' WHERE id IN (?, ?)", ids[:2])
            self.env.sql("UPDATE events SET created_at = ? WHERE id = ?", (five_days_ago, ids[2]))
            self.env.sql("UPDATE webhook_deliveries SET created_at = '2000-01-01T00:00:00Z' WHERE id IN (?, ?)",
                         (by_event[ids[0]], by_event[ids[2]]))
            self.env.sql("UPDATE webhook_deliveries SET status = 'retrying', next_attempt_at = ? WHERE id = ?",
                         (9 * 10**15, by_event[ids[2]]))
            deadline = time.monotonic() + 15
            while self.call("GET", f"/api/v2/events/{ids[0]}").status != 404:
                self.assertLess(time.monotonic(), deadline, "the retention task did not run")
                time.sleep(0.1)
            time.sleep(1.5)  # a further pass must not take more
            self.assertEqual([self.call("GET", f"/api/v2/events/{i}").status for i in ids], [404, 404, 200, 200])
            left = {d["id"] for d in self.call("GET", f"/api/v2/webhooks/{hook}/deliveries").json["deliveries"]}
            self.assertEqual(left, {by_event[ids[1]], by_event[ids[2]], by_event[ids[3]]})
        finally:
            rx.close()


class EgressTest(PlugboardTestCase):
    """Default egress policy: loopback, private, link-local and metadata addresses are refused."""

    def test_refused_at_create(self):
        for url, word in [("http://127.0.0.1:9/hook", "loopback"), ("http://localhost:9/x", "loopback"),
                          ("http://[::1]:9/x", "loopback"), ("http://10.1.2.3/x", "private"),
                          ("http://192.168.0.10/x", "private"), ("http://169.254.169.254/latest", "metadata"),
                          ("http://[fd00:ec2::254]/x", "metadata"), ("http://[fe80::1]/x", "link-local"),
                          ("http://0.0.0.0:9/x", "loopback")]:
            with self.subTest(url=url):
                r = self.call("POST", "/api/v2/webhooks", {"name": "n", "url": url})
                e = self.assertApiError(r, 400, "validation_error", "url")
                self.assertIn(word, e["message"])

    def test_refused_at_delivery_without_retrying(self):
        rx = Receiver()
        try:
            self.env.restart(extra_env={"PLUGBOARD_WEBHOOKS_EGRESS_ALLOW_LOOPBACK": "1"})
            r = self.call("POST", "/api/v2/webhooks", {"name": "n", "url": rx.url + "/h",
                                                       "retry_config": {"retry_delay_seconds": 0.1}})
            self.assertEqual(r.status, 201, r)
            self.env.restart()
            self.assertEqual(self.call("POST", "/api/v2/events", {"type": "record_created"}).status, 202)
            deadline = time.monotonic() + 15
            while True:
                ds = self.call("GET", f"/api/v2/webhooks/{r.json['id']}/deliveries").json["deliveries"]
                if ds and ds[0]["status"] == "failed":
                    break
                self.assertLess(time.monotonic(), deadline, ds)
                time.sleep(0.05)
            self.assertEqual(ds[0]["attempts"], 1)
            self.assertIn("loopback", ds[0]["error"])
            self.assertEqual(rx.at("/h"), [])
        finally:
            rx.close()


if __name__ == "__main__":
    unittest.main()
