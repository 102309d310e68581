"""Import batches: one uploaded file of retrospective doses (hồi cứu), its commitment
document, every problem found in it, and how far loading got.

Progress (`rows_done`) is committed in the same transaction as the doses of each chunk,
so after a crash the batch says exactly which rows are in; loading resumes from there.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from vaxpass.places.models import Facility


class ImportMode(models.TextChoices):
    ALL_OR_NOTHING = "all", _("load nothing until the whole file is clean")
    VALID_ROWS = "valid", _("load the valid rows, return the others")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("uploaded")
    CHECKING = "checking", _("checking")
    CHECKED = "checked", _("checked")
    LOADING = "loading", _("loading")
    LOADED = "loaded", _("loaded")
    CANCELLED = "cancelled", _("cancelled")
    FAILED = "failed", _("failed")


class ImportBatch(models.Model):
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    facility = models.ForeignKey(
        Facility,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="import_batches",
        help_text=_("The uploader's facility; empty for an area manager's or national upload."),
    )
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64, db_index=True)
    commitment = models.FileField(
        _("signed commitment"), upload_to="imports/commitments/%Y/%m/", blank=True
    )
    mode = models.CharField(
        _("mode"), max_length=5, choices=ImportMode.choices, default=ImportMode.ALL_OR_NOTHING
    )
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    total_rows = models.PositiveIntegerField(default=0)
    error_rows = models.PositiveIntegerField(default=0)
    warning_rows = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(
        default=0, help_text=_("Rows loaded or skipped so far.")
    )
    loaded_rows = models.PositiveIntegerField(default=0)
    existing_rows = models.PositiveIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    failure = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.original_name}"

    @property
    def loadable(self) -> bool:
        """Checked, and either clean or set to load the valid rows."""
        return self.status in (
            ImportStatus.CHECKED,
            ImportStatus.LOADING,
            ImportStatus.CANCELLED,
        ) and (self.error_rows == 0 or self.mode == ImportMode.VALID_ROWS)

    @property
    def progress_percent(self) -> int:
        if self.status in (ImportStatus.LOADED,):
            return 100
        valid = self.total_rows - (self.error_rows if self.mode == ImportMode.VALID_ROWS else 0)
        return int(100 * self.rows_done / valid) if valid else 0


class ImportProblem(models.Model):
    """A problem with one cell (or a whole row) of a batch. The message is kept as its
    untranslated template and parameters, shown in the reader's language."""

    batch = models.ForeignKey(ImportBatch, models.CASCADE, related_name="problems")
    line = models.PositiveIntegerField()
    column = models.CharField(max_length=20, blank=True)
    code = models.CharField(max_length=40)
    template = models.CharField(max_length=300)
    params = models.JSONField(default=dict)
    severity = models.CharField(max_length=7, default="error")  # error, warning, repair

    class Meta:
        ordering = ["line", "id"]
        indexes = [models.Index(fields=["batch", "line"])]


class LoadProgress(models.Model):
    """How far the load of one part of a batch got. The check splits a large file into
    parts by person (all rows of one person in one part) that load side by side; each chunk
    commits its doses with its part's last line and the batch's counts."""

    batch = models.ForeignKey(ImportBatch, models.CASCADE, related_name="load_parts")
    part = models.PositiveSmallIntegerField()
    last_line = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["batch", "part"], name="load_progress_part")]
