"""Every route of the site, read from the URL resolver and classified: who may reach it and
what an outsider must get. A route that is not classified here fails the suite
(``test_every_route_is_classified``), so a route added later is checked from its first day.
"""

import re

from django.urls import URLPattern, URLResolver, get_resolver

# Classes of route.
PUBLIC = "public"      # open to anyone by design (below, each with its reason)
CALLBACK = "callback"  # a payment provider posts here: CSRF-exempt, signature checked instead
PORTAL = "portal"      # the creditors' portal: logged in and acting for a company
MANAGE = "manage"      # ... and (for the methods listed in MANAGE_METHODS) signatory/admin
DEBTOR = "debtor"      # Mitt Ärende behind the door: an access to the case in the session
API = "api"            # /api/v1: an API key
ADMIN = "admin"        # the Django admin: staff with TOTP
ACCOUNT = "account"    # allauth's own pages (login, signup, password reset, 2FA)
SIMULATOR = "sim"      # local stand-ins for outside systems; hold no creditor's data

# Whole trees classified by their prefix: each route under them is still requested by the
# suite (but the simulators'), so a new admin page or allauth view is checked as well.
PREFIXES = (
    ("admin/", ADMIN),
    ("sim/", SIMULATOR),  # only mounted with SIMULATORS_ENABLED (never in production)
)

# The public routes, each with why it is public.
PUBLIC_ROUTES = {
    "mitt-arende/": "Mitt Ärende's door: case number + OCR, guesses limited (debtors.portal)",
    "mitt-arende/bankid/": "Mitt Ärende's door with BankID",
    "mitt-arende/stang/": "closes the visitor's own access; shows nothing",
    "konto/bankid/": "the creditors' login with BankID",
    "inbjudan/<str:token>/": "an invitation; the token is the secret, an unknown one is a 404",
    "partner/anslut/<str:token>/": "a partner's onboarding link (issue 7); the token is the "
                                   "secret, an unknown one is a 404; logged out it writes nothing",
    "i18n/setlang/": "the language switch",
    "healthz": "liveness probe for load balancers: says only that the process answers",
    "readyz": "readiness probe for load balancers: which dependency is down, no data "
              "(ekrav.health)",
    "api/openapi.json": "the API's contract (no data)",
    "api/docs": "the API's documentation page (no data)",
    "api/": "django-ninja's root of the API: a 404, no data",
    "api/^(?P<rest>.*)$": "unknown API paths: the API's JSON 404, no data",
}

CALLBACK_ROUTES = {
    "betalning/swish/callback/<str:instruction_id>/":
        "Swish: the body must describe the request as created, then Swish's status is read",
    "betalning/kort/webhook/<str:instruction_id>/": "card provider: HMAC signature + timestamp",
    "betalning/trustly/notification/<str:instruction_id>/": "Trustly: RSA signature",
}

PORTAL_ROUTES = {
    "konto/bankid/koppla/", "foretag/nytt/", "foretag/byt/", "foretag/", "foretag/avtal/",
    "", "statistik/", "arenden/nytt/", "arenden/nytt/plan/", "arenden/<int:claim_id>/",
    "arenden/<int:claim_id>/aterkalla/", "arenden/<int:claim_id>/meddelanden/",
    "arenden/<int:claim_id>/betalning/",
    "arenden/<int:claim_id>/fakturor/<int:invoice_id>/pdf/", "import/",
    "import/<int:import_id>/", "import/<int:import_id>/bekrafta/",
    "e-faktura/", "e-faktura/<str:batch>/", "e-faktura/<str:batch>/bekrafta/",
    "import/<int:import_id>/status/", "beslut/", "beslut/<int:claim_id>/",
    "beslut/avbetalningsplan/<int:plan_id>/", "bestridanden/",
    "bestridanden/bilagor/<int:attachment_id>/", "bestridanden/<int:dispute_id>/",
    "arenden/<int:claim_id>/brev/<int:letter_id>/pdf/", "brev/",
    "brev/exempel/paminnelse.pdf", "brev/exempel/inkassokrav.pdf", "avrakningar/",
    "avrakningar/<int:settlement_id>/pdf/", "betalningar/",
}

# Management routes and the methods an ordinary user (bob) is refused.
MANAGE_METHODS = {
    "anvandare/": ("post",),                       # invite a user
    "anvandare/<int:membership_id>/ta-bort/": ("post",),
    "api-nycklar/": ("get", "post"),
    "api-nycklar/<int:key_id>/aterkalla/": ("post",),
    "foretag/bankgiro/": ("get", "post"),           # the payout account
    "foretag/kravpolicy/": ("post",),
    "foretag/partner/<int:grant_id>/aterkalla/": ("post",),  # revoke a partner's access
    # Webhooks: every member sees the endpoints and their log; managers change them.
    "foretag/webhooks/": ("post",),                  # add an endpoint
    "foretag/webhooks/<int:endpoint_id>/": ("post",),  # change it
    "foretag/webhooks/<int:endpoint_id>/ny-hemlighet/": ("post",),
    "foretag/webhooks/<int:endpoint_id>/testa/": ("post",),
    "foretag/webhooks/<int:endpoint_id>/ta-bort/": ("post",),
    "foretag/webhooks/leveranser/<int:delivery_id>/skicka-igen/": ("post",),
}

DEBTOR_ROUTES = {
    "mitt-arende/arenden/", "mitt-arende/arenden/<int:claim_id>/",
    "mitt-arende/arenden/<int:claim_id>/brev/<int:letter_id>/pdf/",
    "mitt-arende/arenden/<int:claim_id>/redan-betalat/",
    "mitt-arende/arenden/<int:claim_id>/meddelande/",
    "mitt-arende/arenden/<int:claim_id>/bestrid/",
    "mitt-arende/arenden/<int:claim_id>/avbetalningsplan/",
    "mitt-arende/arenden/<int:claim_id>/swish/",
    "mitt-arende/arenden/<int:claim_id>/swish/<str:instruction_id>/",
    "mitt-arende/arenden/<int:claim_id>/swish/<str:instruction_id>/status/",
    "mitt-arende/arenden/<int:claim_id>/kort/",
    "mitt-arende/arenden/<int:claim_id>/kort/<str:instruction_id>/",
    "mitt-arende/arenden/<int:claim_id>/kort/<str:instruction_id>/status/",
    "mitt-arende/arenden/<int:claim_id>/trustly/",
    "mitt-arende/arenden/<int:claim_id>/trustly/<str:instruction_id>/",
    "mitt-arende/arenden/<int:claim_id>/trustly/<str:instruction_id>/status/",
}

API_ROUTES = {
    "api/v1/claims", "api/v1/claims/<id>", "api/v1/claims/<id>/ledger",
    "api/v1/claims/<id>/letters/<letter_id>/pdf", "api/v1/claims/<id>/withdraw",
    "api/v1/claims/<id>/payments", "api/v1/claims/peppol",
    "api/v1/partner/onboardings", "api/v1/partner/onboardings/<id>", "api/v1/partner/creditors",
    "api/v1/webhooks", "api/v1/webhooks/<id>",  # webhook endpoints (webhooks.api)
}

# allauth's views (account.urls, mfa.urls): login, signup and password reset are public by
# design; the rest (e-mail, password change, 2FA) send an anonymous visitor to the login.
ACCOUNT_ROUTES = {
    "konto/login/", "konto/logout/", "konto/inactive/", "konto/signup/",
    "konto/reauthenticate/", "konto/email/", "konto/confirm-email/",
    "konto/password/change/", "konto/password/set/", "konto/password/reset/",
    "konto/login/code/confirm/", "konto/^confirm-email/(?P<key>[-:\\w]+)/$",
    "konto/password/reset/key/done/",
    "konto/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
    "konto/password/reset/done/", "konto/2fa/", "konto/2fa/authenticate/",
    "konto/2fa/reauthenticate/", "konto/2fa/totp/activate/", "konto/2fa/totp/deactivate/",
    "konto/2fa/recovery-codes/", "konto/2fa/recovery-codes/generate/",
    "konto/2fa/recovery-codes/download/",
}

EXPLICIT = {
    **{route: PUBLIC for route in PUBLIC_ROUTES},
    **{route: CALLBACK for route in CALLBACK_ROUTES},
    **{route: PORTAL for route in PORTAL_ROUTES},
    **{route: MANAGE for route in MANAGE_METHODS},
    **{route: DEBTOR for route in DEBTOR_ROUTES},
    **{route: API for route in API_ROUTES},
    **{route: ACCOUNT for route in ACCOUNT_ROUTES},
}

PARAM = re.compile(r"<(?:(\w+):)?(\w+)>|\(\?P<(\w+)>[^)]*(?:\([^)]*\)[^)]*)*\)")


def all_routes(patterns=None, prefix=""):
    """Every route as its pattern text, e.g. ``arenden/<int:claim_id>/``, with the callback."""
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from all_routes(p.url_patterns, route)
        elif isinstance(p, URLPattern):
            yield route, p


def kind_of(route: str) -> str | None:
    if route in EXPLICIT:
        return EXPLICIT[route]
    for prefix, kind in PREFIXES:
        if route.startswith(prefix):
            return kind
    return None


def routes_of(*kinds):
    """The routes of these kinds (deduplicated: the API has two views on one path)."""
    seen = []
    for route, _pattern in all_routes():
        if kind_of(route) in kinds and route not in seen:
            seen.append(route)
    return seen


def param_names(route: str) -> list[str]:
    return [m.group(2) or m.group(3) for m in PARAM.finditer(route)]


# Parameters of the admin's and allauth's routes: any value will do, nothing is anyone's.
FILLER = {"object_id": "1", "content_type_id": "1", "pk": "1", "url": "nowhere",
          "app_label": "claims", "kind": "reminder", "part": "x", "key": "x-y",
          "uidb36": "1", "grant_id": "1"}


def fill(route: str, ids: dict) -> str:
    def sub(match):
        name = match.group(2) or match.group(3)
        if name in ids:
            return str(ids[name])
        if name in FILLER:
            return FILLER[name]
        raise AssertionError(f"{route}: no value for '{name}'; add it to the security suite")
    path = PARAM.sub(sub, route)
    return "/" + path.replace("^", "").replace("$", "")
