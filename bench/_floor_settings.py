"""The platform's settings with `_floor_urls` as the URLconf: what `bench/record_doses.py`
serves to measure the Django floor of a dose request."""

from vaxpass.settings import *  # noqa: F403

ROOT_URLCONF = "_floor_urls"
