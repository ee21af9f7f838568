"""Shared fixtures: alice's company, bob who works for alice, and charlie, who must see nothing
of alice's. Identity numbers are real-shaped (valid checksums), not real people."""

import os
from datetime import date, timedelta

import pytest

pytest_plugins = ["tests.bankid"]  # the BankID simulator fixture (sim)
from django.utils import timezone

from claims.registration import parse_registration
from claims.services import claim_register
from creditors.onboarding import parse_onboarding
from creditors.models import Membership
from creditors.services import (
    agreement_sign,
    agreement_text_for,
    api_key_create,
    creditor_onboard,
)
from ekrav.bankid_simulator import signed_completion
from ekrav.identifiers import luhn_check_digit

PASSWORD = "korrekt-hast-batteri-42"

ALICE_COMPANY = {
    "organisation_number": "556036-0793", "form": "AB", "name": "Alice Bygg AB",
    "street": "Storgatan 1", "postal_code": "111 22", "city": "Stockholm",
    "bankgiro": "5050-1055", "report_email": "ekonomi@alicebygg.se", "f_tax_confirmed": True,
    "default_invoice_text": "Byggarbeten", "contact_name": "Alice Andersson",
    "contact_personnummer": "19811228-9874", "contact_phone": "070-123 45 67",
}
CHARLIE_COMPANY = {
    **ALICE_COMPANY, "organisation_number": "556677-8899", "name": "Charlie Consulting AB",
    "report_email": "charlie@example.se", "bankgiro": "991-2346",
}


def registration_data(**overrides):
    today = timezone.localdate()
    data = {
        "debtor_kind": "person", "debtor_identity_number": "19811228-9874",
        "debtor_name": "Dan Gäldenär", "debtor_street": "Lillgatan 2",
        "debtor_postal_code": "123 45", "debtor_city": "Uppsala",
        "debtor_email": "dan@example.se", "debtor_phone": "",
        "invoice_number": "F-1001", "invoice_date": (today - timedelta(days=40)).isoformat(),
        "due_date": (today - timedelta(days=10)).isoformat(), "amount": "1234.50",
        "description": "Målning av staket", "reminder_fee_agreed": True,
    }
    data.update(overrides)
    return data


def another_debtor(n: int) -> dict:
    """Registration fields of the n-th debtor who is not Dan (n >= 1): a distinct, valid
    personnummer and name. Invoices of one debtor join one case until its collection demand
    (issue 3), so a test about separate claims registers them for different debtors."""
    born = (date(1950, 1, 1) + timedelta(days=n)).strftime("%Y%m%d")
    serial = "123"
    return {"debtor_identity_number": f"{born}-{serial}{luhn_check_digit(born[2:] + serial)}",
            "debtor_name": f"Gäldenär nummer {n}"}


def make_user(django_user_model, email):
    return django_user_model.objects.create_user(username=email, email=email, password=PASSWORD)


def make_creditor(data, signatory=None, *, signed=True):
    """A company as after Kom igång; with a ``signatory`` who ``signed``, its service agreement
    signed with BankID (as ekrav's simulator signs it): ekrav collects nothing before."""
    parsed, errors = parse_onboarding(data, today=timezone.localdate())
    assert not errors, errors
    creditor = creditor_onboard(data=parsed, signatory=signatory)
    if signed and signatory is not None:
        sign_agreement(creditor, signatory)
    return creditor


def sign_agreement(creditor, user):
    completion = signed_completion(text=agreement_text_for(creditor),
                                   personal_number=creditor.contact_personnummer,
                                   given_name="Firma", surname="Tecknare")
    return agreement_sign(creditor=creditor, user=user, completion=completion,
                          now=timezone.now())


def register(creditor, user=None, **overrides):
    parsed, errors = parse_registration(registration_data(**overrides),
                                        today=timezone.localdate())
    assert not errors, errors
    return claim_register(creditor=creditor, registration=parsed, today=timezone.localdate(),
                          user=user)


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # Real hashing costs ~0.2 s per login; the tests are about ekrav, not PBKDF2.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_serialized_rollback"}


@pytest.fixture(scope="session")
def live_server(live_server):
    """pytest-django's live server (the simulators' and the browser tests'), whose request
    threads close their database connections after each request (``CONN_MAX_AGE=0``): a
    thread serving a kept-alive HTTP connection (a browser's) would otherwise hold its database
    connection until the process ends, and the test database could not be dropped at the end
    of the run. Read when a thread connects, which is after this."""
    from django.db import connections

    connections.settings["default"]["CONN_MAX_AGE"] = 0
    return live_server


@pytest.fixture(autouse=True)
def law_tables(request):
    """The migration-seeded law rows (fees, reference rates), put back when a transactional
    test has flushed them: whatever order the tests run in, every test sees the law."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None and not DB_FIXTURES & set(request.fixturenames):
        return
    transactional = (marker is not None and marker.kwargs.get("transaction")) or \
        {"transactional_db", "live_server"} & set(request.fixturenames)
    request.getfixturevalue("transactional_db" if transactional else "db")
    from claims.law_seed import seed_law_tables, seed_surveillance_policy
    from claims.models import ReferenceRate, StatutoryFee, SurveillancePolicy

    if not StatutoryFee.objects.exists():
        seed_law_tables(StatutoryFee, ReferenceRate)
        seed_surveillance_policy(SurveillancePolicy)


@pytest.fixture(autouse=True)
def no_digital_mailbox(settings):
    # Letters go to print unless a test serves the Kivra simulator (live_server) and points
    # KIVRA_BASE_URL at it: no test may depend on a server it did not start.
    settings.KIVRA_BASE_URL = ""
    settings.CREDITINFO_BASE_URL = ""  # likewise the credit bureau (claims.creditinfo)


@pytest.fixture(autouse=True)
def private_cache(settings):
    # Each test its own cache: login rate limits and import progress must not leak between
    # tests, xdist workers or a running bin/start (file cache) or CI's shared Redis.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "ekrav-tests"}}
    from django.core.cache import cache
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    # Letters, print batches, settlement reports and uploads go to the test's own folder, not
    # the developer's var/media (thousands of PDFs a run). The default FileSystemStorage reads
    # MEDIA_ROOT again on setting_changed, and every FileField uses it. Beside tmp_path, not
    # in it: a test may make tmp_path its MEDIA_ROOT and count what is stored there.
    private = tmp_path.with_name(tmp_path.name + "-var")
    settings.MEDIA_ROOT = private / "media"
    settings.MEDIA_ROOT.mkdir(parents=True)
    settings.EMAIL_FILE_PATH = private / "mail"  # should a test use the file e-mail backend


@pytest.fixture(scope="session")
def session_var(tmp_path_factory):
    """The run's own var/ (one per xdist worker), for what is too costly to make per test."""
    return tmp_path_factory.mktemp("var")


@pytest.fixture(autouse=True)
def private_trustly_keys(settings, session_var):
    # The simulator's key pairs are made on first use: in the run's own folder (once, RSA
    # is slow), not the developer's var/sim. Keys configured elsewhere are left alone.
    original = str(settings.TRUSTLY_SIM_KEY_DIR)
    settings.TRUSTLY_SIM_KEY_DIR = session_var / "sim" / "trustly"
    for name in ("TRUSTLY_PRIVATE_KEY_FILE", "TRUSTLY_PUBLIC_KEY_FILE"):
        path = getattr(settings, name)
        if path.startswith(original):
            setattr(settings, name, str(settings.TRUSTLY_SIM_KEY_DIR) + path[len(original):])


@pytest.fixture(scope="session", autouse=True)
def private_broker(session_var):
    """Tasks the tests queue go to the run's own filesystem queue: in the developer's
    var/broker they would pile up, and their bin/start worker would run them against their
    own database (while a test's worker took the developer's tasks). Celery read its settings
    once, so the app's own configuration is changed. On Redis (CI), which the run's xdist
    workers share, each worker's tasks go to a queue of its own: a test's worker
    (tests/claims/test_import_worker.py) runs only the tasks of its own test database."""
    from ekrav.celery import app

    if not app.conf.broker_url.startswith("filesystem"):
        original = app.conf.task_default_queue
        app.conf.task_default_queue = f"ekrav-tests-{os.getpid()}"
        yield
        app.conf.task_default_queue = original
        return
    original = app.conf.broker_transport_options
    folders = {"data_folder_in": "queue", "data_folder_out": "queue",
               "processed_folder": "processed", "control_folder": "control"}
    options = dict(original)
    for option, name in folders.items():
        (session_var / "broker" / name).mkdir(parents=True, exist_ok=True)
        options[option] = str(session_var / "broker" / name)
    app.conf.broker_transport_options = options
    yield
    app.conf.broker_transport_options = original


def activate_totp(user) -> str:
    """Give the user an activated authenticator app, stored as allauth.mfa stores one after its
    activation form; returns the secret (the app's copy of it) for ``totp_code``."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def totp_code(secret: str) -> str:
    """The code the authenticator app shows right now, by allauth's own TOTP helpers."""
    from allauth.mfa.totp.internal.auth import (format_hotp_value, hotp_value,
                                                yield_hotp_counters_from_time)

    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))


@pytest.fixture
def admin_user(admin_user):
    """pytest-django's superuser (and so ``admin_client``) is a case handler, and handlers have
    activated TOTP: without it every admin page sends them to the activation (ekrav.staff_mfa)."""
    from allauth.mfa.models import Authenticator

    if not Authenticator.objects.filter(user=admin_user, type=Authenticator.Type.TOTP).exists():
        activate_totp(admin_user)
    return admin_user


@pytest.fixture
def alice(django_user_model, db):
    return make_user(django_user_model, "alice@alicebygg.se")


@pytest.fixture
def alice_co(alice):
    return make_creditor(ALICE_COMPANY, signatory=alice)


@pytest.fixture
def bob(django_user_model, alice_co):
    """Bob works for alice's company as an ordinary user."""
    user = make_user(django_user_model, "bob@alicebygg.se")
    Membership.objects.create(user=user, creditor=alice_co, role=Membership.Role.USER)
    return user


@pytest.fixture
def charlie(django_user_model, db):
    return make_user(django_user_model, "charlie@example.se")


@pytest.fixture
def charlie_co(charlie):
    """Charlie's company, which must see nothing of alice's."""
    return make_creditor(CHARLIE_COMPANY, signatory=charlie)


@pytest.fixture
def alice_claim(alice_co, alice):
    return register(alice_co, alice)


@pytest.fixture
def alice_key(alice_co):
    return api_key_create(creditor=alice_co, name="Fortnox")[1]


@pytest.fixture
def charlie_key(charlie_co):
    return api_key_create(creditor=charlie_co, name="Visma")[1]


@pytest.fixture
def alice_client(client, alice, alice_co):
    client.force_login(alice)
    return client


@pytest.fixture
def partner(db):
    """An integration partner (an e-invoicing operator), with no creditor's grant yet."""
    from creditors.models import Partner

    return Partner.objects.create(name="Inexchange")


@pytest.fixture
def charlie_client(client, charlie, charlie_co):
    client.force_login(charlie)
    return client
