"""Signals between areas that must not import each other.

`doses_verified` is sent (by cleaning) when doses become "verified", after the change is
committed: signing listens to apply facility heads' standing rules. Arguments:
`dose_ids` (list of ints).

`doses_recorded` is sent by writers that store new doses without the ORM's post_save
(the direct single-dose path on PostgreSQL): cleaning listens to clean them soon.
Arguments: `dose_ids` (list of ints)."""

from django.dispatch import Signal

doses_verified = Signal()
doses_recorded = Signal()
