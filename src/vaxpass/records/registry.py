"""The configured population-registry adapter (settings.REGISTRY_URL)."""

from functools import cache

from django.conf import settings
from django.db import connection

from vaxpass.adapters.registry import PopulationRegistry, SqlRegistry


@cache
def _registry_for(url: str) -> SqlRegistry:
    if url.startswith("sqlite:"):
        return SqlRegistry.sqlite_file(url.removeprefix("sqlite:"))
    if url.startswith("schema:"):
        # A schema of the main PostgreSQL database, through Django's own connection.
        return SqlRegistry(
            lambda: connection,
            dialect="postgresql",
            schema=url.removeprefix("schema:"),
            shared=True,
        )
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        return SqlRegistry(lambda: psycopg.connect(url), dialect="postgresql", schema="registry")
    raise ValueError(f"REGISTRY_URL: unsupported {url!r}")


def get_registry() -> PopulationRegistry:
    return _registry_for(settings.REGISTRY_URL)


def registry_admin() -> SqlRegistry:
    """The default adapter itself, for loading exports (not part of the interface)."""
    return _registry_for(settings.REGISTRY_URL)
