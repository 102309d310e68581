"""The JSON API: bearer tokens for facility software, or a staff session (with CSRF)."""

import time

from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.security import HttpBearer, django_auth

from vaxpass.accounts.models import ApiToken, User

# Facility software sends many requests a second with the same token: its user is kept
# for a few seconds per process instead of being read from the database every time. A
# token revoked (or an account disabled) elsewhere stops working within TOKEN_CACHE_SECONDS;
# in this process at once (signal below).
TOKEN_CACHE_SECONDS = 15
_tokens: dict[str, tuple[float, object]] = {}


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        digest = ApiToken.hash(token)
        cached = _tokens.get(digest)
        now = time.monotonic()
        if cached and cached[0] > now:
            return cached[1]
        found = (
            ApiToken.objects.select_related("user", "user__facility")
            .filter(digest=digest, revoked=False, user__is_active=True)
            .first()
        )
        user = found.user if found else None
        if user is not None:
            if len(_tokens) > 10_000:
                _tokens.clear()
            _tokens[digest] = (now + TOKEN_CACHE_SECONDS, user)
        return user


@receiver(post_save, sender=ApiToken)
@receiver(post_save, sender=User)
def _forget_tokens(sender, **kwargs) -> None:
    _tokens.clear()


api = NinjaAPI(
    title="vaxpass API",
    version="1",
    description="Record vaccine doses and read them within your place scope.",
    auth=[TokenAuth(), django_auth],
    urls_namespace="api",
)
api.add_router("/", "vaxpass.records.api.router")
