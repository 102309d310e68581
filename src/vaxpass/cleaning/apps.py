from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CleaningConfig(AppConfig):
    name = "vaxpass.cleaning"
    verbose_name = _("Cleaning")

    def ready(self) -> None:
        from vaxpass.cleaning import hooks

        hooks.connect()
