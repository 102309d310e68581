"""Signals between areas that must not import each other.

`doses_verified` is sent (by cleaning) when doses become "verified", after the change is
committed: signing listens to apply facility heads' standing rules. Arguments:
`dose_ids` (list of ints)."""

from django.dispatch import Signal

doses_verified = Signal()
