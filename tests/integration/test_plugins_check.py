"""`plugboard plugins check` (conformance) and `plugboard plugins new` argument handling.

Each deliberately bad plugin or manifest must produce its FAIL line, naming the file and
field; good plugins pass; exit codes are 0 (pass), 1 (a FAIL) and 2 (usage). No server runs:
the checker loads libraries and dry-runs the validator itself.
"""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import BIN

TEST_PLUGINS = os.environ.get("PLUGBOARD_TEST_PLUGIN_DIR") or os.path.join(
    os.path.dirname(BIN), "..", "test-plugins")

# A manifest with no library behind it: only the checks that need no library code can pass.
SCHEMA_ONLY = """manifest_version: 1
id: {id}
name: Schema Only
version: 0.1.0
description: Conformance fixture
category: testing
library: libplugboard_absent.so
abi: {{major: 1, minor: 0}}
actions:
  - slug: act
    name: Act
    description: Fixture action
    parameters:
{parameters}
"""


def read(path):
    with open(path) as f:
        return f.read()


def run(*args):
    return subprocess.run([BIN, "plugins", *args], capture_output=True, text=True, timeout=60)


def lines(out, status, check):
    return [l for l in out.splitlines() if l.strip().startswith(f"{status} {check}")]


class PluginsCheck(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="plugboard-check-")
        echo = os.path.join(TEST_PLUGINS, "echo")
        cls.echo_manifest = read(os.path.join(echo, "echo.yaml"))
        shutil.copy(os.path.join(echo, "libplugboard_echo.so"), cls.dir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def schema_fixture(self, name, parameters):
        indented = "\n".join("      " + l for l in parameters.strip().splitlines())
        return self.write(name + ".yaml", SCHEMA_ONLY.format(id=name, parameters=indented))

    def test_good_plugin_passes_every_check(self):
        r = run("check", os.path.join(TEST_PLUGINS, "echo", "echo.yaml"))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        for check in ("manifest", "abi", "schema", "sample", "reject", "library", "load", "describe"):
            self.assertTrue(lines(r.stdout, "PASS", check), f"no PASS {check} in:\n{r.stdout}")
        self.assertNotIn("FAIL", r.stdout)
        self.assertIn("refused 3 invalid variants (missing required field 'message'", r.stdout)
        self.assertRegex(r.stdout, r"summary: \d+ passed, 0 failed, \d+ warnings in 1 manifest -> OK")

    def test_every_path_is_checked(self):
        r = run("check", os.path.join(TEST_PLUGINS, "echo"), os.path.join(TEST_PLUGINS, "mismatch"))
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("echo.yaml (echo)", r.stdout)
        self.assertIn("mismatch.yaml (mismatch)", r.stdout)
        self.assertIn("in 2 manifests -> FAILED", r.stdout)

    def test_invalid_json_schema_fails_the_manifest(self):
        path = self.schema_fixture("bad_schema", "type: object\nproperties:\n  name: {type: strin}")
        r = run("check", path)
        self.assertEqual(r.returncode, 1)
        fail = lines(r.stdout, "FAIL", "manifest")
        self.assertEqual(len(fail), 1, r.stdout)
        self.assertIn("bad_schema.yaml:", fail[0])
        self.assertIn("actions[0].parameters", fail[0])
        self.assertIn("properties.name.type: unknown type 'strin'", fail[0])

    def test_abi_major_mismatch_fails_before_the_library_is_opened(self):
        text = self.echo_manifest.replace("abi: {major: 1, minor: 0}", "abi: {major: 2, minor: 0}")
        self.assertNotEqual(text, self.echo_manifest)
        r = run("check", self.write("abi2.yaml", text))
        self.assertEqual(r.returncode, 1)
        fail = lines(r.stdout, "FAIL", "abi")
        self.assertEqual(len(fail), 1, r.stdout)
        self.assertIn("abi2.yaml abi.major: built for ABI 2.0, this runtime speaks 1.", fail[0])
        self.assertFalse(lines(r.stdout, "PASS", "load"), "a library of another major must not be opened")

    def test_missing_library_and_wrong_pin_fail_the_library_check(self):
        r = run("check", self.schema_fixture("no_lib", "type: object"))
        fail = lines(r.stdout, "FAIL", "library")
        self.assertEqual(len(fail), 1, r.stdout)
        self.assertIn("no_lib.yaml library: plugin no_lib: library", fail[0])
        self.assertIn("libplugboard_absent.so named by the manifest does not exist", fail[0])

        text = self.echo_manifest.replace("library: libplugboard_echo.so",
                                          "library: libplugboard_echo.so\nsha256: " + "0" * 64)
        r = run("check", self.write("pinned.yaml", text))
        self.assertEqual(r.returncode, 1)
        fail = lines(r.stdout, "FAIL", "library")
        self.assertEqual(len(fail), 1, r.stdout)
        self.assertIn("but the manifest pins " + "0" * 64, fail[0])

    def test_bad_libraries_fail_the_load_check(self):
        expected = {
            "mismatch": "manifest and library disagree on actions: declared but not registered: beta; "
                        "registered but not declared: gamma",
            "wrong_major": "library speaks plugin ABI 2.0",
            "null_entry": "entry point returned no plugin table",
            "needs_newer_host": "needs a host of ABI 1.2 or later",
        }
        for name, reason in expected.items():
            with self.subTest(name):
                r = run("check", os.path.join(TEST_PLUGINS, name))
                self.assertEqual(r.returncode, 1, r.stdout)
                fail = lines(r.stdout, "FAIL", "load")
                self.assertEqual(len(fail), 1, r.stdout)
                self.assertIn(f"{name}.yaml library:", fail[0])
                self.assertIn(reason, fail[0])

    def test_describe_listing_an_action_twice_fails_the_round_trip(self):
        r = run("check", os.path.join(TEST_PLUGINS, "bad_describe"))
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertTrue(lines(r.stdout, "PASS", "load"), r.stdout)  # the loader alone lets it through
        fail = lines(r.stdout, "FAIL", "describe")
        self.assertEqual(len(fail), 1, r.stdout)
        self.assertIn("describe() \"actions\" lists 'ping' twice", fail[0])

    def test_an_example_the_schema_refuses_fails_the_sample(self):
        path = self.schema_fixture("bad_example", """type: object
required: [count]
properties:
  count: {type: integer, minimum: 1, examples: [0]}""")
        r = run("check", path)
        fail = lines(r.stdout, "FAIL", "sample")
        self.assertEqual(len(fail), 1, r.stdout)
        self.assertIn("bad_example.yaml actions[0] (act).parameters: generated sample {\"count\":0} refused at "
                      "'count' (minimum)", fail[0])

    def test_required_but_undeclared_with_closed_properties_fails_the_schema(self):
        path = self.schema_fixture("ghost", """type: object
required: [ghost]
properties: {name: {type: string}}
additionalProperties: false""")
        r = run("check", path)
        fail = lines(r.stdout, "FAIL", "schema")
        self.assertEqual(len(fail), 1, r.stdout)
        self.assertIn("ghost.yaml actions[0] (act).parameters.required: 'ghost' is required but not under "
                      "properties and additionalProperties is false", fail[0])
        # The sample had to guess, so its refusal is a warning, not a second failure.
        self.assertTrue(lines(r.stdout, "WARN", "sample"), r.stdout)

    def test_pattern_without_examples_warns(self):
        path = self.schema_fixture("pattern", """type: object
required: [id]
properties: {id: {type: string, pattern: "^C[0-9]+$"}}""")
        r = run("check", path)
        warn = lines(r.stdout, "WARN", "sample")
        self.assertEqual(len(warn), 1, r.stdout)
        self.assertIn("id: has a pattern and no examples; add `examples`", warn[0])

    def test_json_output(self):
        r = run("check", "--json", os.path.join(TEST_PLUGINS, "echo"), os.path.join(TEST_PLUGINS, "bad_describe"))
        self.assertEqual(r.returncode, 1)
        doc = json.loads(r.stdout)
        self.assertEqual([p["id"] for p in doc["plugins"]], ["echo", "bad_describe"])
        statuses = [c["status"] for p in doc["plugins"] for c in p["checks"]]
        self.assertEqual(doc["summary"]["failed"], statuses.count("FAIL"))
        self.assertEqual(doc["summary"]["failed"], 1)
        self.assertEqual(doc["summary"]["passed"], statuses.count("PASS"))
        self.assertEqual(doc["summary"]["warnings"], statuses.count("WARN"))
        self.assertIs(doc["summary"]["ok"], False)
        bad = [c for c in doc["plugins"][1]["checks"] if c["status"] == "FAIL"][0]
        self.assertEqual(bad["check"], "describe")
        self.assertEqual(bad["subject"], "bad_describe.yaml")

    def test_foreign_bytes_are_escaped(self):
        path = self.write("ctl.yaml", 'manifest_version: 1\nid: "bad\\x01id\\xe9"\n')
        r = run("check", path)
        self.assertEqual(r.returncode, 1)
        fail = lines(r.stdout, "FAIL", "manifest")
        self.assertEqual(len(fail), 1, r.stdout)
        self.assertIn("'bad\\x01id\u00e9'", fail[0])  # the control byte escaped, valid UTF-8 kept
        doc = json.loads(run("check", "--json", path).stdout)
        self.assertIn("bad\\x01id", doc["plugins"][0]["checks"][0]["reason"])

    def test_usage_errors_exit_2(self):
        empty = tempfile.mkdtemp(dir=self.dir)
        for args, message in ((["check"], "needs a PATH"),
                              (["check", os.path.join(self.dir, "nope.yaml")], "does not exist"),
                              (["check", empty], "no *.yaml or *.yml manifest")):
            with self.subTest(args=args):
                r = run(*args)
                self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
                self.assertIn(message, r.stderr)


class PluginsNew(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="plugboard-new-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def test_bad_names_are_refused(self):
        for name in ("Acme", "9lives", "has-dash", "a" * 65, "../up", ""):
            with self.subTest(name=name):
                r = run("new", name, "--dir", os.path.join(self.dir, "x"))
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn("invalid NAME", r.stderr)
                self.assertFalse(os.path.exists(os.path.join(self.dir, "x")))

    def test_default_dir_and_files(self):
        r = subprocess.run([BIN, "plugins", "new", "acme_crm"], cwd=self.dir, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        root = os.path.join(self.dir, "acme_crm")
        for f in ("CMakeLists.txt", "acme_crm.yaml", "src/acme_crm_plugin.cpp", "test/acme_crm_test.cpp",
                  "README.md", ".gitignore"):
            self.assertTrue(os.path.isfile(os.path.join(root, f)), f)
        manifest = read(os.path.join(root, "acme_crm.yaml"))
        self.assertIn("id: acme_crm\n", manifest)
        self.assertIn("name: Acme Crm\n", manifest)
        self.assertIn("library: libplugboard_acme_crm.so\n", manifest)
        self.assertIn("find_package(PlugboardSDK", read(os.path.join(root, "CMakeLists.txt")))
        self.assertNotIn("@", read(os.path.join(root, "src", "acme_crm_plugin.cpp")))

    def test_non_empty_dir_needs_force(self):
        target = os.path.join(self.dir, "p")
        os.makedirs(target)
        keep = os.path.join(target, "notes.txt")
        with open(keep, "w") as f:
            f.write("mine")
        r = run("new", "acme", "--dir", target)
        self.assertEqual(r.returncode, 1)
        self.assertIn("is not empty", r.stderr)
        self.assertEqual(os.listdir(target), ["notes.txt"])
        r = run("new", "acme", "--dir", target, "--force")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.isfile(os.path.join(target, "acme.yaml")))
        self.assertEqual(read(keep), "mine")

    def test_wrong_arity(self):
        self.assertEqual(run("new").returncode, 2)
        self.assertEqual(run("new", "a", "b").returncode, 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
