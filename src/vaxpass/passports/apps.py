from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PassportsConfig(AppConfig):
    name = "vaxpass.passports"
    verbose_name = _("Signing and passports")

    def ready(self) -> None:
        from vaxpass.passports import invalidation

        invalidation.connect()
