"""What the bench scripts share: a throwaway PostgreSQL database beside the configured one, and
a line saying which database engine ran.

The scripts import it as a sibling module (``python bench/x.py`` puts bench/ on sys.path).
"""

from urllib.parse import urlsplit, urlunsplit


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
