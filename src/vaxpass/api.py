"""The JSON API: bearer tokens for facility software, or a staff session (with CSRF)."""

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.security import HttpBearer, django_auth

from vaxpass.accounts.models import ApiToken


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        found = (
            ApiToken.objects.select_related("user", "user__facility")
            .filter(digest=ApiToken.hash(token), revoked=False, user__is_active=True)
            .first()
        )
        return found.user if found else None


api = NinjaAPI(
    title="vaxpass API",
    version="1",
    description="Record vaccine doses and read them within your place scope.",
    auth=[TokenAuth(), django_auth],
    urls_namespace="api",
)
api.add_router("/", "vaxpass.records.api.router")
