"""What cleaning knows about each dose: the runs, the decisions (one current per dose,
older ones kept as history), the review items of the two queues, the corrections applied
(with what they replaced, so they can be undone), merge proposals, and the filled review
lists officers upload.

The dose itself keeps its identity as captured (records.Dose.captured_*); a link changes
only its ``registry_id``, its person and its status, and a correction changes the
vaxpass Person it belongs to. Both are written down here, before and after.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vaxpass.places.models import Division
from vaxpass.records.models import Dose, Person


class RunKind(models.TextChoices):
    BATCH = "batch", _("batch")
    INCREMENTAL = "incremental", _("incremental")


class RunStatus(models.TextChoices):
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class CleaningRun(models.Model):
    kind = models.CharField(_("kind"), max_length=12, choices=RunKind.choices)
    status = models.CharField(
        _("status"), max_length=8, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    policy_version = models.CharField(_("policy version"), max_length=60)
    model_version = models.CharField(
        _("model version"), max_length=60, blank=True, help_text=_("Empty: stage 1 only.")
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    doses_total = models.PositiveIntegerField(default=0)
    doses_done = models.PositiveIntegerField(default=0)
    # Doses another run or a person decided between the export and the write-back.
    doses_skipped = models.PositiveIntegerField(default=0)
    decisions = models.JSONField(default=dict, blank=True)  # decision -> count
    reasons = models.JSONField(default=dict, blank=True)  # reason code -> count
    seconds = models.JSONField(default=dict, blank=True)  # phase -> seconds
    failure = models.TextField(blank=True)

    class Meta:
        verbose_name = _("cleaning run")
        indexes = [models.Index(fields=["kind", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def progress(self) -> float:
        return self.doses_done / self.doses_total if self.doses_total else 1.0


class Outcome(models.TextChoices):
    """The engine's decisions (vaxpass.core.matching.Decision), as stored."""

    VERIFIED = "verified", _("verified")
    CORRECTED = "corrected", _("corrected to the registry")
    LINKED = "linked", _("linked by probable match")
    REVIEW = "review", _("in review")
    NOT_FOUND = "not_found", _("not found in the registry")


LINK_OUTCOMES = (Outcome.VERIFIED, Outcome.CORRECTED, Outcome.LINKED)


class Method(models.TextChoices):
    """Who or what decided."""

    BATCH = "batch", _("batch run")
    INCREMENTAL = "incremental", _("incremental run")
    REVIEWER = "reviewer", _("reviewer")
    SPREADSHEET = "spreadsheet", _("reviewer, offline list")
    UNDO = "undo", _("undo")


MACHINE_METHODS = (Method.BATCH, Method.INCREMENTAL)


# Indexes: a foreign key's own index is left out where a composite index starts with it,
# and a key to a user is indexed only where set (the machine's decisions, millions of
# rows, have none), so a batch run writes fewer index entries per dose.
def _where_set(field: str, name: str) -> models.Index:
    return models.Index(fields=[field], condition=Q(**{f"{field}__isnull": False}), name=name)


class CleaningDecision(models.Model):
    dose = models.ForeignKey(
        Dose, models.CASCADE, related_name="cleaning_decisions", db_index=False
    )
    run = models.ForeignKey(
        CleaningRun, models.SET_NULL, null=True, blank=True, related_name="dose_decisions"
    )
    current = models.BooleanField(default=True)
    decision = models.CharField(_("decision"), max_length=10, choices=Outcome.choices)
    stage = models.PositiveSmallIntegerField(
        _("stage"), default=1, help_text=_("1: by ID; 2: probabilistic; 0: a person decided.")
    )
    citizen_id = models.CharField(_("linked citizen ID"), max_length=12, blank=True)
    candidate_id = models.CharField(_("proposed citizen ID"), max_length=12, blank=True)
    probability = models.FloatField(null=True, blank=True)
    reasons = models.JSONField(default=list, blank=True)  # reason codes, stage 1 first
    # Best first: {citizen_id, probability, match_weight, birth_date_level, holder,
    # registry: {full_name, birth_date, sex, phone, ward_code, old_id_number, household_id}}
    candidates = models.JSONField(default=list, blank=True)
    corrections = models.JSONField(default=list, blank=True)  # [{field, captured, registry}]
    merge_with = models.JSONField(default=list, blank=True)  # dose ids, same person and day
    policy_version = models.CharField(max_length=60, blank=True)
    model_version = models.CharField(max_length=60, blank=True)
    method = models.CharField(_("decided by"), max_length=12, choices=Method.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        db_index=False,
    )  # fmt: skip
    decided_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("cleaning decision")
        constraints = [
            models.UniqueConstraint(
                fields=["dose"], condition=Q(current=True), name="cleaning_one_current_decision"
            )
        ]
        indexes = [
            models.Index(fields=["dose", "-decided_at"], name="cleaning_decision_dose"),
            _where_set("decided_by", "cleaning_decision_by"),
        ]

    def __str__(self) -> str:
        return f"{self.dose_id}: {self.decision}"

    @property
    def best_candidate(self) -> dict | None:
        return self.candidates[0] if self.candidates else None


class Queue(models.TextChoices):
    STATION = "station", _("ward health station")
    POLICE = "police", _("ward police")


class ItemStatus(models.TextChoices):
    OPEN = "open", _("open")
    RESOLVED = "resolved", _("resolved")


class ReviewItem(models.Model):
    """A dose waiting for a person's decision, in one queue of one ward (current
    structure). At most one open item per dose."""

    dose = models.ForeignKey(Dose, models.CASCADE, related_name="review_items")
    decision = models.ForeignKey(CleaningDecision, models.CASCADE, related_name="+")
    queue = models.CharField(_("queue"), max_length=8, choices=Queue.choices)
    ward = models.ForeignKey(
        Division, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("ward")
    )
    status = models.CharField(
        _("status"), max_length=8, choices=ItemStatus.choices, default=ItemStatus.OPEN
    )
    opened_at = models.DateTimeField(default=timezone.now)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )  # set when sent over from the other queue
    note = models.CharField(_("note"), max_length=500, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolution = models.ForeignKey(
        CleaningDecision, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("review item")
        constraints = [
            models.UniqueConstraint(
                fields=["dose"], condition=Q(status="open"), name="cleaning_one_open_item"
            )
        ]
        indexes = [models.Index(fields=["queue", "ward", "status"], name="cleaning_item_queue")]

    def __str__(self) -> str:
        return f"{self.queue} {self.ward_id} dose {self.dose_id} ({self.status})"


class Correction(models.Model):
    """A link applied to a dose: the dose's person, registry link and status before and
    after, and each identity field of the person aligned to the registry (captured value,
    registry value, value before). Undoing puts the before values back."""

    dose = models.ForeignKey(
        Dose, models.CASCADE, related_name="cleaning_corrections", db_index=False
    )
    decision = models.ForeignKey(CleaningDecision, models.CASCADE, related_name="applied")
    citizen_id = models.CharField(max_length=12)
    person_before = models.ForeignKey(Person, models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, models.PROTECT, related_name="+")
    person_created = models.BooleanField(default=False)
    registry_id_before = models.CharField(max_length=12, blank=True)
    status_before = models.CharField(max_length=10)
    person_registry_id_before = models.CharField(max_length=12, blank=True)
    # [{field, captured, registry, before, after}] for the fields of `person` changed
    changes = models.JSONField(default=list, blank=True)
    method = models.CharField(max_length=12, choices=Method.choices)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        db_index=False,
    )  # fmt: skip
    applied_at = models.DateTimeField(default=timezone.now)
    why = models.CharField(_("why"), max_length=500, blank=True)  # reason codes or a note
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        db_index=False,
    )  # fmt: skip
    undo_note = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("correction")
        indexes = [
            models.Index(fields=["dose", "-applied_at"], name="cleaning_correction_dose"),
            _where_set("applied_by", "cleaning_correction_by"),
            _where_set("undone_by", "cleaning_correction_undone_by"),
        ]

    def __str__(self) -> str:
        return f"dose {self.dose_id} -> {self.citizen_id}"


class MergeStatus(models.TextChoices):
    OPEN = "open", _("proposed")
    DISMISSED = "dismissed", _("not the same dose")
    MERGED = "merged", _("merged")


class MergeProposal(models.Model):
    """Two doses of the same person on the same day at two sites (dose id < other id)."""

    dose = models.ForeignKey(Dose, models.CASCADE, related_name="+")
    other = models.ForeignKey(Dose, models.CASCADE, related_name="+")
    citizen_id = models.CharField(max_length=12)
    run = models.ForeignKey(CleaningRun, models.SET_NULL, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=10, choices=MergeStatus.choices, default=MergeStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("merge proposal")
        constraints = [
            models.UniqueConstraint(fields=["dose", "other"], name="cleaning_merge_pair"),
            models.CheckConstraint(
                condition=Q(dose__lt=models.F("other")), name="cleaning_merge_order"
            ),
        ]


class ReviewUpload(models.Model):
    """A filled review list uploaded back: the same file twice is recognised by its hash."""

    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    file_name = models.CharField(max_length=200, blank=True)
    rows = models.PositiveIntegerField(default=0)
    applied = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True)  # [{line, column, code, message}]

    class Meta:
        verbose_name = _("uploaded review list")
        indexes = [models.Index(fields=["uploaded_by", "sha256"], name="cleaning_upload_hash")]
