"""ekrav's own middleware: the page language, and the Content-Security-Policy.

Swedish first: the language is Swedish unless the user picked another one. Django's
LocaleMiddleware would follow the browser's Accept-Language, so a Swedish company owner with an
English browser would get English pages. Here only the explicit choice (the language cookie set
by the switch in the header) counts.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.utils import translation


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
