from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "vaxpass.portal"
    verbose_name = "Public pages"
