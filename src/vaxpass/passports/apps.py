from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PassportsConfig(AppConfig):
    name = "vaxpass.passports"
    verbose_name = _("Signing and passports")

    def ready(self) -> None:
        from vaxpass.passports import invalidation
        from vaxpass.passports.issuing import certified_doses
        from vaxpass.records import stages

        invalidation.connect()
        stages.register_certified(certified_doses)
