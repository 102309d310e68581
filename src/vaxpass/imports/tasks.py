"""Background work of imports, run by `vaxpass db_worker` processes."""

from django_tasks import task

from vaxpass.imports.models import ImportBatch, ImportStatus


@task()
def run_import(batch_id: int) -> str:
    """Check the batch, then load it if it may be loaded (clean, or valid-rows mode). A
    batch already checked (a resumed or restarted load) is not checked again."""
    from vaxpass.imports.services import check_batch, load_batch

    batch = ImportBatch.objects.get(pk=batch_id)
    if batch.status in (ImportStatus.UPLOADED, ImportStatus.CHECKING):
        check_batch(batch)
    if batch.loadable and not batch.cancel_requested:
        load_batch(batch)
    return batch.status
