"""Background work of cleaning, run by `vaxpass db_worker` processes."""

import time

from django.db import transaction
from django_tasks import task

# One job runs at most this long, then hands over to a new one (so a big backlog never
# holds a worker for hours and a stopped worker loses little).
JOB_SECONDS = 50


@task()
def clean_new_doses() -> int:
    """Clean pending doses (recorded, no current decision) chunk by chunk until none is
    left; returns the number of decisions stored."""
    from vaxpass.cleaning.incremental import clean_pending

    stored = 0
    deadline = time.monotonic() + JOB_SECONDS
    while True:
        claimed, result = clean_pending()
        stored += result.applied
        if claimed == 0 or result.applied + result.skipped == 0:
            return stored  # nothing left, or only doses the engine fails on
        if time.monotonic() > deadline:
            request_cleaning(force=True)
            return stored


def _job_waiting() -> bool:
    """Whether a cleaning job is queued and not started yet: it will see every dose
    committed before it starts, so no second one is needed."""
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # another backend: enqueue every time
        return False
    return DBTaskResult.objects.filter(
        status="READY", task_path=clean_new_doses.module_path
    ).exists()


def request_cleaning(*, force: bool = False) -> None:
    """Have pending doses cleaned soon, once the current transaction commits (so the job
    sees them; in a test's rolled-back transaction nothing is enqueued)."""

    def enqueue() -> None:
        if force or not _job_waiting():
            clean_new_doses.enqueue()

    transaction.on_commit(enqueue)
