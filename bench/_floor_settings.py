"""The platform's settings with `_floor_urls` as the URLconf: what `bench/record_doses.py`
serves to measure the Django floor of a dose request. With VAXPASS_FLOOR_MIDDLEWARE=none,
also without any middleware: the floor of Django and django-ninja themselves."""

import os

from vaxpass.settings import *  # noqa: F403

ROOT_URLCONF = "_floor_urls"
if os.environ.get("VAXPASS_FLOOR_MIDDLEWARE") == "none":
    MIDDLEWARE: list[str] = []
