"""bin/backup and bin/restore, once for real on PostgreSQL: a scratch database migrated and
given a creditor, a claim and its ledger through the services (and charlie's company beside
alice's), backed up, restored into a second scratch database, and compared table by table.

Skipped, saying why, when the tests do not run on PostgreSQL or pg_dump is missing; CI runs on
PostgreSQL, so it runs there. Both scratch databases are dropped afterwards.
"""

import os
import shutil
import subprocess
import sys
import uuid
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

ROOT = settings.BASE_DIR

COMPARED = ["auth_user", "creditors_creditor", "claims_claim", "claims_invoice",
            "claims_ledgerentry", "claims_event", "django_migrations"]


def _postgres_or_skip():
    if connection.vendor != "postgresql":
        pytest.skip("bin/backup and bin/restore are PostgreSQL's: these tests run on SQLite "
                    "(set DATABASE_URL=postgres://… to run them, as CI does)")
    for tool in ("pg_dump", "pg_restore", "psql"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is missing (apt-get install postgresql-client-15)")


def _url(database: str) -> str:
    db = settings.DATABASES["default"]
    user = quote(db.get("USER") or "postgres")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    return (f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:"
            f"{db.get('PORT') or 5432}/{database}")


def _psql(url: str, sql: str) -> str:
    done = subprocess.run(["psql", "--no-psqlrc", "-At", "-v", "ON_ERROR_STOP=1", "-d",
                           url.replace("postgres://", "postgresql://", 1), "-c", sql],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def scratch(tmp_path):
    """Two empty databases beside the test database; dropped however the test ends."""
    _postgres_or_skip()
    tag = uuid.uuid4().hex[:8]
    names = {"source": f"ekrav_backup_src_{tag}", "target": f"ekrav_backup_dst_{tag}"}
    admin = _url("postgres")
    for name in names.values():
        _psql(admin, f'CREATE DATABASE "{name}"')
    try:
        yield {key: _url(name) for key, name in names.items()}
    finally:
        for name in names.values():
            _psql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run(args, *, database_url, tmp_path, media, check=True, **kwargs):
    env = {k: v for k, v in os.environ.items() if k not in {"EKRAV_ENV", "LOG_FORMAT"}}
    env.update({"DATABASE_URL": database_url, "EKRAV_VAR_DIR": str(tmp_path / "var"),
                "MEDIA_ROOT": str(media), "DJANGO_SETTINGS_MODULE": "ekrav.settings",
                "CELERY_TASK_ALWAYS_EAGER": "true", "PYTHONPATH": str(ROOT)})
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600, **kwargs)
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def _snapshot(url: str) -> dict:
    counts = {table: int(_psql(url, f"SELECT count(*) FROM {table}")) for table in COMPARED}
    counts["ledger_sum_ore"] = int(_psql(url, "SELECT coalesce(sum(amount_ore), 0) "
                                              "FROM claims_ledgerentry"))
    counts["creditors"] = _psql(url, "SELECT string_agg(name, ',' ORDER BY id) "
                                     "FROM creditors_creditor")
    return counts


def _populate_script() -> str:
    """alice's and charlie's companies, a claim of alice's with its ledger, a payment on it."""
    return "\n".join([
        "import django; django.setup()",
        "from datetime import timedelta",
        "from django.contrib.auth import get_user_model",
        "from django.utils import timezone",
        "from claims.services import claim_payment_receive",
        "from tests.conftest import ALICE_COMPANY, CHARLIE_COMPANY, make_creditor, register",
        "User = get_user_model()",
        "alice = User.objects.create_user(username='a@alicebygg.se', email='a@alicebygg.se')",
        "charlie = User.objects.create_user(username='c@example.se', email='c@example.se')",
        "alice_co = make_creditor(ALICE_COMPANY, signatory=alice)",
        "make_creditor(CHARLIE_COMPANY, signatory=charlie)",
        "register(alice_co, alice)",
        "claim = alice_co.claims.get()",
        "today = timezone.localdate()",
        "claim_payment_receive(claim=claim, amount_ore=20000, paid_on=today, today=today,",
        "                      source='bgmax', external_id='backup-test-1')",
    ])


def test_a_backup_restores_into_another_database(scratch, tmp_path):
    media = tmp_path / "media"
    (media / "invoices").mkdir(parents=True)
    (media / "invoices" / "f-1001.pdf").write_bytes(b"%PDF-1.7 the invoice")
    source = dict(database_url=scratch["source"], tmp_path=tmp_path, media=media)

    _run([sys.executable, "manage.py", "migrate", "--noinput"], **source)
    _run([sys.executable, "-c", _populate_script()], **source)
    before = _snapshot(scratch["source"])
    assert before["claims_claim"] == 1 and before["claims_ledgerentry"] >= 2
    assert before["ledger_sum_ore"] > 20000  # the capital and the payment at least
    assert before["creditors_creditor"] == 2  # alice's and charlie's

    backups = tmp_path / "backups"
    done = _run([str(ROOT / "bin" / "backup"), str(backups)], **source)
    dump, files, sums = done.stdout.split()
    assert dump.endswith(".dump") and files.endswith("-media.tar.gz") and sums.endswith(".sha256")
    assert not list(backups.glob("*.partial"))
    assert subprocess.run(["sha256sum", "--check", "--quiet", sums.rsplit("/", 1)[1]],
                          cwd=backups).returncode == 0

    restored_media = tmp_path / "restored-media"
    target = dict(database_url=scratch["target"], tmp_path=tmp_path, media=restored_media)
    done = _run([str(ROOT / "bin" / "restore"), "--yes", dump, files], **target)
    assert "every migration is applied" in done.stderr
    assert _snapshot(scratch["target"]) == before
    assert (restored_media / "invoices" / "f-1001.pdf").read_bytes() == b"%PDF-1.7 the invoice"

    # Restoring again over the restored database (--clean) changes nothing.
    _run([str(ROOT / "bin" / "restore"), "--yes", dump], **target)
    assert _snapshot(scratch["target"]) == before


def test_restore_asks_before_replacing_a_database(scratch, tmp_path):
    dump = tmp_path / "x.dump"
    dump.write_bytes(b"")
    done = _run([str(ROOT / "bin" / "restore"), str(dump)], database_url=scratch["target"],
                tmp_path=tmp_path, media=tmp_path / "media", check=False, input="wrong\n")
    assert done.returncode == 1 and "not confirmed; nothing changed" in done.stderr


def test_backup_refuses_sqlite(tmp_path):
    done = _run([str(ROOT / "bin" / "backup"), str(tmp_path)], check=False,
                database_url=f"sqlite:///{tmp_path / 'x.sqlite3'}", tmp_path=tmp_path,
                media=tmp_path)
    assert done.returncode == 1 and "is not PostgreSQL" in done.stderr
