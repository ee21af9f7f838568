"""Settings for ekrav, read from the environment (django-environ).

With no configuration at all ekrav runs on the embedded default: SQLite, a filesystem Celery
broker and file-based e-mail, all under ``var/``. ``DATABASE_URL`` and ``REDIS_URL`` switch it to
the production shape (PostgreSQL and Redis). Every variable is listed in the README.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("EKRAV_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["localhost", "127.0.0.1", "[::1]", "testserver"]),
)
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env("DEBUG")
# The embedded default is for a developer's machine; production sets its own secret.
_DEVELOPMENT_SECRET_KEY = "ekrav-insecure-development-key-change-me"
SECRET_KEY = env.str("SECRET_KEY", default=_DEVELOPMENT_SECRET_KEY)
# Rotating the key: the old one here for a while, so that sessions, password-reset links and
# other signed values made with it stay valid (README, "Rotating keys").
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",  # TOTP two-step verification, required for case handlers (issue 6)
    "ninja",  # serves its own copy of Swagger UI for /api/docs (no CDN)
    "ekrav",
    "creditors",
    "webhooks",  # issue 7: above creditors, below the rooms that emit events
    "debtors",
    "claims",
    "payments",
    "letters",
]

MIDDLEWARE = [
    "ekrav.middleware.RequestIdMiddleware",  # first: every log line of the request has its id
    "ekrav.health.HealthCheckMiddleware",  # the probes, before hosts, redirects and sessions
    "ekrav.middleware.RequestMemoMiddleware",  # small tables read once per request
    "django.middleware.security.SecurityMiddleware",
    "ekrav.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "ekrav.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "ekrav.staff_mfa.StaffMfaRequiredMiddleware",
    "ekrav.audit.AuditMiddleware",  # who and from where, for the audit trail
    "creditors.middleware.ActiveCreditorMiddleware",
]

ROOT_URLCONF = "ekrav.urls"
WSGI_APPLICATION = "ekrav.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "creditors.context_processors.active_creditor",
                "claims.context_processors.decisions_waiting",
            ],
        },
    },
]

FORM_RENDERER = "ekrav.forms_renderer.FormRenderer"  # form fields at 2.6x the speed

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'ekrav.sqlite3'}"),
}
# Persistent connections: the list pages serve ~2.4x more requests per second (ARCHITECTURE.md).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
# A request either writes everything it set out to write or nothing at all.
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database that is gone fails a request (and /readyz) in seconds, not at TCP's timeout.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=10))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20,
         "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

# allauth: e-mail is the login; BankID joins later as a second way in.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="optional")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_ADAPTER = "creditors.adapters.AccountAdapter"
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "claims:overview"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

# allauth.mfa: an authenticator app (TOTP) and recovery codes. Any user may turn it on under
# /konto/2fa/; case handlers (staff) must, or the admin sends them there (ekrav.staff_mfa).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "ekrav"

LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", "Svenska"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
# Served by whitenoise straight from the app folders: no collectstatic step on a dev machine.
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media/"  # never served directly: documents go through tenant-checked views
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
INVOICE_PDF_MAX_BYTES = 10 * 1024 * 1024
CSV_IMPORT_MAX_BYTES = env.int("CSV_IMPORT_MAX_BYTES", default=5 * 1024 * 1024)

# E-mail: files under var/mail by default; EMAIL_URL (smtp://user:pass@host:587) in production.
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ekrav <noreply@ekrav.se>")
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"

# Celery: Redis when REDIS_URL is set, otherwise a broker of plain files under var/.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # A task taken by a worker that died (killed, machine lost) goes back to the queue once it
    # has been unacknowledged this long: longer than the longest task (the daily run), or a
    # second worker would take it while the first still runs (safe, tasks are exactly-once,
    # but wasted). Such tasks are looked for every minute, or every tenth of the timeout when
    # that is shorter (tests/faults set it to seconds).
    _visibility = env.int("CELERY_VISIBILITY_TIMEOUT", default=3 * 60 * 60)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": _visibility,
        "unacked_restore_interval": max(1, min(60, _visibility // 10)),
        "unacked_restore_throttle": 1,
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": REDIS_URL}}
else:
    CELERY_BROKER_URL = "filesystem://"
    _broker = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker / "queue"),
        "data_folder_out": str(_broker / "queue"),
        "processed_folder": str(_broker / "processed"),
        "control_folder": str(_broker / "control"),
        "store_processed": False,
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                          "LOCATION": str(VAR_DIR / "cache")}}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True
# With acks_late alone, a pool process killed mid-task (OOM killer, SIGKILL) has its message
# acknowledged as failed and the task is lost; rejected, it is queued again (tests/faults).
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The worker and beat log through LOGGING above (ekrav.celery), not Celery's own handlers.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    # The collection run, each morning (Europe/Stockholm): the tick for every day not yet run
    # (catching up after downtime; running it twice changes nothing), then those days' letters.
    "collection-day": {"task": "letters.tasks.collection_day_task",
                       "schedule": crontab(hour=6, minute=0)},
    # Letters still waiting (a step taken by hand, a digital delivery to retry).
    "letters-dispatch": {"task": "letters.tasks.letters_dispatch_task",
                         "schedule": crontab(minute="*/15", hour="7-15")},
    # The day's print batch, before the printer's afternoon collection.
    "print-batch": {"task": "letters.tasks.print_batch_task",
                    "schedule": crontab(hour=16, minute=0)},
    # Creditors' e-mails about payments whose sending failed right after the booking.
    "payment-notices": {"task": "payments.tasks.payment_notices_task",
                        "schedule": crontab(minute="*/10")},
    # Mitt Ärende's Swish, card and Trustly payments left waiting (abandoned, a lost callback).
    "payment-requests-expire": {"task": "payments.tasks.payment_requests_expire_task",
                                "schedule": crontab(minute="5-59/10")},
    # The agency's e-mails about debtors' messages whose sending failed when they were written.
    "debtor-message-mails": {"task": "debtors.tasks.debtor_message_mails_task",
                             "schedule": crontab(minute="*/10")},
    # Credit reports on claims awaiting the decision after the collection demand, and the
    # creditors' policies deciding where they can (claims.decisions), every half hour.
    "solvency-checks": {"task": "claims.tasks.solvency_checks_task",
                        "schedule": crontab(minute="5,35")},
    # Efterbevakning's periodic solvency checks (claims.surveillance), after the morning run.
    "surveillance-checks": {"task": "claims.tasks.surveillance_checks_task",
                            "schedule": crontab(hour=7, minute=15)},
    # The claims' message threads: e-mails a failed sending left (claims.messages).
    "case-messages": {"task": "claims.tasks.case_messages_notify_task",
                      "schedule": crontab(minute="*/10")},
    # Kronofogden applications a lost task left unmade (claims.enforcement).
    "kfm-applications": {"task": "claims.tasks.kfm_applications_prepare_task",
                         "schedule": crontab(minute=50)},
    # Their readable PDFs, rendered by the letters room (letters.services).
    "kfm-application-pdfs": {"task": "letters.tasks.kfm_application_pdfs_task",
                             "schedule": crontab(minute="*/10")},
    # Each open claim's limitation date, for the handlers' "statute-barred soon" list.
    "limitation-refresh": {"task": "letters.tasks.limitation_refresh_task",
                           "schedule": crontab(hour=3, minute=30)},
    # Creditors reminded of claims still waiting for their decision (at most weekly each).
    "decision-reminders": {"task": "claims.tasks.decision_reminders_task",
                           "schedule": crontab(hour=9, minute=0)},
    # The day's settlements and payout file, after the print batch (payments.settlements).
    "settlements": {"task": "payments.tasks.settlements_run_task",
                    "schedule": crontab(hour=17, minute=0)},
    # The API's Idempotency-Keys past their 24 hours (ekrav.idempotency), in batches.
    "idempotency-keys-expire": {"task": "ekrav.tasks.idempotency_keys_expire_task",
                                "schedule": crontab(minute=20)},
    # Webhook retries whose backoff has run out, and deliveries a lost task left (webhooks).
    "webhook-deliveries": {"task": "webhooks.tasks.webhook_deliveries_due_task",
                           "schedule": crontab(minute="*")},
    # Confirmed CSV imports whose run was lost (claims.imports.claim_imports_resume).
    "claim-imports-resume": {"task": "claims.tasks.claim_imports_resume_task",
                             "schedule": crontab(minute="*/5")},
}

# Payouts to creditors: the day's bank file as Bankgirot Leverantörsbetalningar ("lb") or
# ISO 20022 pain.001 ("pain001"), paid from the agency's client-funds bankgiro.
PAYOUT_FORMAT = env.str("PAYOUT_FORMAT", default="lb")
PAYOUT_BANKGIRO = env.str("PAYOUT_BANKGIRO", default="")  # empty: AGENCY["bankgiro"]
PAYOUT_BANK_BIC = env.str("PAYOUT_BANK_BIC", default="")  # pain.001 DbtrAgt; optional

# The local stand-ins for BankID, Swish, Kivra ... (ARCHITECTURE.md decision 8): on by default,
# never in production, where they would let anyone fake a payment or a BankID login.
SIMULATORS_ENABLED = env.bool("SIMULATORS_ENABLED",
                              default=env.str("EKRAV_ENV", default="") != "production")

# The collection agency itself: its identity is printed on every letter (inkassolagen 5 §).
# Payments go to the agency's client-funds bankgiro (klientmedelskonto) with the claim's OCR.
AGENCY = {
    "name": env.str("AGENCY_NAME", default="ekrav Inkasso AB"),
    "organisation_number": env.str("AGENCY_ORGANISATION_NUMBER", default="559999-0008"),
    "street": env.str("AGENCY_STREET", default="Box 123"),
    "postal_code": env.str("AGENCY_POSTAL_CODE", default="11122"),
    "city": env.str("AGENCY_CITY", default="Stockholm"),
    "phone": env.str("AGENCY_PHONE", default="08-123 456 00"),
    "email": env.str("AGENCY_EMAIL", default="kundtjanst@ekrav.se"),
    "bankgiro": env.str("AGENCY_BANKGIRO", default="50501055"),
    "swish_number": env.str("AGENCY_SWISH_NUMBER", default="1231181189"),
    "licence": env.str("AGENCY_LICENCE", default="Tillstånd från Finansinspektionen att bedriva "
                                                 "inkassoverksamhet"),
}
# Mitt Ärende, as printed on letters: the debtor's way in (case number + OCR).
MITT_ARENDE_URL = env.str("MITT_ARENDE_URL", default=f"{SITE_URL}/mitt-arende/")

# Kivra (digital mailbox): the tenant API with OAuth2 client credentials. With simulators on
# and no URL given, ekrav's own simulator of the API (under /sim/kivra/) is used; an empty
# KIVRA_BASE_URL turns the digital mailbox off, and every letter goes to print.
KIVRA_BASE_URL = env.str("KIVRA_BASE_URL",
                         default=f"{SITE_URL}/sim/kivra" if SIMULATORS_ENABLED else "")
KIVRA_CLIENT_ID = env.str("KIVRA_CLIENT_ID", default="ekrav-sim")
KIVRA_CLIENT_SECRET = env.str("KIVRA_CLIENT_SECRET", default="ekrav-sim-secret")
KIVRA_TENANT_KEY = env.str("KIVRA_TENANT_KEY", default="ekrav-tenant")
KIVRA_TIMEOUT = env.float("KIVRA_TIMEOUT", default=10.0)
# A delivery that fails (Kivra down, timeout) is tried this many times in all before the
# letter falls back to print; a rejected one (no mailbox, refused content) falls back at once.
KIVRA_MAX_ATTEMPTS = env.int("KIVRA_MAX_ATTEMPTS", default=3)

# Swish (merchant Commerce API, mutual TLS). Production: https://cpc.getswish.net/swish-cpcapi/api
# (Swish's test simulator MSS: https://mss.cpc.getswish.net/swish-cpcapi/api). With simulators on
# and no URL given, ekrav's own simulator (under /sim/swish/) is used; empty turns Swish off.
SWISH_BASE_URL = env.str("SWISH_BASE_URL",
                         default=f"{SITE_URL}/sim/swish" if SIMULATORS_ENABLED else "")
SWISH_PAYEE_ALIAS = env.str("SWISH_PAYEE_ALIAS", default=AGENCY["swish_number"])
# The merchant certificate (PEM) and its key, and the CA that signed Swish's server certificate.
# Empty: no client certificate and the system CAs, which is how the simulator is reached.
SWISH_CERT_FILE = env.str("SWISH_CERT_FILE", default="")
SWISH_KEY_FILE = env.str("SWISH_KEY_FILE", default="")
SWISH_CA_FILE = env.str("SWISH_CA_FILE", default="")
SWISH_TIMEOUT = env.float("SWISH_TIMEOUT", default=10.0)

# BankID (relying-party API v6.0, mutual TLS; ekrav.bankid). Test environment:
# https://appapi2.test.bankid.com/rp/v6.0, production: https://appapi2.bankid.com/rp/v6.0. With
# simulators on and no URL given, ekrav's own simulator (under /sim/bankid/) is used; empty turns
# BankID off. The relying-party certificate (PEM) and its key, and the CA of BankID's server
# certificate; empty: no client certificate and the system CAs (the simulator).
BANKID_BASE_URL = env.str("BANKID_BASE_URL",
                          default=f"{SITE_URL}/sim/bankid/rp/v6.0" if SIMULATORS_ENABLED else "")
BANKID_CERT_FILE = env.str("BANKID_CERT_FILE", default="")
BANKID_KEY_FILE = env.str("BANKID_KEY_FILE", default="")
BANKID_CA_FILE = env.str("BANKID_CA_FILE", default="")
BANKID_TIMEOUT = env.float("BANKID_TIMEOUT", default=10.0)
# The simulator's order lifetime: an order not completed by then collects as expiredTransaction.
BANKID_SIM_ORDER_SECONDS = env.int("BANKID_SIM_ORDER_SECONDS", default=180)

# Trustly (merchant API, JSON-RPC 1.1 at {base}/api/1, RSA-SHA1 signed both ways). Production:
# https://trustly.com (test: https://test.trustly.com). With simulators on and no URL given,
# ekrav's own simulator (under /sim/trustly/) is used; empty turns Trustly off. The keys are PEM:
# ekrav's private key (its public half is given to Trustly) and Trustly's public key. By default,
# with simulators on, both pairs are made on first use in TRUSTLY_SIM_KEY_DIR (never in git).
TRUSTLY_BASE_URL = env.str("TRUSTLY_BASE_URL",
                           default=f"{SITE_URL}/sim/trustly" if SIMULATORS_ENABLED else "")
TRUSTLY_USERNAME = env.str("TRUSTLY_USERNAME", default="ekrav-sim")
TRUSTLY_PASSWORD = env.str("TRUSTLY_PASSWORD", default="ekrav-sim-password")
TRUSTLY_SIM_KEY_DIR = VAR_DIR / "sim" / "trustly"
TRUSTLY_PRIVATE_KEY_FILE = env.str(
    "TRUSTLY_PRIVATE_KEY_FILE",
    default=str(TRUSTLY_SIM_KEY_DIR / "merchant-private.pem") if SIMULATORS_ENABLED else "")
TRUSTLY_PUBLIC_KEY_FILE = env.str(
    "TRUSTLY_PUBLIC_KEY_FILE",
    default=str(TRUSTLY_SIM_KEY_DIR / "trustly-public.pem") if SIMULATORS_ENABLED else "")
TRUSTLY_TIMEOUT = env.float("TRUSTLY_TIMEOUT", default=10.0)

# Card payments through a redirect-style hosted payment page (a session is created by a JSON
# POST, the payer is sent to its page, the outcome comes by a webhook signed with HMAC-SHA256).
# With simulators on and no URL given, ekrav's own simulator (under /sim/card/) is used.
CARD_BASE_URL = env.str("CARD_BASE_URL",
                        default=f"{SITE_URL}/sim/card" if SIMULATORS_ENABLED else "")
CARD_API_KEY = env.str("CARD_API_KEY", default="ekrav-sim-card-key")
CARD_WEBHOOK_SECRET = env.str("CARD_WEBHOOK_SECRET", default="ekrav-sim-webhook-secret")
CARD_WEBHOOK_TOLERANCE = env.int("CARD_WEBHOOK_TOLERANCE", default=300)  # seconds
CARD_TIMEOUT = env.float("CARD_TIMEOUT", default=10.0)

# Kreditupplysning (the solvency check, REX, before the legal step): a credit bureau's report
# API, POST {base}/v1/reports with HTTP Basic (claims.creditinfo). With simulators on and no URL
# given, ekrav's own simulator (under /sim/kreditupplysning/) is used; empty turns the check off.
CREDITINFO_BASE_URL = env.str(
    "CREDITINFO_BASE_URL",
    default=f"{SITE_URL}/sim/kreditupplysning" if SIMULATORS_ENABLED else "")
CREDITINFO_USERNAME = env.str("CREDITINFO_USERNAME", default="ekrav-sim")
CREDITINFO_PASSWORD = env.str("CREDITINFO_PASSWORD", default="ekrav-sim-password")
CREDITINFO_TIMEOUT = env.float("CREDITINFO_TIMEOUT", default=10.0)

# Sessions are kept in the database and read through the cache (Redis where configured): a
# page reads its session from the cache; the database holds them should the cache be emptied
# or away (ekrav/sessions.py).
SESSION_ENGINE = "ekrav.sessions"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# A creditor's login lasts a working day. (Mitt Ärende ends at browser close and after its own
# idle timeout: debtors.portal.)
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
if env.bool("SECURE_COOKIES", default=False):
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True

# Production (EKRAV_ENV=production) refuses to start on the embedded default's assumptions: it
# needs its own secret, hosts and database, and runs on HTTPS only (`manage.py check --deploy`).
EKRAV_ENV = env.str("EKRAV_ENV", default="development")
if EKRAV_ENV not in ("development", "production"):
    raise ImproperlyConfigured(f"EKRAV_ENV is {EKRAV_ENV!r}: use 'production' or 'development'.")
if EKRAV_ENV == "production":
    _missing = [name for name in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL")
                if not env.str(name, default="").strip()]
    if _missing:
        raise ImproperlyConfigured(f"EKRAV_ENV=production needs {', '.join(_missing)} set in the "
                                   "environment (see the README's configuration table).")
    if SECRET_KEY == _DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured("EKRAV_ENV=production needs a SECRET_KEY of its own, at least "
                                   "50 random characters, never the development key.")
    if any(key == _DEVELOPMENT_SECRET_KEY or len(key) < 50 or len(set(key)) < 5
           for key in SECRET_KEY_FALLBACKS):
        raise ImproperlyConfigured("EKRAV_ENV=production: every SECRET_KEY_FALLBACKS entry is a "
                                   "former SECRET_KEY, 50+ characters, never the development key.")
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        raise ImproperlyConfigured("EKRAV_ENV=production runs on PostgreSQL: DATABASE_URL is "
                                   "SQLite (one writer, no pg_dump backups, no second machine).")
    if DEBUG:
        raise ImproperlyConfigured("EKRAV_ENV=production runs with DEBUG off: unset DEBUG.")
    if SIMULATORS_ENABLED:
        raise ImproperlyConfigured("EKRAV_ENV=production never serves the simulators (anyone "
                                   "could fake a payment or a BankID login through them): "
                                   "unset SIMULATORS_ENABLED.")
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    # The image collects (and compresses) the static files: served from there, the app
    # folders' uncompressed copies would replace the .gz/.br ones (bin/docker-check).
    WHITENOISE_USE_FINDERS = False
    # ekrav runs behind a TLS-terminating proxy (load balancer, nginx) that must set (overwrite)
    # X-Forwarded-Proto; without such a proxy in front this header would be a client's to forge.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Off only when the proxy itself redirects http:// to https://.
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Load balancers probe over plain HTTP (ekrav.health; its middleware answers them first).
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# One JSON object per line in production (for the log collector), text on a developer's screen.
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if EKRAV_ENV == "production" else "text")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT is {LOG_FORMAT!r}: use 'json' or 'text'.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "ekrav.logging.JsonFormatter"},
                   "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] "
                                      "%(message)s"}},
    # No log line carries a person's identity number; each names its request (ekrav.logging).
    "filters": {"mask_personal_numbers": {"()": "ekrav.logging.MaskPersonalNumbers"},
                "request_id": {"()": "ekrav.logging.RequestId"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT,
                             "filters": ["request_id", "mask_personal_numbers"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # WeasyPrint logs each rendering step at INFO; its warnings (a missing glyph) still show.
    "loggers": {"weasyprint.progress": {"level": "WARNING"},
                # httpx logs every request at INFO; the adapters log what matters themselves.
                "httpx": {"level": "WARNING"}},
}

for _d in (VAR_DIR, VAR_DIR / "mail", MEDIA_ROOT, STATIC_ROOT):
    _d.mkdir(parents=True, exist_ok=True)
if CELERY_BROKER_URL == "filesystem://":
    for _d in (_broker / "queue", _broker / "processed", _broker / "control"):
        _d.mkdir(parents=True, exist_ok=True)
