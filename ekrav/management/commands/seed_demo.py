"""Demo data for the embedded default: a case handler, a demo creditor user with two companies,
and a dozen claims in different states, all written through the services.

The demo is played in date order: each invoice is registered on its day in the past, the
collection tick runs up to each day before anything happens on it, and payments and
withdrawals are reported on their days. So an invoice joins its debtor's open case exactly
when it would have in real life (before the case's collection demand), and a payment in full
is what the debtor owed on its day, interest and fees included.

Idempotent: users and companies are looked up by e-mail and organisationsnummer, invoices by
invoice number, so a second run changes nothing. The whole run is one transaction.
Identity numbers are made up with valid check digits; they are not real people or companies.
"""

import contextlib
import os
from dataclasses import dataclass
from datetime import timedelta

import httpx
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.core import signals
from django.db import close_old_connections, transaction
from django.utils import timezone

from claims.models import Invoice
from claims.registration import parse_registration
from claims.selectors import claim_statement
from claims.creditinfo import CreditInfoClient, client_from_settings
from claims.decisions import claim_decide, solvency_checks_run
from claims.disputes import dispute_register
from claims.enforcement import kfm_application_prepare
from claims.payment_plans import plan_request
from claims.services import (
    ClaimError,
    claim_report_direct_payment,
    claim_withdraw,
    invoice_register,
)
from creditors.models import ApiKey, Creditor
from creditors.onboarding import parse_onboarding
from creditors.services import (
    agreement_sign,
    agreement_text_for,
    api_key_create,
    creditor_onboard,
)
from ekrav.bankid_simulator import signed_completion
from ekrav.identifiers import luhn_check_digit
from ekrav.money import format_sek, parse_sek
from letters.kivra import KivraClient
from letters.services import collection_day_run

# Documented in the README; printed by bin/start. Only ever used on a demo database.
STAFF_EMAIL = "handlaggare@ekrav.se"
STAFF_PASSWORD = "handlaggare-demo-2468"
DEMO_EMAIL = "demo@ekrav.se"
DEMO_PASSWORD = "demo-borgenar-1357"
API_KEY_NAME = "Demo (seed_demo)"


def personnummer(born: str, serial: str) -> str:
    """``born`` YYYYMMDD (day + 60 for a samordningsnummer), ``serial`` three digits."""
    return f"{born}-{serial}{luhn_check_digit(born[2:] + serial)}"


def organisationsnummer(first9: str) -> str:
    return f"{first9[:6]}-{first9[6:]}{luhn_check_digit(first9)}"


def bankgiro(first: str) -> str:
    digits = first + str(luhn_check_digit(first))
    return f"{digits[:-4]}-{digits[-4:]}"


DEMO_COMPANY = {
    "organisation_number": organisationsnummer("559123456"), "form": "AB",
    "name": "Demobolaget Snickeri AB", "street": "Hantverkargatan 7", "postal_code": "112 21",
    "city": "Stockholm", "bankgiro": "5050-1055", "report_email": "ekonomi@demobolaget.example.se",
    "f_tax_confirmed": True, "default_invoice_text": "Snickeri- och byggarbeten",
    "contact_name": "Dana Demo", "contact_personnummer": personnummer("19800101", "238"),
    "contact_phone": "070-123 45 67",
}
# Sorts after the first by name, so the demo user lands on the company with most claims.
SECOND_COMPANY = {
    "organisation_number": organisationsnummer("969712345"), "form": "HB",
    "name": "Stadsdelens Fastighetsservice HB", "street": "Repslagargatan 3",
    "postal_code": "118 46", "city": "Stockholm", "bankgiro": bankgiro("123456"),
    "report_email": "hb@stadsdelens.example.se",
    "f_tax_confirmed": True, "default_invoice_text": "Fastighetsskötsel",
    "contact_name": "Dana Demo", "contact_personnummer": personnummer("19800101", "238"),
    "contact_phone": "070-123 45 67",
}

DEBTORS = {
    "anna": {"debtor_kind": "person", "debtor_identity_number": personnummer("19850312", "124"),
             "debtor_name": "Anna Svensson", "debtor_street": "Storgatan 12",
             "debtor_postal_code": "753 20", "debtor_city": "Uppsala",
             "debtor_email": "anna.svensson@example.se"},
    "erik": {"debtor_kind": "person", "debtor_identity_number": personnummer("19720704", "331"),
             "debtor_name": "Erik Johansson", "debtor_street": "Vasagatan 5",
             "debtor_postal_code": "411 24", "debtor_city": "Göteborg",
             "debtor_phone": "070-987 65 43"},
    # A samordningsnummer: born 15 March 1990, day + 60.
    "maria": {"debtor_kind": "person", "debtor_identity_number": personnummer("19900375", "482"),
              "debtor_name": "Maria Lindqvist", "debtor_street": "Kungsgatan 3",
              "debtor_postal_code": "211 49", "debtor_city": "Malmö"},
    "johan": {"debtor_kind": "person", "debtor_identity_number": personnummer("19630921", "517"),
              "debtor_name": "Johan Berg", "debtor_street": "Åsgatan 8",
              "debtor_postal_code": "831 30", "debtor_city": "Östersund"},
    "fatima": {"debtor_kind": "person",
               "debtor_identity_number": personnummer("19951130", "646"),
               "debtor_name": "Fatima Ali", "debtor_street": "Drottninggatan 40",
               "debtor_postal_code": "602 24", "debtor_city": "Norrköping",
               "debtor_email": "fatima.ali@example.se"},
    "karin": {"debtor_kind": "person", "debtor_identity_number": personnummer("19880517", "720"),
              "debtor_name": "Karin Nilsson", "debtor_street": "Ringvägen 101",
              "debtor_postal_code": "116 61", "debtor_city": "Stockholm"},
    "kontor": {"debtor_kind": "company",
               "debtor_identity_number": organisationsnummer("556812345"),
               "debtor_name": "Nordisk Kontorsmöbler AB", "debtor_street": "Industrigatan 4",
               "debtor_postal_code": "721 33", "debtor_city": "Västerås",
               "debtor_email": "faktura@kontorsmobler.example.se"},
    "akeri": {"debtor_kind": "company",
              "debtor_identity_number": organisationsnummer("916512345"),
              "debtor_name": "Bergs Åkeri HB", "debtor_street": "Hamnvägen 2",
              "debtor_postal_code": "852 38", "debtor_city": "Sundsvall"},
    # An enskild firma is a company debtor identified by its owner's personnummer.
    "cafe": {"debtor_kind": "company",
             "debtor_identity_number": personnummer("19780215", "953"),
             "debtor_name": "Lindholms Café (enskild firma)", "debtor_street": "Torget 1",
             "debtor_postal_code": "441 30", "debtor_city": "Alingsås"},
}


@dataclass(frozen=True)
class DemoClaim:
    invoice_number: str
    debtor: str
    invoice_days_ago: int
    due_days_ago: int
    amount: str
    description: str
    reminder_fee_agreed: bool = True
    withdraw_reason: str = ""
    paid: str = ""  # "full", or an amount paid directly to the creditor
    paid_days_ago: int = 0
    # Registered in the past, so that the tick up to today shows every stage of collection.
    registered_days_ago: int = 0
    withdrawn_days_ago: int = 0


DEMO_CLAIMS = [
    DemoClaim("DEMO-1001", "anna", 75, 45, "4250.00", "Badrumsrenovering, material",
              registered_days_ago=40),
    DemoClaim("DEMO-1002", "anna", 40, 10, "1180.00", "Extra arbete, dörrkarm",
              registered_days_ago=8),
    DemoClaim("DEMO-1003", "erik", 100, 70, "12500.00", "Altanbygge", registered_days_ago=60),
    DemoClaim("DEMO-1004", "maria", 35, 5, "890.50", "Servicebesök", reminder_fee_agreed=False),
    # Past its collection demand; the credit report says Johan cannot pay.
    DemoClaim("DEMO-1005", "johan", 200, 170, "23400.00", "Takomläggning, delfaktura 2",
              registered_days_ago=45),
    DemoClaim("DEMO-1006", "fatima", 50, 20, "3200.00", "Köksluckor",
              withdraw_reason="Kunden har reklamerat arbetet; vi löser det direkt med kunden.",
              registered_days_ago=15),
    DemoClaim("DEMO-1007", "kontor", 60, 30, "48750.00", "Kontorsombyggnad",
              paid="20000.00", paid_days_ago=7, registered_days_ago=28),
    # Registered while DEMO-1007's case waits for its collection demand: it joins that case.
    DemoClaim("DEMO-1008", "kontor", 45, 15, "6125.00", "Montering av hyllsystem",
              registered_days_ago=12),
    DemoClaim("DEMO-1009", "akeri", 90, 60, "9980.00", "Reparation av lastkaj",
              reminder_fee_agreed=False, paid="full", paid_days_ago=3, registered_days_ago=20),
    DemoClaim("DEMO-1010", "cafe", 30, 2, "2340.00", "Ny bardisk"),
    DemoClaim("DEMO-1011", "akeri", 130, 100, "15600.00", "Byte av garageport",
              registered_days_ago=50),
    # Erik's first case has had its collection demand: this invoice opens a new case.
    DemoClaim("DEMO-1012", "erik", 20, 1, "560.00", "Materialtillägg", reminder_fee_agreed=False),
    # Joins DEMO-1010's case, registered the same day: one reminder for both.
    DemoClaim("DEMO-1013", "cafe", 25, 3, "1150.00", "Kaffemaskin, installation"),
]
SECOND_COMPANY_CLAIMS = [
    DemoClaim("HB-2001", "karin", 50, 20, "1950.00", "Fönsterputs, kvartal 3",
              registered_days_ago=15),
    DemoClaim("HB-2002", "kontor", 65, 35, "7400.00", "Trappstädning, juli-september",
              registered_days_ago=30),
]


@contextlib.contextmanager
def _in_process_requests():
    """Let the demo's in-process requests (to the Kivra simulator) leave the database
    connection alone: a request's end would otherwise close it, in the middle of the seed's
    transaction. Django's test client does the same."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


class Command(BaseCommand):
    help = "Load the demo users, companies and claims (idempotent; for the embedded default)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true",
                            help="Seed even though SECRET_KEY is set (a real deployment).")

    @transaction.atomic  # all or nothing: a half-seeded demo could not be repaired by a rerun
    def handle(self, *args, force=False, **options):
        if os.environ.get("SECRET_KEY") and not force:
            # A deployment with its own secret is not a demo: a superuser with a published
            # password must never appear there by accident.
            raise CommandError("SECRET_KEY is set, so this looks like a real deployment; "
                               "refusing to create demo users (use --force to insist).")
        today = timezone.localdate()
        staff = self._user(STAFF_EMAIL, STAFF_PASSWORD, staff=True)
        demo = self._user(DEMO_EMAIL, DEMO_PASSWORD, staff=False)
        demo_co = self._creditor(DEMO_COMPANY, signatory=demo, today=today)
        second_co = self._creditor(SECOND_COMPANY, signatory=demo, today=today)
        specs = [(creditor, spec) for creditor, specs in ((demo_co, DEMO_CLAIMS),
                                                          (second_co, SECOND_COMPANY_CLAIMS))
                 for spec in specs]
        new = self._play(specs, demo, today)
        self.stdout.write(f"Demo invoices: {len(new)} created "
                          f"(in {len({claim.pk for claim, _spec in new})} cases), "
                          f"{len(specs) - len(new)} already there.")
        self._api_key(demo_co, demo)
        self.stdout.write(f"Case handler (staff, /admin/): {staff.email} / {STAFF_PASSWORD}")
        # Not weakened for the demo: the handler activates TOTP like any other (ekrav.staff_mfa).
        self.stdout.write("Case handlers use two-step verification: the first visit to /admin/ "
                          "activates TOTP with an authenticator app (README).")
        self.stdout.write(f"Demo creditor user:            {demo.email} / {DEMO_PASSWORD}")

    def _user(self, email, password, *, staff):
        User = get_user_model()
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User.objects.create_user(username=email, email=email, password=password,
                                            is_staff=staff)
            self.stdout.write(f"Created user {email}.")
        if staff:  # a case handler, not a superuser (ekrav.roles)
            from django.contrib.auth.models import Group

            from ekrav.roles import GROUP

            user.groups.add(Group.objects.get(name=GROUP))
        # allauth's own record of the address: verified, so the demo login is not nagged.
        EmailAddress.objects.get_or_create(user=user, email=email,
                                           defaults={"verified": True, "primary": True})
        return user

    def _creditor(self, data, *, signatory, today):
        parsed, errors = parse_onboarding(data, today=today)
        if errors:
            raise CommandError(f"demo company {data['name']} is invalid: {errors}")
        existing = Creditor.objects.filter(
            organisation_number=parsed.organisation_number).first()
        if existing is not None:
            return existing
        creditor = creditor_onboard(data=parsed, signatory=signatory)
        # Signed with BankID (the simulator's) as Kom igång ends: ekrav collects on it.
        completion = signed_completion(text=agreement_text_for(creditor),
                                       personal_number=creditor.contact_personnummer,
                                       given_name="Dana", surname="Demo")
        agreement_sign(creditor=creditor, user=signatory, completion=completion,
                       now=timezone.now())
        self.stdout.write(f"Created creditor {creditor.name}, its agreement signed.")
        return creditor

    def _play(self, specs, user, today) -> list:
        """Register, pay and withdraw each on its day, the tick run up to that day first;
        then the tick up to today. Returns ``(case, spec)`` of each invoice created."""
        new, actions = [], []
        for order, (creditor, spec) in enumerate(specs):
            if Invoice.objects.filter(creditor=creditor,
                                      invoice_number=spec.invoice_number).exists():
                continue  # seeded before, with all that happened to it
            actions.append((spec.registered_days_ago, 0, order, "register", creditor, spec))
            if spec.paid:
                actions.append((spec.paid_days_ago, 1, order, "pay", creditor, spec))
            if spec.withdraw_reason:
                actions.append((spec.withdrawn_days_ago, 1, order, "withdraw", creditor, spec))
        cases = {}
        kivra = self._kivra()
        with _in_process_requests():
            self._run(actions, cases, new, kivra, user, today)
        return new

    def _run(self, actions, cases, new, kivra, user, today) -> None:
        # Oldest first; on one day registrations before payments, each in the lists' order.
        for days_ago, _when, _order, action, creditor, spec in sorted(
                actions, key=lambda a: (-a[0], *a[1:3])):
            day = today - timedelta(days=days_ago)
            collection_day_run(until=day, client=kivra)
            if action == "register":
                cases[spec.invoice_number] = self._register(creditor, spec, user, day)
                new.append((cases[spec.invoice_number], spec))
            elif action == "pay":
                self._pay(cases[spec.invoice_number], spec, user, day)
            else:
                claim_withdraw(claim=cases[spec.invoice_number], reason=spec.withdraw_reason,
                               today=day, user=user)
        collection_day_run(until=today, client=kivra)
        bureau = self._bureau()
        if bureau is not None:  # the claims awaiting their decision show their checks
            solvency_checks_run(today=today, client=bureau)
        self._after_the_demand(cases, user, today)
        # What those stages sent today (the instalment plan's letter) goes out as the letters
        # job would send it, so a second run of this command finds nothing left to do.
        collection_day_run(until=today, client=kivra)

    def _after_the_demand(self, cases, user, today) -> None:
        """What the later stages look like, on cases seeded in this run: one sent to
        Kronofogden (its application prepared), one objected to in Mitt Ärende, one objected to
        in part, one on an instalment plan."""
        steps = (
            ("DEMO-1011", "sent to Kronofogden", lambda claim: (
                claim_decide(claim_id=claim.pk, choice="kronofogden", today=today, user=user),
                kfm_application_prepare(claim_id=claim.pk, today=today))),
            ("HB-2001", "objected to", lambda claim: dispute_register(
                claim_id=claim.pk, channel="mitt_arende", reason="not_delivered",
                text="Fönsterputsen i september blev aldrig gjord; jag var hemma hela dagen.",
                received_on=today)),
            # The café objects to one of its case's two invoices: the other is collected.
            ("DEMO-1013", "partly objected to (that invoice held)", lambda claim: (
                dispute_register(
                    claim_id=claim.pk, channel="mitt_arende", reason="not_delivered",
                    text="Kaffemaskinen är inte installerad än. Bardisken betalar jag.",
                    received_on=today, invoice_ids=list(claim.invoices.filter(
                        invoice_number="DEMO-1013").values_list("pk", flat=True))))),
            ("DEMO-1005", "on an instalment plan", lambda claim: plan_request(
                claim_id=claim.pk, months=6, first_due=today + timedelta(days=14),
                today=today)),
        )
        for invoice_number, what, act in steps:
            claim = cases.get(invoice_number)
            if claim is None:
                continue  # seeded before
            try:
                act(claim)
            except ClaimError as exc:  # the demo's dates put the case elsewhere: say so
                self.stdout.write(f"  {invoice_number}: not {what}: {exc}")
            else:
                self.stdout.write(f"  {invoice_number}: {what}.")

    def _bureau(self) -> CreditInfoClient | None:
        """The credit bureau client, reaching ekrav's simulator in-process as ``_kivra``."""
        if not settings.CREDITINFO_BASE_URL:
            return None
        if not (settings.SIMULATORS_ENABLED and settings.CREDITINFO_BASE_URL.rstrip("/")
                .endswith("/sim/kreditupplysning")):
            return client_from_settings()
        return CreditInfoClient(settings.CREDITINFO_BASE_URL, settings.CREDITINFO_USERNAME,
                                settings.CREDITINFO_PASSWORD, settings.CREDITINFO_TIMEOUT,
                                transport=httpx.WSGITransport(app=WSGIHandler()))

    def _kivra(self) -> KivraClient | None:
        """The Kivra client the demo's letters go through. ekrav's own simulator is not
        listening yet while the demo is seeded (bin/start seeds, then serves), so the client
        reaches it in-process: the same client and the same simulator views, over httpx's
        WSGI transport instead of a socket."""
        if not settings.KIVRA_BASE_URL:
            return None  # digital mailbox off: every letter is printed
        if not (settings.SIMULATORS_ENABLED
                and settings.KIVRA_BASE_URL.rstrip("/").endswith("/sim/kivra")):
            return KivraClient.from_settings()
        return KivraClient(base_url=settings.KIVRA_BASE_URL, client_id=settings.KIVRA_CLIENT_ID,
                           client_secret=settings.KIVRA_CLIENT_SECRET,
                           tenant_key=settings.KIVRA_TENANT_KEY,
                           transport=httpx.WSGITransport(app=WSGIHandler()))

    def _register(self, creditor, spec: DemoClaim, user, day):
        data = {
            **DEBTORS[spec.debtor], "invoice_number": spec.invoice_number,
            "invoice_date": day - timedelta(days=spec.invoice_days_ago),
            "due_date": day - timedelta(days=spec.due_days_ago),
            "amount": spec.amount, "description": spec.description,
            "reminder_fee_agreed": spec.reminder_fee_agreed,
        }
        registration, errors = parse_registration(data, today=day)
        if errors:
            raise CommandError(f"demo claim {spec.invoice_number} is invalid: {errors}")
        registered = invoice_register(creditor=creditor, registration=registration, today=day,
                                      user=user)
        if registered.joined:
            self.stdout.write(f"  {spec.invoice_number}: joined case "
                              f"{registered.claim.case_number}.")
        return registered.claim

    def _pay(self, claim, spec: DemoClaim, user, day) -> None:
        if spec.paid == "full":
            # What the debtor owed that day: capital, fees and interest to the day.
            owed, problem = claim_statement(claim, as_of=day)
            if owed is None:
                raise CommandError(f"demo claim {spec.invoice_number}: {problem}")
            amount = owed.total_owed_ore
        else:
            amount = parse_sek(spec.paid)
        claim_report_direct_payment(claim=claim, amount_ore=amount, paid_on=day, today=day,
                                    user=user)
        self.stdout.write(f"  {spec.invoice_number}: direct payment {format_sek(amount)}.")

    def _api_key(self, creditor, user):
        if ApiKey.objects.filter(creditor=creditor, name=API_KEY_NAME,
                                 revoked_at__isnull=True).exists():
            self.stdout.write(f"Demo API key for {creditor.name} exists (shown only when "
                              "created; make a new one in the portal).")
            return
        _key, secret = api_key_create(creditor=creditor, name=API_KEY_NAME, created_by=user)
        self.stdout.write(f"Demo API key for {creditor.name} (shown once): {secret}")
