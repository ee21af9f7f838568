"""Private servers for the fault tests: a PostgreSQL cluster and a Redis of their own, on free
ports, and real ``celery worker`` and ``manage.py`` processes pointed at them.

Nothing here touches the shared PostgreSQL (5432) and Redis (6379) the rest of the suite uses:
the faults (a worker killed, Redis emptied, PostgreSQL restarted) would break its tests.
PostgreSQL refuses to run as root, so when the tests run as root (CI, this machine) the cluster
belongs to the ``postgres`` system user and its commands go through ``runuser``.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]


def _pg_bin() -> Path:
    """EKRAV_FAULTS_PG_BIN, or Debian's newest PostgreSQL (as .ci/run picks its cluster)."""
    if os.environ.get("EKRAV_FAULTS_PG_BIN"):
        return Path(os.environ["EKRAV_FAULTS_PG_BIN"])
    versions = [p.name for p in Path("/usr/lib/postgresql").glob("*") if p.name.isdigit()
                and (p / "bin" / "initdb").exists()]
    newest = max(versions, key=int, default="15")
    return Path(f"/usr/lib/postgresql/{newest}/bin")


PG_BIN = _pg_bin()
REDIS_SERVER = shutil.which("redis-server")


def missing_tools() -> str:
    """Why the fault tests cannot run here, or "" when they can."""
    if not (PG_BIN / "initdb").exists():
        return f"PostgreSQL's initdb is not in {PG_BIN} (set EKRAV_FAULTS_PG_BIN)"
    if REDIS_SERVER is None:
        return "redis-server is not installed"
    if os.geteuid() == 0 and not shutil.which("runuser"):
        return "running as root, and runuser (to run PostgreSQL as postgres) is missing"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root, and there is no postgres user to run PostgreSQL as"
    return ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, *, timeout: float, what: str, interval: float = 0.05):
    """Poll ``check`` until it returns something true; that value, or AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


class Postgres:
    """A throwaway cluster in its own directory, listening on 127.0.0.1:<free port>."""

    def __init__(self, base: Path):
        self.dir, self.port = base / "pg", free_port()
        self.data, self.log = self.dir / "data", self.dir / "server.log"
        self.dir.mkdir()
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.dir, user="postgres")

    def _run(self, *args: str) -> None:
        command = [str(PG_BIN / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=60)

    def start(self) -> None:
        if not self.data.exists():
            self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                      "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        # fsync off: a restart (-m fast or immediate) loses nothing, only a power cut would.
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30",
                  "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                        "-c fsync=off -c full_page_writes=off -c max_connections=50", "start")

    def restart(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "restart")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str) -> psycopg.Connection:
        return psycopg.connect(host="127.0.0.1", port=self.port, user="postgres",
                               dbname=database, autocommit=True)

    def create_database(self, name: str, template: str | None = None) -> str:
        with self.connect("postgres") as conn:
            conn.execute(f"CREATE DATABASE {name}"
                         + (f" TEMPLATE {template}" if template else ""))
        return self.url(name)


class Redis:
    """A Redis without persistence (as .ci/run starts the shared one): a restart empties it."""

    def __init__(self, base: Path):
        self.dir, self.port = base / "redis", free_port()
        self.dir.mkdir()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)],
            stdout=(self.dir / "server.log").open("ab"), stderr=subprocess.STDOUT)
        wait_until(self._pong, timeout=10, what="redis-server")

    def _pong(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def restart(self) -> None:
        """SHUTDOWN NOSAVE and start again: whatever was queued is gone."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(b"SHUTDOWN NOSAVE\r\n")
        self.process.wait(timeout=10)
        self.start()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"


class Site:
    """One ekrav installation on the private servers: its environment, its ``manage.py``
    commands and its Celery workers."""

    def __init__(self, base: Path, *, database_url: str, redis_url: str):
        self.base, self.workers = base, []
        self.env = {key: value for key, value in os.environ.items()
                    if not key.startswith(("CELERY_", "DJANGO_", "PYTEST_", "KIVRA_"))}
        self.env.update({
            "DATABASE_URL": database_url, "REDIS_URL": redis_url,
            "EKRAV_VAR_DIR": str(base / "var"), "DJANGO_SETTINGS_MODULE": "ekrav.settings",
            # Every letter to print: no simulator runs here for Kivra to reach.
            "SIMULATORS_ENABLED": "false", "LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1",
            # A killed worker's task comes back after 3 s, not production's three hours.
            "CELERY_VISIBILITY_TIMEOUT": "3",
        })

    def manage(self, *args: str, timeout: float = 300, check: bool = True):
        return self.python(str(ROOT / "manage.py"), *args, timeout=timeout, check=check)

    def python(self, *args: str, timeout: float = 300, check: bool = True):
        done = subprocess.run([sys.executable, *args], cwd=ROOT, env=self.env, timeout=timeout,
                              capture_output=True, text=True)
        if check and done.returncode != 0:
            raise AssertionError(f"{' '.join(args[:2])} failed ({done.returncode}):\n"
                                 f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        return done

    def popen(self, *args: str, log: Path) -> subprocess.Popen:
        """A process of its own session, so that killing it takes its children along."""
        return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=self.env,
                                stdout=log.open("ab"), stderr=subprocess.STDOUT,
                                start_new_session=True)

    def worker(self, *, concurrency: int = 1) -> Worker:
        worker = Worker(self, len(self.workers), concurrency)
        self.workers.append(worker)
        return worker

    def send_task(self, name: str, *args) -> None:
        """Queue a task as beat (or a service, on commit) does."""
        self.python("-c", "import sys; from ekrav.celery import app; "
                          "app.send_task(sys.argv[1], args=[int(a) for a in sys.argv[2:]])",
                    name, *map(str, args), timeout=60)

    def close(self) -> None:
        for worker in self.workers:
            worker.kill()


class Worker:
    """``celery -A ekrav worker`` (prefork): a main process and its pool children."""

    def __init__(self, site: Site, number: int, concurrency: int):
        self.site, self.concurrency = site, concurrency
        self.log = site.base / f"worker{number}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> Worker:
        self.process = self.site.popen(
            "-m", "celery", "-A", "ekrav", "worker", "--loglevel=INFO", "--without-gossip",
            "--without-mingle", "--without-heartbeat", f"--concurrency={self.concurrency}",
            f"--hostname=fault{id(self)}@%h", log=self.log)
        wait_until(lambda: "ready." in self.text() or self.process.poll() is not None,
                   timeout=60, what="the Celery worker to be ready")
        assert self.process.poll() is None, f"the worker died:\n{self.text()[-3000:]}"
        return self

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def children(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()]

    def kill(self) -> None:
        """SIGKILL to the whole worker, pool included: the machine died."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def kill_child(self) -> None:
        """SIGKILL to the pool process running the task (the kernel's OOM killer)."""
        for pid in self.children():
            os.kill(pid, signal.SIGKILL)

    def succeeded(self, task: str) -> int:
        """How many times the worker says ``task`` succeeded."""
        return sum(1 for line in self.text().splitlines()
                   if f"Task {task}[" in line and "succeeded" in line)


def tmp_base() -> Path:
    """A directory the postgres user can reach (pytest's tmp_path is private to root, and so
    may be a root's TMPDIR)."""
    base = Path(tempfile.mkdtemp(prefix="ekrav-faults-",
                                 dir="/tmp" if os.geteuid() == 0 else None))
    base.chmod(0o755)
    return base
