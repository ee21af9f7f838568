"""EKRAV_ENV=production: the settings pass `manage.py check --deploy`, and refuse to start on the
embedded default's secret, hosts or database.

Each case runs Django in a subprocess with its own copy of the environment, so this process's
settings are never touched.
"""

import json
import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

DEVELOPMENT_KEY = "ekrav-insecure-development-key-change-me"


@pytest.fixture
def production_env(tmp_path):
    env = {k: v for k, v in os.environ.items()
           # The browser tests' switch (tests/browser/conftest.py) is no production setting.
           if k not in {"DEBUG", "SECURE_SSL_REDIRECT", "SECURE_COOKIES", "SESSION_COOKIE_AGE",
                        "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update({
        "EKRAV_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(60)[:60],
        "ALLOWED_HOSTS": "ekrav.example",
        # Never connected to: settings and `check --deploy` do not open a connection.
        "DATABASE_URL": "postgres://ekrav@127.0.0.1:1/ekrav",
        "EKRAV_VAR_DIR": str(tmp_path / "var"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "DJANGO_SETTINGS_MODULE": "ekrav.settings",
    })
    return env


def run(env, *args):
    return subprocess.run([sys.executable, *args], cwd=settings.BASE_DIR, env=env,
                          capture_output=True, text=True, timeout=120)


def setup(env):
    return run(env, "-c", "import django; django.setup()")


def test_production_settings_pass_the_deploy_check(production_env):
    done = run(production_env, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout
    assert "WARNING" not in done.stdout + done.stderr


def test_production_turns_on_https_only(production_env):
    done = run(production_env, "-c", (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k) for k in ("
        "'DEBUG', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_SSL_REDIRECT', "
        "'SECURE_PROXY_SSL_HEADER', 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', "
        "'SECURE_HSTS_PRELOAD', 'SECURE_REFERRER_POLICY', 'SECURE_CROSS_ORIGIN_OPENER_POLICY', "
        "'SESSION_COOKIE_AGE', 'ALLOWED_HOSTS', 'SECURE_REDIRECT_EXEMPT', "
        "'WHITENOISE_USE_FINDERS')}))"))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "DEBUG": False, "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True, "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SECURE_HSTS_SECONDS": 31536000, "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True, "SECURE_REFERRER_POLICY": "same-origin",
        "SECURE_CROSS_ORIGIN_OPENER_POLICY": "same-origin", "SESSION_COOKIE_AGE": 8 * 60 * 60,
        "ALLOWED_HOSTS": ["ekrav.example"],
        # The load balancer's probes over plain HTTP (ekrav.health).
        "SECURE_REDIRECT_EXEMPT": ["^healthz$", "^readyz$"],
        # The image's collected, compressed files, not the app folders' (bin/docker-check).
        "WHITENOISE_USE_FINDERS": False,
    }


@pytest.mark.parametrize("name", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"])
def test_production_refuses_to_start_without(production_env, name):
    del production_env[name]
    done = setup(production_env)
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    assert f"EKRAV_ENV=production needs {name} set" in done.stderr


@pytest.mark.parametrize("key", [DEVELOPMENT_KEY, "too-short-" * 3, "a" * 60])
def test_production_refuses_the_development_key_or_a_weak_one(production_env, key):
    production_env["SECRET_KEY"] = key
    done = setup(production_env)
    assert done.returncode != 0
    assert "needs a SECRET_KEY of its own" in done.stderr


def test_production_refuses_sqlite(production_env, tmp_path):
    production_env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    done = setup(production_env)
    assert done.returncode != 0 and "runs on PostgreSQL: DATABASE_URL is SQLite" in done.stderr


def test_production_takes_former_keys_as_fallbacks(production_env):
    old = secrets.token_urlsafe(60)
    production_env["SECRET_KEY_FALLBACKS"] = old
    done = run(production_env, "-c", "import django; django.setup(); from django.conf import "
               "settings as s; print(s.SECRET_KEY_FALLBACKS == [%r])" % old)
    assert done.stdout.strip() == "True", done.stderr
    production_env["SECRET_KEY_FALLBACKS"] = f"{old},{DEVELOPMENT_KEY}"
    done = setup(production_env)
    assert done.returncode != 0 and "every SECRET_KEY_FALLBACKS entry" in done.stderr


def test_production_refuses_debug(production_env):
    production_env["DEBUG"] = "true"
    done = setup(production_env)
    assert done.returncode != 0 and "DEBUG off" in done.stderr


def test_production_has_no_simulators_and_refuses_them(production_env):
    """Through /sim/ anyone could fake a Swish payment or a BankID login."""
    production_env.pop("SIMULATORS_ENABLED", None)
    done = run(production_env, "-c", (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SIMULATORS_ENABLED, repr(s.BANKID_BASE_URL), repr(s.SWISH_BASE_URL))"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[0] == "False" and "/sim/" not in done.stdout
    production_env["SIMULATORS_ENABLED"] = "true"
    done = setup(production_env)
    assert done.returncode != 0 and "never serves the simulators" in done.stderr


def test_a_misspelt_environment_is_refused_not_taken_for_development(production_env):
    production_env["EKRAV_ENV"] = "prod"
    done = setup(production_env)
    assert done.returncode != 0 and "EKRAV_ENV is 'prod'" in done.stderr


def test_development_is_the_default_and_keeps_plain_http():
    assert settings.EKRAV_ENV == "development"
    assert not getattr(settings, "SECURE_SSL_REDIRECT", False)
    assert settings.SESSION_COOKIE_AGE == 8 * 60 * 60
