"""When cleaning runs by itself: the triggers of the background job.

The job claims whatever is pending (recorded doses without a current decision), so a
trigger only needs to say "there may be something": a dose saved through the ORM (the
recording page, the single-dose API) or announced by ``doses_recorded`` (the same on
PostgreSQL), an import batch that finished loading, and, for
writers that send no signals at all (the batch API and bulk loads insert rows
directly), a sweep after a request, at most every ``SWEEP_SECONDS`` per process, that
asks whether anything is pending.
"""

import logging
import time

from django.core.signals import request_finished
from django.db.models.signals import post_save

from vaxpass.records.models import Dose, DoseStatus
from vaxpass.records.signals import doses_recorded

SWEEP_SECONDS = 10
_last_sweep = [0.0]
log = logging.getLogger(__name__)


def _dose_saved(sender, instance: Dose, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw and instance.status == DoseStatus.RECORDED:
        from vaxpass.cleaning.tasks import request_cleaning

        request_cleaning()


def _doses_recorded(sender, dose_ids, **kwargs) -> None:
    from vaxpass.cleaning.tasks import request_cleaning

    request_cleaning()


def _import_saved(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if not raw and getattr(instance, "status", "") == "loaded":
        from vaxpass.cleaning.tasks import request_cleaning

        request_cleaning()


def _sweep(sender, **kwargs) -> None:
    now = time.monotonic()
    if now - _last_sweep[0] < SWEEP_SECONDS:
        return
    _last_sweep[0] = now
    from vaxpass.cleaning.incremental import pending_doses
    from vaxpass.cleaning.tasks import request_cleaning

    try:
        if pending_doses().exists():
            request_cleaning()
    except Exception:  # best effort: the next sweep or trigger tries again
        log.debug("cleaning sweep skipped", exc_info=True)


def connect() -> None:
    post_save.connect(_dose_saved, sender=Dose, dispatch_uid="cleaning-new-dose")
    doses_recorded.connect(_doses_recorded, dispatch_uid="cleaning-doses-recorded")
    # By name: the imports app is a sibling this app must not import.
    post_save.connect(_import_saved, sender="imports.ImportBatch", dispatch_uid="cleaning-import")
    request_finished.connect(_sweep, dispatch_uid="cleaning-sweep")
