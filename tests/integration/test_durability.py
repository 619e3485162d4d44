#!/usr/bin/python3
"""Durability: execution records reach the SQLite store by the time a SIGTERM'd server exits."""

import json
import unittest

from harness import PlugboardTestCase, new_connection


class DurabilityTest(PlugboardTestCase):
    def test_executions_are_recorded(self):
        conn = new_connection(self.env, self.key, self.project)["id"]
        ok = [self.execute(conn, "user-lookup", {"email": "alice@example.com"}) for _ in range(3)]
        ok.append(self.execute(conn, "send-message", {"channel": "#general", "text": "durable"}))
        failed = self.execute(conn, "send-message", {"channel": "#no-such-channel", "text": "x"})
        rejected = self.execute(conn, "no-such-action")  # refused before any plugin runs
        self.assertEqual([r.status for r in ok], [200] * 4)
        self.assertEqual((failed.status, rejected.status), (500, 404))

        self.assertEqual(self.env.stop(), 0, "plugboard serve did not exit cleanly on SIGTERM")
        with self.env.db() as db:
            db.row_factory = lambda cur, row: {d[0]: v for d, v in zip(cur.description, row)}
            rows = {r["id"]: r for r in db.execute("SELECT * FROM executions")}

        for r in ok:
            row = rows[r.json["metadata"]["execution_id"]]
            self.assertEqual(row["status"], "success")
            self.assertEqual(row["error_code"], "")
            self.assertEqual(row["request_id"], r.json["metadata"]["request_id"])
            self.assertEqual((row["workspace_id"], row["project_id"], row["connection_id"], row["provider"]),
                             (self.ws, self.project, conn, "slack"))
            self.assertGreaterEqual(row["duration_ms"], 0)
            self.assertRegex(row["started_at"], r"^\d{4}-\d\d-\d\dT")
            self.assertIsInstance(json.loads(row["parameters"]), dict)
            self.assertEqual(json.loads(row["result"]), r.json["data"])
        self.assertEqual(rows[ok[0].json["metadata"]["execution_id"]]["action"], "user-lookup")
        self.assertEqual(rows[ok[3].json["metadata"]["execution_id"]]["action"], "send-message")

        row = rows[failed.json["metadata"]["execution_id"]]
        self.assertEqual(row["status"], "error")
        self.assertEqual(row["error_code"], "PROVIDER_ERROR")
        self.assertEqual(json.loads(row["result"])["provider_error"], "channel_not_found")
        # Requests refused before the action ran have no execution id and no row.
        self.assertNotIn("execution_id", rejected.json["metadata"])
        self.assertEqual(len(rows), 5)

        # The records survive a restart too: the server starts again over the same store.
        self.env.start()
        self.assertEqual(self.call("GET", f"/api/v2/connections/{conn}").status, 200)


if __name__ == "__main__":
    unittest.main()
