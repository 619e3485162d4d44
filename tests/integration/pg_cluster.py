"""A private PostgreSQL cluster for tests: Debian's initdb/pg_ctl in a temporary directory.

    with PgCluster() as pg:
        pg.url                      # postgresql://plugboard@127.0.0.1:PORT/plugboard
        pg.create_database("other") # -> postgresql://plugboard@127.0.0.1:PORT/other

The server listens on 127.0.0.1 only, on a free port, with no Unix socket outside the temp
dir, and is stopped and deleted on exit (also when the body raises). PostgreSQL refuses to
run as root, so as root the server runs as Debian's `postgres` user (setpriv) and the temp
dir is handed to it. The cluster uses the C locale so text sorts bytewise, as in SQLite.

Run as a script it is a launcher: `pg_cluster.py COMMAND ARGS...` starts a cluster, runs the
command with PLUGBOARD_TEST_PG_URL set to a fresh database's URL, stops the cluster and exits
with the command's status.
"""

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

START_TIMEOUT = 30  # seconds


def _bin_dir():
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2]))
    for d in reversed(dirs):
        if os.path.exists(os.path.join(d, "initdb")):
            return d
    raise RuntimeError("PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin "
                       "(install the postgresql package: scripts/install-deps.sh)")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    def __init__(self, user="plugboard", database="plugboard"):
        self.user = user
        self.database = database
        self.port = None
        self.dir = None
        self.url = None
        self._bin = _bin_dir()
        self._started = False

    # --- running things as the cluster's owner ----------------------------------------------

    def _as_owner(self):
        if os.geteuid() != 0:
            return []
        pw = pwd.getpwnam("postgres")
        return ["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--init-groups", "--"]

    def _run(self, *args, check=True):
        return subprocess.run(self._as_owner() + list(args), check=check, cwd=self.dir,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def _tool(self, name):
        return os.path.join(self._bin, name)

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self):
        # A SIGTERM (ctest's timeout, a Ctrl-C'd make) unwinds like an exception, so the
        # with-block and atexit handlers still stop the server instead of leaking it.
        if (threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL):
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        self.dir = tempfile.mkdtemp(prefix="pb-pg-")
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        os.chmod(self.dir, 0o700)
        data = os.path.join(self.dir, "data")
        out = self._run(self._tool("initdb"), "-D", data, "-U", self.user, "--auth=trust",
                        "--no-locale", "-E", "UTF8", check=False)
        if out.returncode != 0:
            self.stop()
            raise RuntimeError("initdb failed:\n" + out.stdout)
        # The test user connects without a password; every other role must give its password,
        # so a test can check a wrong one is refused.
        with open(os.path.join(data, "pg_hba.conf"), "w") as f:
            f.write(f"local all all trust\nhost all {self.user} 127.0.0.1/32 trust\n"
                    "host all all 127.0.0.1/32 scram-sha-256\n")
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(os.path.join(data, "pg_hba.conf"), pw.pw_uid, pw.pw_gid)
        self.port = _free_port()
        opts = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.dir}"
                " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        out = self._run(self._tool("pg_ctl"), "-D", data, "-l", os.path.join(self.dir, "server.log"),
                        "-o", opts, "-w", "-t", str(START_TIMEOUT), "start", check=False)
        self._started = True
        if out.returncode != 0:
            log = self.log()
            self.stop()
            raise RuntimeError("pg_ctl start failed:\n" + out.stdout + "\n" + log)
        self.url = self.create_database(self.database)
        return self

    def log(self):
        try:
            with open(os.path.join(self.dir, "server.log")) as f:
                return f.read()
        except OSError:
            return ""

    def psql(self, sql, database=None):
        """Runs SQL as the cluster's superuser; returns psql's unaligned output."""
        out = self._run(self._tool("psql"), "-X", "-q", "-A", "-t", "-h", "127.0.0.1", "-p", str(self.port),
                        "-U", self.user, "-d", database or "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql,
                        check=False)
        if out.returncode != 0:
            raise RuntimeError(f"psql failed: {out.stdout}")
        return out.stdout.strip()

    def create_database(self, name):
        """Creates an empty database and returns the URL Plugboard takes for it."""
        if not name.replace("_", "").isalnum():
            raise ValueError(f"database name {name!r}: letters, digits and _ only")
        self.psql(f'CREATE DATABASE "{name}"')
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{name}"

    def stop(self):
        if self.dir and self._started:
            self._run(self._tool("pg_ctl"), "-D", os.path.join(self.dir, "data"), "-m", "immediate", "-w",
                      "stop", check=False)
            self._started = False
        if self.dir:
            # The server's last children may still be removing their files: retry briefly.
            for _ in range(50):
                shutil.rmtree(self.dir, ignore_errors=True)
                if not os.path.exists(self.dir):
                    break
                time.sleep(0.1)
            self.dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


def main(argv):
    if len(argv) < 2:
        print("usage: pg_cluster.py COMMAND [ARGS...]", file=sys.stderr)
        return 2
    with PgCluster() as pg:
        env = dict(os.environ, PLUGBOARD_TEST_PG_URL=pg.url)
        started = time.monotonic()
        rc = subprocess.call(argv[1:], env=env)
        if rc != 0:
            print(f"(PostgreSQL server log after {time.monotonic() - started:.1f} s:)\n" + pg.log()[-4000:],
                  file=sys.stderr)
        return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
