#!/usr/bin/python3
"""Master key rotation with the real binary: `plugboard vault rotate` re-seals every stored secret
under a new key file, keeps the old key as a retired key file that the next start reads, and
nothing is lost: executing through the fake Slack still works after a restart, and still works
after the retired key file is deleted, because every value was re-sealed."""

import hashlib
import json
import os
import stat
import subprocess
import unittest

from harness import BIN, Env, MASTER_KEY, SLACK_TOKEN

HEADER_SECRET = "hv-rotate-secret-5150"
CLIENT_SECRET = "cs-rotate-secret-8080"
SEALED_COLUMNS = [("connections", "sealed_credentials"), ("integrations", "sealed_client_secret"),
                  ("integrations", "sealed_api_key"), ("integrations", "sealed_headers"),
                  ("trigger_subscriptions", "sealed_secrets")]
SIGNING_SECRET = "ss-rotate-secret-4242"


class KeyFileEnv(Env):
    """The harness's Env, but the master key comes from <data_dir>/master.key, not the environment."""

    def base_env(self, plugins_dir=None, master_key=MASTER_KEY, extra=None):
        env = super().base_env(plugins_dir, master_key, extra)
        if master_key == MASTER_KEY:  # the default: use the key file
            del env["PLUGBOARD_MASTER_KEY"]
        return env


def key_id_of_file(path):
    with open(path) as f:
        return hashlib.sha256(bytes.fromhex(f.read().strip())).hexdigest()[:16]


class VaultRotateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.env = KeyFileEnv()
        try:
            cls.admin = cls.env.create_key()
            cls.env.start()
        except BaseException:
            cls.env.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.env.close()

    @property
    def key_file(self):
        return os.path.join(self.env.data_dir, "master.key")

    def cli(self, *args, env=None):
        return subprocess.run([BIN, *args], env=env or self.env.base_env(), capture_output=True, text=True,
                              timeout=60)

    def call(self, method, path, body=None):
        return self.env.call(method, path, body=body, key=self.admin["key"])

    def execute(self, conn_id):
        body = {"workspace_id": self.admin["workspace_id"], "project_id": self.admin["project_id"],
                "connection_id": conn_id, "action": "user-lookup", "parameters": {"email": "alice@example.com"}}
        return self.call("POST", "/api/v2/execute", body)

    def assert_executes(self, conn_id):
        """Executes through the fake Slack and checks both secrets reached it intact."""
        self.env.fake.reset()
        r = self.execute(conn_id)
        self.assertEqual(r.status, 200, r)
        self.assertIs(r.json["success"], True, r)
        seen = self.env.fake.requests("users.lookupByEmail")
        self.assertEqual(len(seen), 1, seen)
        headers = {k.lower(): v for k, v in seen[-1]["headers"].items()}
        self.assertEqual(headers.get("authorization"), f"Bearer {SLACK_TOKEN}")
        self.assertEqual(headers.get("x-rotate-secret"), HEADER_SECRET)

    def sealed_key_ids(self):
        """{(table, column): [key ids]} straight from plugboard.db."""
        out = {}
        with self.env.db() as db:
            for table, column in SEALED_COLUMNS:
                rows = db.execute(f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL").fetchall()
                out[(table, column)] = [v.split(":")[1] for (v,) in rows]
        return out

    def status(self):
        r = self.cli("vault", "status", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def test_rotate_reseals_everything_and_nothing_is_lost(self):
        env = self.env
        # An integration with a client secret and a secret header, and a Slack connection on it.
        r = self.call("POST", "/api/v2/integrations",
                      {"name": "Rotating", "type": "slack", "clientId": "cid", "clientSecret": CLIENT_SECRET,
                       "apiBaseUri": f"{env.fake.url}/api", "headers": {"X-Rotate-Secret": HEADER_SECRET}})
        self.assertEqual(r.status, 201, r)
        integration = r.json
        r = self.call("POST", "/api/v2/connections",
                      {"integration_id": integration["id"], "project_id": self.admin["project_id"],
                       "auth_type": "bearer", "credentials": {"token": SLACK_TOKEN}})
        self.assertEqual(r.status, 201, r)
        conn = r.json["id"]
        self.assert_executes(conn)
        # A trigger subscription whose secret config (Slack's signing secret) is sealed too.
        r = self.call("POST", "/api/v2/triggers",
                      {"connection_id": conn, "trigger": "events", "config": {"signing_secret": SIGNING_SECRET}})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(env.stop(), 0)

        old_id = key_id_of_file(self.key_file)
        with open(self.key_file) as f:
            old_hex = f.read().strip()
        before = self.sealed_key_ids()
        self.assertEqual(len(before[("connections", "sealed_credentials")]), 1, before)
        self.assertEqual(before[("integrations", "sealed_client_secret")], [old_id])
        self.assertEqual(before[("integrations", "sealed_headers")], [old_id])
        self.assertEqual(before[("trigger_subscriptions", "sealed_secrets")], [old_id])
        total = sum(len(v) for v in before.values())
        self.assertTrue(all(k == old_id for v in before.values() for k in v), before)
        st = self.status()
        self.assertEqual(st["current_key_id"], old_id)
        self.assertEqual(st["sealed_values_by_key"], {old_id: total})

        # A value no known key opens: rotate refuses, names the row, and changes nothing.
        with env.db() as db:
            db.execute("CREATE TEMP TABLE t AS SELECT * FROM connections WHERE id = ?", (conn,))
            db.execute("UPDATE t SET id = 'conn_orphan', name = 'orphan', sealed_credentials = ?",
                       ("v1:" + "ab" * 8 + ":" + "A" * 40,))
            db.execute("INSERT INTO connections SELECT * FROM t")
        r = self.cli("vault", "rotate")
        self.assertEqual(r.returncode, 1, (r.stdout, r.stderr))
        self.assertIn("connections conn_orphan sealed_credentials (sealed with key " + "ab" * 8 + ")", r.stderr)
        self.assertIn("Nothing was changed", r.stderr)
        self.assertEqual(key_id_of_file(self.key_file), old_id)
        expected = dict(before)
        expected[("connections", "sealed_credentials")] = sorted(before[("connections", "sealed_credentials")]
                                                                 + ["ab" * 8])
        got = self.sealed_key_ids()
        got[("connections", "sealed_credentials")].sort()
        self.assertEqual(got, expected)
        with env.db() as db:
            db.execute("DELETE FROM connections WHERE id = 'conn_orphan'")

        # The rotation.
        r = self.cli("vault", "rotate")
        self.assertEqual(r.returncode, 0, (r.stdout, r.stderr))
        new_id = key_id_of_file(self.key_file)
        self.assertNotEqual(new_id, old_id)
        self.assertIn(f"old key: {old_id}", r.stdout)
        self.assertIn(f"new key: {new_id}", r.stdout)
        self.assertIn("connections: 1 re-sealed", r.stdout)
        self.assertIn("integrations: 2 re-sealed", r.stdout)
        self.assertIn("trigger_subscriptions: 1 re-sealed", r.stdout)
        with open(self.key_file) as f:
            self.assertNotIn(f.read().strip(), r.stdout + r.stderr)  # ids only, never keys
        retired = self.key_file + ".retired-" + old_id
        self.assertEqual(key_id_of_file(retired), old_id)
        self.assertEqual(stat.S_IMODE(os.stat(retired).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(self.key_file).st_mode), 0o600)
        after = self.sealed_key_ids()
        self.assertEqual({k: len(v) for k, v in after.items()}, {k: len(v) for k, v in before.items()})
        self.assertTrue(all(k == new_id for v in after.values() for k in v), after)
        st = self.status()
        self.assertEqual(st["current_key_id"], new_id)
        self.assertEqual(st["sealed_values_by_key"], {new_id: total})
        self.assertEqual([(k["id"], k["sealed_values"]) for k in st["retired_keys"]], [(old_id, 0)])

        # Restarted with the key file (and the retired file beside it): nothing is lost.
        env.start()
        self.assert_executes(conn)
        got = self.call("GET", f"/api/v2/integrations/{integration['id']}")
        self.assertEqual(got.status, 200, got)
        self.assertEqual(got.json["clientSecret"], "[REDACTED]")
        self.assertEqual(env.stop(), 0)

        # Every value was re-sealed, so the old key is not needed any more.
        os.remove(retired)
        env.start()
        self.assert_executes(conn)
        self.assertEqual(env.stop(), 0)
        st = self.status()
        self.assertEqual((st["current_key_id"], st["retired_keys"]), (new_id, []))
        self.assertEqual(st["sealed_values_by_key"], {new_id: total})
        text = self.cli("vault", "status")
        self.assertEqual(text.returncode, 0, text.stderr)
        self.assertIn(f"current key: {new_id}", text.stdout)
        self.assertNotIn(old_id, text.stdout)

        # And the old key alone opens nothing any more: the values really moved.
        env.start(master_key=old_hex)
        r = self.execute(conn)
        self.assertEqual(r.status, 500, r)
        self.assertEqual(r.json["error"]["code"], "CREDENTIAL_DECRYPTION_FAILED", r)
        self.assertIn(new_id, json.dumps(r.json["error"]))
        env.stop()

        # Rotating again just rotates again; the newest key alone then opens everything.
        r = self.cli("vault", "rotate")
        self.assertEqual(r.returncode, 0, (r.stdout, r.stderr))
        third_id = key_id_of_file(self.key_file)
        self.assertNotIn(third_id, (old_id, new_id))
        self.assertTrue(os.path.exists(self.key_file + ".retired-" + new_id))
        self.assertTrue(all(k == third_id for v in self.sealed_key_ids().values() for k in v))
        os.remove(self.key_file + ".retired-" + new_id)
        env.start()
        self.assert_executes(conn)
        self.assertNotIn(old_hex, env.log_text())


if __name__ == "__main__":
    unittest.main()
