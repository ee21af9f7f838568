"""ekrav's own middleware: the request id, the page language, and the Content-Security-Policy.

Swedish first: the language is Swedish unless the user picked another one. Django's
LocaleMiddleware would follow the browser's Accept-Language, so a Swedish company owner with an
English browser would get English pages. Here only the explicit choice (the language cookie set
by the switch in the header) counts.
"""

import re
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.signals import request_finished
from django.dispatch import receiver
from django.utils import translation

from ekrav.logging import set_request_id
from ekrav.memo import memo_close, memo_open

# An id the proxy in front (nginx's $request_id, a load balancer's) may hand over: a token of
# plain characters, so that a client cannot write newlines or markup into the logs through it.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+/=-]{7,127}")


class RequestIdMiddleware:
    """Every request's id: the proxy's ``X-Request-ID`` when it is a sane token, else a new
    one. It is on the response (``X-Request-ID``, which gunicorn's access line reads) and on
    every log line written while the request runs (ekrav.logging), so a user's "it failed at
    10:42" leads to all of that request's lines. First in MIDDLEWARE, so that it covers all.

    The id stays set until the response is closed (``request_finished``), not only while the
    middleware runs: Django logs a 4xx/5xx response (django.request) after the middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        offered = request.headers.get("X-Request-ID", "")
        request.request_id = (offered if _SANE_REQUEST_ID.fullmatch(offered)
                              else uuid.uuid4().hex)
        set_request_id(request.request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


@receiver(request_finished)
def _forget_request_id(**kwargs):
    set_request_id("")


class RequestMemoMiddleware:
    """The request's memo (ekrav.memo): what a page reads many times over, read once. Around
    the view and the rendering of its response (a TemplateResponse renders inside)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = memo_open()
        try:
            return self.get_response(request)
        finally:
            memo_close(token)


class LanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class ContentSecurityPolicyMiddleware:
    """A strict Content-Security-Policy on every HTML page, in development too (so that the
    browser tests catch a page that breaks it): scripts, styles, fonts and images only from
    ekrav itself, no inline script or style, never framed.

    Forms may post to ekrav itself and to the payment providers the card and Trustly forms are
    redirected to (browsers check form-action against the redirect target too); SITE_URL is
    listed for the simulators' pages, which send the payer back there. The admin alone gets
    inline styles: Django's own change list has a ``<style>`` block, and templates/admin/ uses
    style attributes. Never inline scripts, anywhere.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (response.get("Content-Type", "").startswith("text/html")
                and "Content-Security-Policy" not in response):
            admin = request.path_info.startswith("/admin/")
            response["Content-Security-Policy"] = content_security_policy(admin=admin)
        return response


def content_security_policy(*, admin: bool = False) -> str:
    # Read per response, not once: settings (and the tests' overrides) name the providers.
    form_targets = ["'self'", *sorted({
        origin for url in (settings.SITE_URL, settings.CARD_BASE_URL, settings.TRUSTLY_BASE_URL)
        if (origin := _origin(url))})]
    style = "'self' 'unsafe-inline'" if admin else "'self'"
    return "; ".join([
        "default-src 'self'", "script-src 'self'", f"style-src {style}",
        "img-src 'self' data:", "font-src 'self'", "connect-src 'self'",
        "frame-ancestors 'none'", f"form-action {' '.join(form_targets)}",
        "base-uri 'none'", "object-src 'none'",
    ])


def _origin(url: str) -> str:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
