#!/usr/bin/python3
"""Every auth type end to end through execute, with the credentials checked where they land
(the fake provider records what it received), and a sweep proving no secret used in the run
appears in any response or in the server's log."""

import base64
import os
import shutil
import tempfile
import unittest

from harness import PlugboardTestCase

SECRETS = {
    "bearer": "bearer-secret-31337",
    "query_key": "query-key-secret-8080",
    "header_key": "header-key-secret-4242",
    "shared_key": "shared-key-secret-1111",
    "password": "basic-password-secret-2222",
    "custom": "custom-password-secret-3333",
}


class AuthTypesTest(PlugboardTestCase):
    start_server = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The bundled plugins plus the echo test plugin, whose `fetch` calls the provider.
        cls.plugins = tempfile.mkdtemp(prefix="pb-plugins-")
        for folder in (os.environ["PLUGBOARD_TEST_PLUGINS"], os.path.join(os.environ["PLUGBOARD_TEST_PLUGIN_DIR"], "echo")):
            for name in os.listdir(folder):
                if name.endswith((".so", ".yaml")):
                    os.symlink(os.path.join(folder, name), os.path.join(cls.plugins, name))
        cls.env.start(plugins_dir=cls.plugins)
        cls.responses = []

    @classmethod
    def tearDownClass(cls):
        log = cls.env.log_text()
        super().tearDownClass()
        shutil.rmtree(cls.plugins, ignore_errors=True)
        leaked = [name for name, value in SECRETS.items() if value in log or any(value in r for r in cls.responses)]
        assert not leaked, f"secrets {leaked} appeared in a response or the log"

    def call(self, *a, **kw):
        r = super().call(*a, **kw)
        self.responses.append(r.text)
        return r

    def integration(self, name, **fields):
        body = {"name": name, "type": "echo", "apiBaseUri": self.env.fake.url}
        body.update(fields)
        r = self.call("POST", "/api/v2/integrations", body)
        self.assertEqual(r.status, 201, r)
        return r.json["id"]

    def connect(self, integration, auth_type, credentials=None):
        body = {"integration_id": integration, "project_id": self.project, "auth_type": auth_type}
        if credentials is not None:
            body["credentials"] = credentials
        r = self.call("POST", "/api/v2/connections", body)
        self.assertEqual(r.status, 201, r)
        return r.json

    def fetch(self, conn):
        """Runs echo's fetch against the fake provider; returns what the provider received."""
        self.env.fake.reset()
        r = self.execute(conn["id"], "fetch", {"url": "/api/auth.test"})
        self.assertEqual(r.status, 200, r)
        received = self.env.fake.requests()
        self.assertEqual(len(received), 1)
        return received[0]

    def test_bearer(self):
        conn = self.connect(self.integration("Echo bearer"), "bearer", {"token": SECRETS["bearer"]})
        self.assertEqual(self.fetch(conn)["headers"]["Authorization"], "Bearer " + SECRETS["bearer"])

    def test_api_key_where_the_manifest_puts_it(self):
        conn = self.connect(self.integration("Echo query key"), "apikey", {"api_key": SECRETS["query_key"]})
        self.assertIn("key=" + SECRETS["query_key"], self.fetch(conn)["path"])

    def test_api_key_where_the_integration_puts_it(self):
        i = self.integration("Echo header key", apiKeyLocation="header", apiKeyName="X-Api-Key")
        got = self.fetch(self.connect(i, "apikey", {"api_key": SECRETS["header_key"]}))
        self.assertEqual(got["headers"]["X-Api-Key"], SECRETS["header_key"])
        self.assertNotIn("key=", got["path"])

    def test_shared_api_key_of_the_integration(self):
        i = self.integration("Echo shared key", apiKey=SECRETS["shared_key"], apiKeyLocation="header",
                             apiKeyName="X-Api-Key")
        conn = self.connect(i, "apikey")
        self.assertEqual(conn["status"], "connected")
        self.assertEqual(self.fetch(conn)["headers"]["X-Api-Key"], SECRETS["shared_key"])

    def test_basic(self):
        conn = self.connect(self.integration("Echo basic"), "basic", {"username": "ada", "password": SECRETS["password"]})
        expected = base64.b64encode(f"ada:{SECRETS['password']}".encode()).decode()
        self.assertEqual(self.fetch(conn)["headers"]["Authorization"], "Basic " + expected)

    def test_custom_fields_reach_the_plugin(self):
        conn = self.connect(self.integration("Echo custom"), "custom",
                            {"host": "smtp.example.com", "port": "587", "username": "ada", "password": SECRETS["custom"]})
        self.assertEqual(conn["credentials"], {k: "[REDACTED]" for k in ("host", "port", "username", "password")})
        r = self.execute(conn["id"], "whoami")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(sorted(r.json["data"]["credential_fields"]), ["host", "password", "port", "username"])
        missing = self.call("POST", "/api/v2/connections", {"integration_id": "echo", "project_id": self.project,
                                                            "auth_type": "custom", "credentials": {"host": "x"}})
        self.assertApiError(missing, 400, "validation_error", "credentials.port")


if __name__ == "__main__":
    unittest.main()
