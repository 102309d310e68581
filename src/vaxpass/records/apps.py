from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    name = "vaxpass.records"
    verbose_name = _("People and doses")

    def ready(self) -> None:
        from vaxpass.records import audit

        audit.connect()
