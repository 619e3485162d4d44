"""`plugboard plugins new` end to end, as a third-party author would use it.

Installs the SDK into a temp prefix, scaffolds a plugin, configures/builds/tests the generated
project against that prefix only, runs the conformance check on it, then serves it from a real
`plugboard serve` and executes its action through /api/v2/execute.
"""

import os
import subprocess
import unittest

from harness import BIN, PlugboardTestCase

BUILD_DIR = os.environ.get("PLUGBOARD_BUILD_DIR") or os.path.join(os.path.dirname(BIN), "..")


def sh(*args, timeout=600):
    r = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {r.returncode}:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return r.stdout


class PluginScaffold(PlugboardTestCase):
    start_server = False  # started on the scaffolded plugin once it is built

    def test_new_plugin_builds_passes_check_loads_and_executes(self):
        root = self.env.dir
        prefix, project = os.path.join(root, "prefix"), os.path.join(root, "acme")
        build = os.path.join(project, "build")
        sh("cmake", "--install", BUILD_DIR, "--prefix", prefix)
        out = sh(BIN, "plugins", "new", "acme", "--dir", project)
        self.assertIn("created plugin project acme", out)

        # Only the installed prefix is visible to the project: no source or build tree paths.
        sh("cmake", "-S", project, "-B", build, f"-DCMAKE_PREFIX_PATH={prefix}")
        sh("cmake", "--build", build, "-j2")
        out = sh("ctest", "--test-dir", build, "--output-on-failure")
        self.assertIn("100% tests passed, 0 tests failed out of 1", out)

        plugins = os.path.join(build, "plugins")
        self.assertEqual(sorted(os.listdir(plugins)), ["acme.yaml", "libplugboard_acme.so"])
        out = sh(BIN, "plugins", "check", plugins)
        self.assertNotIn("FAIL", out)
        self.assertIn("PASS describe acme.yaml", out)
        self.assertRegex(out, r"summary: \d+ passed, 0 failed, 0 warnings in 1 manifest -> OK")

        self.env.start(plugins_dir=plugins)
        r = self.call("GET", "/api/v2/catalog")
        self.assertEqual(r.status, 200, r)
        acme = [p for p in r.json["providers"] if p["id"] == "acme"]
        self.assertEqual(len(acme), 1, r.json)
        self.assertEqual(acme[0]["name"], "Acme")
        self.assertEqual(acme[0]["actions"], ["reverse-text"])

        r = self.call("POST", "/api/v2/connections", {"integration_id": "acme", "project_id": self.project})
        self.assertEqual(r.status, 201, r)
        conn = r.json["id"]
        r = self.execute(conn, "reverse-text", {"text": "Plugboard", "uppercase": True})
        self.assertEqual(r.status, 200, r)
        self.assertIs(r.json["success"], True, r)
        self.assertEqual(r.json["data"], {"text": "DRAOBGULP"})
        self.assertEqual((r.json["metadata"]["integration"], r.json["metadata"]["action"]), ("Acme", "Reverse Text"))
        err = self.assertExecuteError(self.execute(conn, "reverse-text", {"text": "   "}), 500, "EXECUTION_FAILED")
        self.assertEqual(err["details"]["error_code"], "BLANK_TEXT", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
