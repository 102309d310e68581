"""Site-wide middleware."""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class VietnameseByDefaultLocaleMiddleware(LocaleMiddleware):
    """Vietnamese unless the user chose English (language cookie, set by the switcher).

    Django's own middleware would follow the browser's Accept-Language header, and the
    old facility computers this is made for mostly run English Windows: their nurses
    would get English without asking for it.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
