#!/usr/bin/python3
"""Microsoft Teams end to end: the real server and plugin, an integration whose apiBaseUri points
at tests/fakes/fake_graph.py, seed 000's send-teams-message body with {{field_456}} filled from
context (read back at the fake), paging, Graph's errors, retries, and incoming-webhook mode with
the webhook URL never appearing in a response."""

import copy
import json
import os
import subprocess
import time
import unittest
import urllib.parse

from harness import PYTHON, SOURCE_DIR, STARTUP_TIMEOUT, PlugboardTestCase, _LineReader, _stop, request

FAKE_GRAPH = os.path.join(SOURCE_DIR, "tests", "fakes", "fake_graph.py")
GRAPH_TOKEN = "graph-test-token-5150"  # the one token fake_graph accepts
TEAM = "02bd9fd6-8f93-4758-87c3-1fb73740a315"    # HR Taskforce, 3 channels
BIG_TEAM = "8090c93e-ba7c-433e-9f39-08c7ba07c0b3"  # 25 channels, 10 per Graph page
CHANNEL = "19:561fbdbbfca848a484f0a6f00ce9dbbd@thread.tacv2"
HOOK_PATH = "/webhookb2/3f1c2a9e-secret-hook@72f988bf/IncomingWebhook/a1b2c3d4e5f6/0d9e8f7a"

# Seed 000's body for send-teams-message, to the letter (ids filled in).
SEED_000 = {
    "team_id": TEAM,
    "channel_id": CHANNEL,
    "message": {
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "content": {
                "type": "AdaptiveCard",
                "version": "1.3",
                "body": [
                    {"type": "TextBlock", "text": "New Task Created", "weight": "Bolder", "size": "Medium"},
                    {"type": "FactSet", "facts": [{"title": "Task:", "value": "{{field_456}}"},
                                                  {"title": "Priority:", "value": "{{field_457}}"}]},
                ],
            },
        }],
    },
}
CONTEXT = {"field_456": "Write the docs", "field_457": "High"}


class FakeGraph:
    def __init__(self, log_dir):
        self.log = open(os.path.join(log_dir, "fake_graph.log"), "w")
        self.proc = subprocess.Popen([PYTHON, FAKE_GRAPH, "--port", "0", "--token", GRAPH_TOKEN],
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = _LineReader(self.proc.stdout).wait_for("READY ", STARTUP_TIMEOUT)
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"

    def control(self, method, path, body=None):
        r = request(self.url, method, path, body=body)
        assert r.status == 200, r
        return r.json

    def requests(self, contains=None):
        reqs = self.control("GET", "/_fake/requests")["requests"]
        return [r for r in reqs if contains is None or contains in r["path"]]

    def messages(self):
        return self.control("GET", "/_fake/messages")["messages"]

    def webhooks(self):
        return self.control("GET", "/_fake/webhooks")["webhooks"]

    def close(self):
        _stop(self.proc)
        self.log.close()


class TeamsTest(PlugboardTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.graph = FakeGraph(cls.env.dir)
        cls.responses = []
        try:
            body = {"name": "Teams via fake", "type": "teams", "apiBaseUri": cls.graph.url + "/v1.0"}
            r = cls.env.call("POST", "/api/v2/integrations", body, key=cls.key)
            assert r.status == 201, r
            cls.integration = r.json["id"]
            cls.conn = cls.connect_as("bearer", {"token": GRAPH_TOKEN})["id"]
            cls.hook_url = cls.graph.url + HOOK_PATH
            cls.hook_conn = cls.connect_as("custom", {"webhook_url": cls.hook_url})
        except BaseException:
            cls.graph.close()
            cls.env.close()
            raise

    @classmethod
    def connect_as(cls, auth_type, credentials):
        body = {"integration_id": cls.integration, "project_id": cls.project, "auth_type": auth_type,
                "credentials": credentials}
        r = cls.env.call("POST", "/api/v2/connections", body, key=cls.key)
        cls.responses.append(r.text)
        assert r.status == 201, r
        return r.json

    @classmethod
    def tearDownClass(cls):
        log = cls.env.log_text()
        cls.graph.close()
        super().tearDownClass()
        leaked = [r[:300] for r in cls.responses if HOOK_PATH in r or "secret-hook" in r]
        assert not leaked, f"the webhook URL appeared in responses: {leaked}"
        assert "secret-hook" not in log, "the webhook URL appeared in the server log"

    def setUp(self):
        self.graph.control("POST", "/_fake/reset", {})

    def call(self, *a, **kw):
        r = super().call(*a, **kw)
        self.responses.append(r.text)
        return r

    def send(self, parameters, conn=None):
        return self.execute(conn or self.conn, "send-teams-message", parameters)

    def assertTeamsOk(self, r, action_name):
        self.assertEqual(r.status, 200, r)
        self.assertIs(r.json["success"], True, r)
        self.assertEqual(r.json["metadata"]["action"], action_name)
        self.assertEqual(r.json["metadata"]["integration"], "Microsoft Teams")
        return r.json["data"]

    # --- send-teams-message through Graph --------------------------------------------------

    def test_seed_000_card_with_placeholders_filled(self):
        data = self.assertTeamsOk(self.send(dict(SEED_000, context=CONTEXT)), "Send Teams Message")
        [msg] = self.graph.messages()
        self.assertEqual(data["message_id"], msg["id"])
        self.assertEqual((data["team_id"], data["channel_id"], data["mode"]), (TEAM, CHANNEL, "graph"))
        self.assertEqual(data["web_url"], msg["webUrl"])
        self.assertEqual(data["created_at"], msg["createdDateTime"])

        # Graph's form: the card as a JSON string, referenced from an html body by attachment id.
        [att] = msg["attachments"]
        self.assertEqual(att["contentType"], "application/vnd.microsoft.card.adaptive")
        self.assertIsInstance(att["content"], str)
        self.assertEqual(msg["body"]["contentType"], "html")
        self.assertEqual(msg["body"]["content"], f'<attachment id="{att["id"]}"></attachment>')
        expected = copy.deepcopy(SEED_000["message"]["attachments"][0]["content"])
        expected["body"][1]["facts"][0]["value"] = "Write the docs"
        expected["body"][1]["facts"][1]["value"] = "High"
        self.assertEqual(json.loads(att["content"]), expected)

        [req] = self.graph.requests("/messages")
        self.assertEqual(req["method"], "POST")
        self.assertEqual(req["headers"]["Authorization"], "Bearer " + GRAPH_TOKEN)
        self.assertIn(f"/v1.0/teams/{TEAM}/channels/", req["path"])

    def test_missing_context_field_is_a_clear_error(self):
        r = self.send(dict(SEED_000, context={"field_456": "only one"}))
        err = self.assertExecuteError(r, 500, "EXECUTION_FAILED")
        self.assertEqual(err["details"]["error_code"], "TEMPLATE_FIELD_MISSING", r)
        self.assertEqual(err["details"]["field"], "field_457", r)
        self.assertIn("field_457", err["message"])
        self.assertEqual(self.graph.requests(), [], "nothing may be sent when a field is missing")
        self.assertEqual(self.send(SEED_000).json["error"]["details"]["error_code"], "TEMPLATE_FIELD_MISSING")

    def test_plain_text_and_subject(self):
        r = self.send({"team_id": TEAM, "channel_id": CHANNEL, "message": "Task {{task.name}} is due",
                       "subject": "Re: {{field_456}}", "context": {"task": {"name": "T-1"}, "field_456": "Docs"}})
        self.assertTeamsOk(r, "Send Teams Message")
        [msg] = self.graph.messages()
        self.assertEqual(msg["body"], {"contentType": "text", "content": "Task T-1 is due"})
        self.assertEqual(msg["subject"], "Re: Docs")
        self.assertEqual(msg["attachments"], [])
        r = self.send({"team_id": TEAM, "channel_id": CHANNEL, "message": {"text": "a <b> & c"}})
        self.assertTeamsOk(r, "Send Teams Message")
        self.assertEqual(self.graph.messages()[-1]["body"], {"contentType": "text", "content": "a <b> & c"})

    def test_graph_mode_needs_team_and_channel(self):
        r = self.send({"channel_id": CHANNEL, "message": "hi"})
        err = self.assertExecuteError(r, 500, "EXECUTION_FAILED")
        self.assertEqual((err["details"]["error_code"], err["details"]["parameter"]), ("INVALID_PARAMETERS", "team_id"))
        r = self.send({"team_id": TEAM, "channel_id": CHANNEL, "message": {"type": "message"}})
        self.assertEqual(r.json["error"]["details"]["error_code"], "INVALID_PARAMETERS", r)
        self.assertEqual(self.graph.requests(), [])

    def test_unknown_team_is_graph_not_found(self):
        r = self.send(dict(SEED_000, team_id="00000000-0000-0000-0000-000000000000", context=CONTEXT))
        err = self.assertExecuteError(r, 500, "EXECUTION_FAILED")
        d = err["details"]
        self.assertEqual((d["error_code"], d["provider_error"], d["status"]), ("PROVIDER_ERROR", "NotFound", 404), r)
        self.assertIs(d["retryable"], False)
        self.assertIn("No team found", d["message"])
        self.assertTrue(d["request_id"])
        err = self.assertExecuteError(self.execute(self.conn, "list-channels", {"team_id": "nope"}), 500,
                                      "EXECUTION_FAILED")
        self.assertEqual(err["details"]["provider_error"], "NotFound")

    def test_429_is_retried_after_retry_after(self):
        self.graph.control("POST", "/_fake/ratelimit", {"count": 1, "retry_after": 1, "path": "/messages"})
        started = time.monotonic()
        self.assertTeamsOk(self.send(dict(SEED_000, context=CONTEXT)), "Send Teams Message")
        self.assertGreaterEqual(time.monotonic() - started, 0.9, "Retry-After was not honoured")
        self.assertEqual([c["status"] for c in self.graph.requests("/messages")], [429, 201])
        self.assertEqual(len(self.graph.messages()), 1)

    def test_503_is_retried_and_persisting_429_fails_retryable(self):
        self.graph.control("POST", "/_fake/fail", {"count": 1, "status": 503})
        self.assertTeamsOk(self.execute(self.conn, "list-teams"), "List Teams")
        self.assertEqual([c["status"] for c in self.graph.requests()][:2], [503, 200])
        self.graph.control("POST", "/_fake/ratelimit", {"count": 10, "retry_after": 1})
        err = self.assertExecuteError(self.execute(self.conn, "list-teams"), 500, "EXECUTION_FAILED")
        d = err["details"]
        self.assertEqual((d["provider_error"], d["status"], d["retry_after"]), ("TooManyRequests", 429, 1), err)
        self.assertIs(d["retryable"], True)

    def test_expired_token_is_401_invalid_authentication_token(self):
        self.graph.control("POST", "/_fake/tokens", {"expired": ["expired-token-1"]})
        conn = self.connect_as("bearer", {"token": "expired-token-1"})
        err = self.assertExecuteError(self.execute(conn["id"], "list-teams"), 500, "EXECUTION_FAILED")
        d = err["details"]
        self.assertEqual((d["provider_error"], d["status"]), ("InvalidAuthenticationToken", 401), err)
        self.assertIn("token is expired", d["message"])

    # --- listing ------------------------------------------------------------------------------

    def test_list_teams_follows_next_link(self):
        data = self.assertTeamsOk(self.execute(self.conn, "list-teams"), "List Teams")
        self.assertEqual(len(data["teams"]), 5)
        self.assertEqual(data["next_link"], "")
        self.assertEqual(data["teams"][0], {"id": TEAM, "displayName": "HR Taskforce",
                                            "description": "Working on HR stuff"})
        self.assertIsNone(data["teams"][2]["description"])
        gets = self.graph.requests("/me/joinedTeams")
        self.assertEqual(len(gets), 3)  # 2 per page
        self.assertIn("$select=id,displayName,description", gets[0]["path"])
        self.assertTrue(all(g["headers"]["Authorization"] == "Bearer " + GRAPH_TOKEN for g in gets))

        # One page at a time: next_link out, next_link in.
        first = self.assertTeamsOk(self.execute(self.conn, "list-teams", {"max_pages": 1}), "List Teams")
        self.assertEqual(len(first["teams"]), 2)
        self.assertTrue(first["next_link"].startswith(self.graph.url + "/v1.0/me/joinedTeams?"))
        rest = self.assertTeamsOk(self.execute(self.conn, "list-teams", {"next_link": first["next_link"]}),
                                  "List Teams")
        self.assertEqual([t["id"] for t in first["teams"] + rest["teams"]], [t["id"] for t in data["teams"]])

        # A next_link for another resource or host is refused, never fetched.
        self.graph.control("POST", "/_fake/reset", {})
        for bad in ("https://evil.example/v1.0/me/messages", "http://evil.example/collect"):
            err = self.assertExecuteError(self.execute(self.conn, "list-teams", {"next_link": bad}), 500,
                                          "EXECUTION_FAILED")
            self.assertEqual(err["details"]["error_code"], "INVALID_PARAMETERS")
        # Another host's link for the same resource goes to the connection's own base URL.
        ok = self.execute(self.conn, "list-teams", {"next_link": first["next_link"].replace(self.graph.url,
                                                                                        "https://graph.microsoft.com")})
        self.assertEqual(len(self.assertTeamsOk(ok, "List Teams")["teams"]), 3)

    def test_list_channels(self):
        data = self.assertTeamsOk(self.execute(self.conn, "list-channels", {"team_id": TEAM}), "List Channels")
        self.assertEqual([c["displayName"] for c in data["channels"]], ["General", "Announcements", "Leadership"])
        self.assertEqual(data["channels"][0], {"id": CHANNEL, "displayName": "General",
                                               "description": "HR Taskforce General", "membershipType": "standard"})
        self.assertEqual(data["channels"][2]["membershipType"], "private")
        self.assertEqual(data["next_link"], "")
        big = self.assertTeamsOk(self.execute(self.conn, "list-channels", {"team_id": BIG_TEAM}), "List Channels")
        self.assertEqual(len(big["channels"]), 25)
        self.assertEqual(len(self.graph.requests(f"/teams/{BIG_TEAM}/channels")), 3)

    # --- connections ----------------------------------------------------------------------------

    def test_connection_test_returns_the_user(self):
        t = self.call("POST", f"/api/v2/connections/{self.conn}/test")
        self.assertEqual((t.status, t.json["status"]), (200, "success"), t)
        self.assertEqual(t.json["details"]["user_info"], {"email": "MeganB@contoso.onmicrosoft.com",
                                                          "name": "Megan Bowen",
                                                          "id": "48d31887-5fad-4d73-a9f5-3c356e68a038"})
        self.assertIn("/v1.0/me?", self.graph.requests()[-1]["path"])

    def test_oauth2_connection_refreshes_an_expired_token(self):
        g = self.graph.url
        r = self.call("POST", "/api/v2/integrations", {
            "name": "Teams via OAuth", "type": "teams", "authType": "oauth2", "apiBaseUri": g + "/v1.0",
            "clientId": "teams-client", "clientSecret": "teams-client-secret-77",
            "authUri": g + "/oauth2/v2.0/authorize", "tokenUri": g + "/oauth2/v2.0/token",
            "scope": "ChannelMessage.Send Team.ReadBasic.All Channel.ReadBasic.All User.Read offline_access"})
        self.assertEqual(r.status, 201, r)
        r = self.call("GET", f"/api/v2/oauth/{r.json['slug']}/authorize-url?project_id={self.project}&name=Mine")
        self.assertEqual(r.status, 200, r)
        url = urllib.parse.urlsplit(r.json["oauth_url"])
        self.assertIn("offline_access", urllib.parse.parse_qs(url.query)["scope"][0])
        consent = request(g, "GET", url.path + "?" + url.query)
        self.assertEqual(consent.status, 302, consent)
        back = urllib.parse.urlsplit(consent.headers["location"])
        done = request(self.env.url, "GET", back.path + "?" + back.query)
        self.responses.append(done.text)
        self.assertEqual(done.status, 201, done)
        conn = done.json["connection"]["id"]

        self.assertTeamsOk(self.execute(conn, "list-channels", {"team_id": TEAM}), "List Channels")
        first = self.graph.requests("/channels")[-1]["headers"]["Authorization"]
        self.graph.control("POST", "/_fake/tokens", {"expired": [first[len("Bearer "):]]})
        data = self.assertTeamsOk(self.execute(conn, "list-channels", {"team_id": TEAM}), "List Channels")
        self.assertEqual(len(data["channels"]), 3)
        calls = self.graph.requests("/channels")
        self.assertEqual([c["status"] for c in calls], [200, 401, 200])
        self.assertNotEqual(calls[-1]["headers"]["Authorization"], first)
        grants = [t["grant_type"] for t in self.graph.control("GET", "/_fake/oauth")["token_requests"]]
        self.assertEqual(grants, ["authorization_code", "refresh_token"])

    # --- incoming-webhook mode ------------------------------------------------------------------

    def test_webhook_mode_delivers_the_card(self):
        self.assertEqual(self.hook_conn["credentials"], {"webhook_url": "[REDACTED]"})
        body = {"message": SEED_000["message"], "context": CONTEXT}
        data = self.assertTeamsOk(self.send(body, conn=self.hook_conn["id"]), "Send Teams Message")
        self.assertEqual(data, {"delivered": True, "mode": "webhook"})
        [got] = self.graph.webhooks()
        self.assertEqual(got["path"], HOOK_PATH)
        expected = copy.deepcopy(SEED_000["message"])
        facts = expected["attachments"][0]["content"]["body"][1]["facts"]
        facts[0]["value"], facts[1]["value"] = "Write the docs", "High"
        self.assertEqual(got["payload"], expected)  # the message as is, card content still an object
        [req] = self.graph.requests("/webhookb2/")
        self.assertNotIn("Authorization", req["headers"])
        self.assertEqual(self.graph.messages(), [])

        # Seed 000's full body (team and channel given) also goes to the webhook.
        self.assertTeamsOk(self.send(dict(SEED_000, context=CONTEXT), conn=self.hook_conn["id"]), "Send Teams Message")
        self.assertEqual(len(self.graph.webhooks()), 2)

    def test_webhook_errors_and_test_never_show_the_url(self):
        r = self.send({"message": {"type": "message", "text": "{{missing}}"}}, conn=self.hook_conn["id"])
        self.assertEqual(r.json["error"]["details"]["error_code"], "TEMPLATE_FIELD_MISSING", r)
        self.graph.control("POST", "/_fake/fail", {"count": 5, "status": 503, "path": "/webhookb2/"})
        err = self.assertExecuteError(self.send({"message": "hello"}, conn=self.hook_conn["id"]), 500,
                                      "EXECUTION_FAILED")
        self.assertEqual((err["details"]["provider_error"], err["details"]["retryable"]), ("http_503", True), err)
        self.graph.control("POST", "/_fake/reset", {})
        ok = self.assertTeamsOk(self.send({"message": "hello"}, conn=self.hook_conn["id"]), "Send Teams Message")
        self.assertEqual(ok["mode"], "webhook")
        self.assertEqual(self.graph.webhooks()[0]["payload"], {"text": "hello"})

        t = self.call("POST", f"/api/v2/connections/{self.hook_conn['id']}/test")
        self.assertEqual((t.status, t.json["status"]), (200, "success"), t)
        self.assertEqual(t.json["details"]["user_info"]["mode"], "webhook")
        self.assertEqual(len(self.graph.webhooks()), 1, "testing a webhook connection must not post")

        # A webhook URL the host refuses: the error must not quote it.
        bad = self.connect_as("custom", {"webhook_url": "http://bad host/webhookb2/secret-hook-2"})
        err = self.assertExecuteError(self.send({"message": "x"}, conn=bad["id"]), 500, "EXECUTION_FAILED")
        self.assertNotIn("secret-hook", json.dumps(err))

        got = self.call("GET", f"/api/v2/connections/{self.hook_conn['id']}")
        self.assertEqual(got.json["credentials"], {"webhook_url": "[REDACTED]"})


if __name__ == "__main__":
    unittest.main()
