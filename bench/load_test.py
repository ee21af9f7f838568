"""Latency of the creditor's claim list and claim page and of Mitt Ärende's case page under
load, against a minimal Django view on the same stack (the baseline) measured in the same run.

    .venv/bin/python bench/load_test.py [--claims N] [--creditors C] [--workers W]
    .venv/bin/python bench/load_test.py --claims 20000 --creditors 50   # while developing

Needs PostgreSQL (DATABASE_URL, or by default postgres://postgres@127.0.0.1:5432/postgres); it
works in a throwaway database ``ekrav_bench_load`` created and dropped here. It migrates,
onboards C creditors (agreement signed) and writes N claims over them in bulk
(bench/bulk_claims.py: by default issue 7's scale, 1,000,000 claims of 1,000 creditors), then
starts gunicorn on a free loopback port with the production configuration (gunicorn.conf.py:
sync workers, 2 per core + 1 unless ``--workers``; DEBUG off, persistent connections
``CONN_MAX_AGE=600``, no simulators, REDIS_URL as in the environment) and the bench's URLconf
(bench/load_settings.py: the product's routes plus ``/bench/baseline/``).

Sessions are written to the database as a login writes them: users each a member of one
creditor, acting for it, and Mitt Ärende visitors each with access to one case (as
debtors.portal grants it after case number + OCR). Then, with a small asyncio HTTP/1.1 client:

- the BASELINE: the minimal view, closed loop (``--connections`` requests always in flight)
  for ``--baseline-seconds``: the stack's maximum throughput on this machine;
- each PAGE at a fixed arrival rate of a third of that (open loop: a request is sent at its
  time whether or not earlier ones have been answered, and its latency is counted from that
  time, so queueing shows) for ``--seconds``: the claim list (pages, a status filter,
  searches by name and case number), a claim page (a random claim of the session's creditor),
  the Mitt Ärende case page (the visitor's case), each request from a random session. At
  ``--waiting`` unanswered requests it sends no more (each one not sent is an error): an
  overloaded server would otherwise work off thousands given up on during the next run.

It prints per page the requests/s answered, p50/p90/p99/max latency and errors (any answer but
200), against issue 7's target: p99 under 200 ms at a third of the baseline's throughput; and,
to tell how far off a miss is, each page's service time alone (one request at a time) and its
capacity (closed loop as the baseline). The workers are warmed up (not timed) before and after
the baseline, whose requests make gunicorn replace them (``max_requests``). The client runs on
the same cores as gunicorn and PostgreSQL, so it takes some of what it measures (a few % at
the pages' rates, more during the baseline): the figures are a floor. The last line,
``summary:``, is the README's.
"""

import argparse
import asyncio
import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

from benchdb import engine, in_throwaway_postgres
from bulk_claims import claims_bulk_register
from collection_tick import REGISTERED_ON, make_creditors

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = "ekrav_bench_load"
TARGET_P99_MS = 200.0
BASELINE_PATH = "/bench/baseline/"
PAGES = ("claim list", "claim page", "Mitt Ärende case page")


def main() -> int:
    return in_throwaway_postgres(BENCH_DATABASE, bench, parse_args())


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--creditors", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=0,
                        help="gunicorn worker processes (default: gunicorn.conf.py's, "
                             "2 per core + 1)")
    parser.add_argument("--connections", type=int, default=16,
                        help="requests in flight while the baseline's throughput is measured")
    parser.add_argument("--baseline-seconds", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=15.0, help="each page's run")
    parser.add_argument("--alone-seconds", type=float, default=3.0,
                        help="each page with one request at a time, before the load")
    parser.add_argument("--sessions", type=int, default=50,
                        help="logged-in creditor users and Mitt Ärende visitors, each")
    parser.add_argument("--capacity-seconds", type=float, default=8.0,
                        help="each page closed loop like the baseline, after the load")
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="seconds a request may take before it counts as an error")
    parser.add_argument("--waiting", type=int, default=100,
                        help="requests unanswered at which the open loop sends no more")
    parser.add_argument("--rate", type=float, default=0.0,
                        help="the pages' arrival rate in requests/s (default: the baseline's "
                             "throughput / 3)")
    return parser.parse_args()


def bench(args) -> int:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "ekrav.settings"
    os.environ.update(DEBUG="false", CONN_MAX_AGE="600", SIMULATORS_ENABLED="false",
                      EKRAV_ENV="development")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    print(f"engine: {engine(connection)}, Django {django.get_version()}, "
          f"gunicorn {_gunicorn_version()}, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} cores")
    started = time.perf_counter()
    creditors = make_creditors(args.creditors, random.Random(args.seed))
    claims_bulk_register(creditor_ids=[c.pk for c in creditors], count=args.claims,
                         registered_on=REGISTERED_ON, rng=random.Random(args.seed + 1))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as after a day's work: the planner knows the sizes
    print(f"setup: {args.creditors} creditors, {args.claims} claims "
          f"({time.perf_counter() - started:.1f} s)")

    port = _free_port()
    server = start_gunicorn(port, args.workers)
    print(f"gunicorn on 127.0.0.1:{port}: gunicorn.conf.py, "
          f"{args.workers or 'its default of 2 per core + 1'} sync workers, DEBUG off, "
          f"CONN_MAX_AGE=600, cache {'Redis' if os.environ.get('REDIS_URL') else 'files'}")
    try:
        wait_until_up(port, server)
        # After the server is up: the visitors' idle timeout (15 min) runs from here.
        targets = make_sessions(creditors, args.sessions, random.Random(args.seed + 2))
        connection.close()
        results = asyncio.run(run_load(port, targets, args))
    except BaseException:
        print(f"gunicorn's log:\n{server_log_tail()}", file=sys.stderr)
        raise
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    ok = report(results, args)
    if any(what.startswith("HTTP") for page in ("baseline", *PAGES)
           for what, _path in results[page].errors):
        print(f"gunicorn's log (last lines):\n{server_log_tail()}")
    return ok


# --- the server --------------------------------------------------------------------------------


def _gunicorn_version() -> str:
    import gunicorn

    return gunicorn.__version__


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "load_settings",
           "GUNICORN_BIND": f"127.0.0.1:{port}", "LOG_LEVEL": "WARNING"}
    if workers:
        env["WEB_CONCURRENCY"] = str(workers)
    command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py",
               "--pythonpath", str(ROOT / "bench"), "ekrav.wsgi"]
    # The access lines (on, as in production) go nowhere; gunicorn's and Django's own lines to
    # a file, shown when something failed.
    with open(Path(os.environ["EKRAV_VAR_DIR"]) / "gunicorn.log", "wb") as log:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=log)


def server_log_tail(lines: int = 30) -> str:
    log = Path(os.environ["EKRAV_VAR_DIR"]) / "gunicorn.log"
    if not log.exists():
        return ""
    # gunicorn's INFO lines (workers booting and recycled) say nothing about a failure.
    return "\n".join([line for line in log.read_text(errors="replace").splitlines()
                      if " INFO " not in line][-lines:])


def wait_until_up(port: int, server: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            status, _body = asyncio.run(_get_once(port, BASELINE_PATH))
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer on port {port} within {timeout:.0f} s")


async def _get_once(port: int, path: str, cookie: str = "") -> tuple[int, bytes]:
    connection = await Connection.open(port)
    try:
        return await connection.get(path, cookie)
    finally:
        connection.close()


# --- the sessions and what each page asks for ----------------------------------------------------


def make_sessions(creditors, count: int, rng: random.Random) -> dict:
    """Per page, the (path, cookie) pairs the load picks from at random."""
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from claims.models import Claim
    from creditors.models import Membership

    cookie_name = settings.SESSION_COOKIE_NAME
    lists, details, cases = [], [], []
    for i, creditor in enumerate(rng.sample(creditors, min(count, len(creditors)))):
        user = get_user_model().objects.create_user(
            username=f"load{i}@example.se", email=f"load{i}@example.se", password=None)
        Membership.objects.create(user=user, creditor=creditor, role=Membership.Role.USER)
        cookie = f"{cookie_name}={_creditor_session(user, creditor)}"
        claims = list(Claim.objects.for_creditor(creditor).select_related("debtor")
                      .values_list("pk", "case_number", "debtor__name"))
        if not claims:
            continue
        pages = max(1, -(-len(claims) // 25))  # claims.views.PAGE_SIZE
        _pk, case_number, name = rng.choice(claims)
        for path in ("/", "/?page=2", f"/?page={rng.randint(1, pages)}", f"/?page={pages}",
                     "/?status=registered", f"/?status=registered&page={rng.randint(1, pages)}",
                     f"/?q={case_number}", f"/?q={quote(name)}"):
            lists.append((path, cookie))
        details += [(f"/arenden/{pk}/", cookie) for pk, _c, _n in rng.sample(
            claims, min(200, len(claims)))]
    all_claims = list(Claim.objects.values_list("pk", flat=True)[:200_000])
    for pk in rng.sample(all_claims, min(count, len(all_claims))):
        cases.append((f"/mitt-arende/arenden/{pk}/", f"{cookie_name}={_visitor_session(pk)}"))
    return dict(zip(PAGES, (lists, details, cases)))


def _creditor_session(user, creditor) -> str:
    """As a login leaves it (django.contrib.auth.login), acting for ``creditor``."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from creditors.middleware import SESSION_KEY as ACTIVE_CREDITOR

    session = _session_store()
    session.update({SESSION_KEY: str(user.pk),
                    BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                    HASH_SESSION_KEY: user.get_session_auth_hash(),
                    ACTIVE_CREDITOR: creditor.pk})
    session.create()
    return session.session_key


def _session_store():
    """A new session of the configured engine (as a login makes it)."""
    from importlib import import_module

    from django.conf import settings

    return import_module(settings.SESSION_ENGINE).SessionStore()


def _visitor_session(claim_id: int) -> str:
    """As debtors.portal.grant leaves it after case number + OCR."""
    from debtors import portal

    session = _session_store()
    session.set_expiry(0)
    session[portal.SESSION_KEY] = {"method": portal.CASE_AND_OCR, "claims": [claim_id],
                                   "seen": int(time.time())}
    session.create()
    return session.session_key


# --- the client ----------------------------------------------------------------------------------


class Connection:
    """One HTTP/1.1 connection to gunicorn: a GET, its status and body. gunicorn's sync workers
    close the connection after each answer (as they would behind a proxy), so most live for one
    request; one the server keeps open is used again."""

    def __init__(self, reader, writer, port):
        self.reader, self.writer, self.port, self.open = reader, writer, port, True

    @classmethod
    async def open(cls, port: int) -> "Connection":
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer, port)

    async def get(self, path: str, cookie: str = "") -> tuple[int, bytes]:
        request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\n"
        if cookie:
            request += f"Cookie: {cookie}\r\n"
        self.writer.write((request + "\r\n").encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip().lower()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            body = await self._chunked()
        else:
            body = await self.reader.read()
            self.open = False
        if headers.get("connection") == "close":
            self.open = False
        return status, body

    async def _chunked(self) -> bytes:
        parts = []
        while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
            parts.append(await self.reader.readexactly(size + 2))
        await self.reader.readuntil(b"\r\n")
        return b"".join(part[:-2] for part in parts)

    def close(self) -> None:
        self.open = False
        self.writer.close()


class Client:
    """Requests with their latencies; keeps open connections the server lets it keep."""

    def __init__(self, port: int, timeout: float):
        self.port, self.timeout, self.idle = port, timeout, []

    async def get(self, path: str, cookie: str) -> tuple[int, bytes]:
        connection = self.idle.pop() if self.idle else await Connection.open(self.port)
        try:
            status, body = await asyncio.wait_for(connection.get(path, cookie), self.timeout)
        except BaseException:
            connection.close()
            raise
        if connection.open:
            self.idle.append(connection)
        else:
            connection.close()
        return status, body


class Run:
    def __init__(self, name: str):
        self.name, self.latencies, self.seconds = name, [], 0.0
        self.errors = Counter()  # (what, an example path) -> how many

    def error(self, what: str, path: str) -> None:
        key = next((k for k in self.errors if k[0] == what), (what, path))
        self.errors[key] += 1

    async def one(self, client: Client, path: str, cookie: str, sent_at: float) -> None:
        try:
            status, body = await client.get(path, cookie)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
            self.error(f"{type(exc).__name__} {exc}".strip()[:120], path)
            return
        if status != 200:
            self.error(f"HTTP {status} {body[:80]!r}", path)
            return
        self.latencies.append(time.perf_counter() - sent_at)


async def closed_loop(name, client, targets, connections, seconds, rng) -> Run:
    run = Run(name)
    started = time.perf_counter()
    stop = started + seconds

    async def worker():
        while (now := time.perf_counter()) < stop:
            await run.one(client, *rng.choice(targets), now)

    await asyncio.gather(*(worker() for _ in range(connections)))
    run.seconds = time.perf_counter() - started
    return run


async def open_loop(name, client, targets, rate, seconds, rng, waiting: int) -> Run:
    """Request i is sent at ``start + i / rate``, however far behind the answers are; but not
    when ``waiting`` are unanswered already (an error): an overloaded server would otherwise
    go on working off thousands of requests given up on, long after the run."""
    run, tasks = Run(name), set()
    started = time.perf_counter()
    for i in range(int(rate * seconds)):
        at = started + i / rate
        if (delay := at - time.perf_counter()) > 0:
            await asyncio.sleep(delay)
        if len(tasks) >= waiting:
            path, _cookie = rng.choice(targets)
            run.error(f"not sent: {waiting} requests unanswered (the server is overloaded)",
                      path)
            continue
        task = asyncio.create_task(run.one(client, *rng.choice(targets), at))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    run.seconds = time.perf_counter() - started
    return run


async def settle(client: Client, baseline: tuple[str, str], seconds: float = 60.0) -> None:
    """Until the server answers the baseline promptly again: requests given up on by an
    overloaded run are still queued there, and would be the next page's."""
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        with contextlib.suppress(OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
            await client.get(*baseline)
            if time.perf_counter() - started < 0.02:
                return
        await asyncio.sleep(0.2)


async def warm_up(client: Client, targets: dict, rng) -> None:
    for page in PAGES:
        await closed_loop("warm-up", client, targets[page], 4, 2.0, rng)


async def run_load(port: int, targets: dict, args) -> dict:
    rng = random.Random(args.seed + 3)
    client = Client(port, args.timeout)
    baseline = [(BASELINE_PATH, "")]
    # Every worker imports, compiles templates and connects on its first requests: not timed.
    await closed_loop("warm-up", client, baseline, args.connections, 2.0, rng)
    await warm_up(client, targets, rng)
    print("load average (1, 5, 15 min) before timing: "
          + ", ".join(f"{load:.2f}" for load in os.getloadavg()))
    # Each page with nothing else in flight: its service time, what the rates below divide up.
    results = {"alone": {name: await closed_loop(name, client, paths, 1, args.alone_seconds, rng)
                         for name, paths in (("baseline", baseline), *targets.items())}}
    results["baseline"] = (await closed_loop("baseline", client, baseline, args.connections,
                                             args.baseline_seconds, rng))
    # gunicorn.conf.py replaces a worker after ~2,000 requests: the baseline's thousands leave
    # fresh ones, whose first pages would be the next run's slowest.
    await warm_up(client, targets, rng)
    rate = args.rate or len(results["baseline"].latencies) / results["baseline"].seconds / 3
    results["rate"] = rate
    for page in PAGES:
        results[page] = await open_loop(page, client, targets[page], rate, args.seconds, rng,
                                        args.waiting)
        await settle(client, baseline[0])
    # What each page serves at most, as the baseline was measured: how far off a miss is.
    results["capacity"] = {page: await closed_loop(page, client, targets[page], args.connections,
                                                   args.capacity_seconds, rng)
                           for page in PAGES}
    results["load"] = os.getloadavg()
    return results


# --- the figures ---------------------------------------------------------------------------------


def percentile(ordered: list[float], p: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def figures(run: Run) -> dict:
    ordered = sorted(run.latencies)
    ms = {f"p{p}": percentile(ordered, p) * 1000 for p in (50, 90, 99)}
    return {"rps": len(ordered) / run.seconds if run.seconds else 0.0, **ms,
            "max": (ordered[-1] * 1000) if ordered else float("nan"), "n": len(ordered),
            "errors": sum(run.errors.values())}


def report(results: dict, args) -> int:
    print("alone (one request at a time, sequential): " + "; ".join(
        f"{name} p50 {figures(run)['p50']:.1f} ms ({figures(run)['rps']:.0f} req/s)"
        for name, run in results["alone"].items()))
    base = figures(results["baseline"])
    rate = results["rate"]
    print(f"BASELINE minimal view, closed loop, {args.connections} connections, "
          f"{args.baseline_seconds:.0f} s: {base['rps']:.0f} req/s, p50 {base['p50']:.1f} ms, "
          f"p99 {base['p99']:.1f} ms, errors {base['errors']}")
    print(f"pages at a fixed arrival rate of {rate:.1f} req/s "
          f"({'--rate' if args.rate else 'baseline / 3'}), open loop, {args.seconds:.0f} s each; "
          f"latency from the time each request was due (queueing included):")
    ok, summary = base["errors"] == 0, []
    for page in PAGES:
        run, f = results[page], figures(results[page])
        met = f["errors"] == 0 and f["p99"] < TARGET_P99_MS
        ok = ok and met
        print(f"  {page:<22} {f['rps']:6.1f} req/s  p50 {f['p50']:6.1f}  p90 {f['p90']:6.1f}  "
              f"p99 {f['p99']:6.1f}  max {f['max']:6.1f} ms  errors {f['errors']}  "
              f"p99 < {TARGET_P99_MS:.0f} ms: {'MET' if met else 'NOT MET'}")
        for (what, path), n in run.errors.most_common(5):
            print(f"    {n} x {what} (e.g. {path})")
        capacity = figures(results["capacity"][page])["rps"]
        summary.append(f"{page} p50 {f['p50']:.0f} / p99 {f['p99']:.0f} ms"
                       + (f", {f['errors']} errors" if f["errors"] else "")
                       + f" (capacity {capacity:.0f} req/s)")
    print(f"capacity (closed loop, {args.connections} connections, {args.capacity_seconds:.0f} s "
          "each, after the load): " + "; ".join(
              f"{page} {figures(run)['rps']:.0f} req/s ({figures(run)['rps'] / base['rps']:.2f} "
              f"of the baseline)" for page, run in results["capacity"].items()))
    print("load average (1, 5, 15 min) after: "
          + ", ".join(f"{load:.2f}" for load in results["load"]))
    print("note: the client shares the cores with gunicorn and PostgreSQL; the figures are a "
          "floor for a machine of their own")
    print(f"summary: {args.claims:,} claims / {args.creditors:,} creditors, {os.cpu_count()} "
          f"cores: baseline {base['rps']:.0f} req/s; at {rate:.0f} req/s: " + "; ".join(summary)
          + f" -> p99 < {TARGET_P99_MS:.0f} ms {'MET' if ok else 'NOT MET'}"
          + (" (at --rate, not the target's baseline / 3)" if args.rate else ""))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
