"""Swedish first: the language is Swedish unless the user picked another one.

Django's LocaleMiddleware would follow the browser's Accept-Language, so a Swedish company owner
with an English browser would get English pages. Here only the explicit choice (the language
cookie set by the switch in the header) counts.
"""

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
