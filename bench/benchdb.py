"""What the bench scripts share: a throwaway PostgreSQL database beside the configured one, and
a line saying which database engine ran.

The scripts import it as a sibling module (``python bench/x.py`` puts bench/ on sys.path).
"""

import os
import sys
import tempfile
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def in_throwaway_postgres(name: str, bench, args) -> int:
    """``bench(args)`` on a fresh PostgreSQL database ``name`` beside DATABASE_URL's (or the
    local server's), with var/ in a temporary directory; both are gone afterwards. Set before
    Django loads its settings (here, and in any process the bench starts): they read them once."""
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not database_url.startswith(("postgres://", "postgresql://", "pgsql://")):
        print(f"DATABASE_URL must point at PostgreSQL, not {database_url}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="ekrav-bench-") as var_dir:
        os.environ["EKRAV_VAR_DIR"] = var_dir
        os.environ["DATABASE_URL"] = postgres_create(database_url, name)
        try:
            return bench(args)
        finally:
            postgres_drop(database_url, name)


def engine(connection) -> str:
    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version} ({connection.settings_dict['NAME']})"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    return f"PostgreSQL {version} (database {connection.settings_dict['NAME']})"


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _admin_connection(url: str):
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(host=parts.hostname or "127.0.0.1", port=parts.port or 5432,
                           user=parts.username or "postgres", password=parts.password,
                           dbname="postgres", autocommit=True)


def postgres_create(url: str, name: str) -> str:
    """A fresh database ``name`` on the server of ``url`` (whose own database is never
    touched); returns its URL."""
    with _admin_connection(url) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
    return _with_database(url, name)


def postgres_drop(url: str, name: str) -> None:
    from django.conf import settings
    from django.db import connections

    if settings.configured:
        connections.close_all()
    with _admin_connection(url) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
