"""People as registered for vaccination, their registrations, the doses given, and the
append-only audit log.

A dose keeps the identity exactly as captured at the site (captured_*), separate from the
population-registry person it is later linked to (registry_id): cleaning may correct the
link, never the evidence.
"""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Concat
from django.utils.translation import gettext_lazy as _

from vaxpass.places.models import Division, Facility, Located


class Sex(models.TextChoices):
    MALE = "M", _("male")
    FEMALE = "F", _("female")


class Registration(models.Model):
    """One registration, possibly for several people (a family or group) under one phone.
    The phone is contact information, never identity."""

    phone = models.CharField(_("contact phone"), max_length=15, db_index=True)
    channel = models.CharField(
        max_length=10,
        choices=[
            ("portal", _("registration portal")),
            ("facility", _("at a facility")),
            ("import", _("import")),
        ],
        default="facility",
    )
    facility = models.ForeignKey(
        Facility,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="registrations",
        verbose_name=_("chosen vaccination site"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"#{self.pk} {self.phone}"


class Person(Located):
    """A vaccinee as known to vaxpass. Birth dates are ISO text, full (1957-03-04) or
    year only (1957), as the registry itself keeps them."""

    registration = models.ForeignKey(
        Registration, models.SET_NULL, null=True, blank=True, related_name="people"
    )
    citizen_id = models.CharField(_("citizen ID"), max_length=12, blank=True)
    old_id_number = models.CharField(_("old ID card number (CMND)"), max_length=9, blank=True)
    full_name = models.CharField(_("full name"), max_length=120)
    search_name = models.CharField(max_length=120, editable=False)
    birth_date = models.CharField(_("date of birth"), max_length=10)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    phone = models.CharField(_("phone"), max_length=15, blank=True)
    address = models.CharField(_("address"), max_length=250, blank=True)
    registry_id = models.CharField(
        _("registry person"),
        max_length=12,
        blank=True,
        help_text=_("Citizen ID of the population-registry person this person is linked to."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Who a dose is about when recognising one already stored (core.dose_rows.identity_key):
    # the ID if any, else name key and birth date. Computed by the database on every write,
    # whatever the path (ORM, bulk insert, COPY), so bulk loads find a person by one
    # indexed equality.
    identity_key = models.GeneratedField(
        expression=Case(
            When(~Q(citizen_id=""), then=F("citizen_id")),
            When(~Q(old_id_number=""), then=F("old_id_number")),
            default=Concat(F("search_name"), Value("|"), F("birth_date")),
        ),
        output_field=models.CharField(max_length=131),
        db_persist=True,
    )

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        # Plain indexes, not db_index: on PostgreSQL that adds a second (LIKE) index to
        # every text column, which no query here uses and every insert pays for.
        indexes = [
            models.Index(fields=["citizen_id"], name="person_citizen_id"),
            models.Index(fields=["search_name"], name="person_search_name"),
            models.Index(fields=["phone"], name="person_phone"),
            models.Index(fields=["registry_id"], name="person_registry_id"),
            models.Index(fields=["identity_key"], name="person_identity_key"),
            # Old ID cards: the look-up of a CMND row (most people have none).
            models.Index(
                fields=["old_id_number"], condition=~Q(old_id_number=""), name="person_old_id"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.birth_date})"

    @classmethod
    def from_identity(cls, identity, *, address: str = "", **extra) -> "Person":
        """A new person from a cleaned identity (anything with citizen_id, old_id_number,
        full_name, birth_date, sex and phone), its search key filled in."""
        from vaxpass.core.identity import name_key

        return cls(
            citizen_id=identity.citizen_id, old_id_number=identity.old_id_number,
            full_name=identity.full_name, search_name=name_key(identity.full_name),
            birth_date=identity.birth_date, sex=identity.sex, phone=identity.phone,
            address=address.strip()[:250], **extra,
        )  # fmt: skip


class DoseSource(models.TextChoices):
    LIVE = "live", _("recorded live")
    IMPORT = "import", _("retrospective import")


class DoseStatus(models.TextChoices):
    """What is stored of a dose's place in the pipeline."""

    RECORDED = "recorded", _("recorded")
    VERIFIED = "verified", _("verified")
    SIGNED = "signed", _("signed")


class DoseStage(models.TextChoices):
    """The pipeline as users see it: the stored status, then "certified", derived (a
    signed dose its person's valid passport holds; `records.stages`)."""

    RECORDED = "recorded", _("recorded")
    VERIFIED = "verified", _("verified")
    SIGNED = "signed", _("signed")
    CERTIFIED = "certified", _("certified")


# Short labels for the codes of the dose rules' findings kept in Dose.flags.
FLAG_LABELS = {
    "interval_too_short": _("interval too short"),
    "dose_number_gap": _("an earlier dose is missing"),
    "dose_number_taken": _("dose number already recorded"),
    "dose_number_order": _("dose numbers out of date order"),
    "dose_number_too_low": _("dose number too low"),
    "dose_number_out_of_range": _("dose number out of range"),
    "same_day_duplicate": _("another dose on the same day"),
    "in_future": _("date in the future"),
    "before_first_use": _("date before the vaccine was in use"),
    "unknown_product": _("unknown vaccine"),
}


class Dose(models.Model):
    # No index of their own: the (person, given_on) and (facility, given_on) ones serve.
    person = models.ForeignKey(Person, models.PROTECT, related_name="doses", db_index=False)
    # The identity as captured at the site, kept unchanged.
    captured_citizen_id = models.CharField(max_length=20, blank=True)
    captured_name = models.CharField(max_length=120)
    captured_birth_date = models.CharField(max_length=10)
    captured_sex = models.CharField(max_length=1, blank=True)
    captured_phone = models.CharField(max_length=15, blank=True)
    captured_address = models.CharField(max_length=250, blank=True)
    captured_ward = models.ForeignKey(
        Division, models.PROTECT, null=True, blank=True, related_name="+"
    )
    registry_id = models.CharField(max_length=12, blank=True)

    product = models.CharField(_("vaccine product"), max_length=40)
    lot = models.CharField(_("lot"), max_length=40, blank=True)
    given_on = models.DateField(_("date given"))
    dose_number = models.PositiveSmallIntegerField(_("dose number"))
    facility = models.ForeignKey(
        Facility, models.PROTECT, related_name="doses", verbose_name=_("facility"), db_index=False
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source = models.CharField(max_length=6, choices=DoseSource.choices, default=DoseSource.LIVE)
    status = models.CharField(
        max_length=10, choices=DoseStatus.choices, default=DoseStatus.RECORDED
    )
    flags = models.JSONField(default=list, blank=True)
    override_reason = models.CharField(max_length=250, blank=True)
    idempotency_key = models.CharField(max_length=80, null=True, blank=True)
    # Same person, product, day and facility (core.dose_rows.dedup_key): how a re-sent
    # import row or a dose typed twice is recognised.
    dedup_key = models.CharField(max_length=32, blank=True, editable=False)
    import_batch = models.ForeignKey(
        "imports.ImportBatch", models.PROTECT, null=True, blank=True, related_name="doses"
    )
    import_line = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("dose")
        constraints = [
            models.UniqueConstraint(
                fields=["entered_by", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="dose_idempotency_key",
            )
        ]
        indexes = [
            models.Index(fields=["facility", "-given_on"]),
            models.Index(fields=["person", "given_on"]),
            models.Index(fields=["status"]),
            models.Index(fields=["registry_id"], name="dose_registry_id"),
            models.Index(fields=["dedup_key"], name="dose_dedup_key"),
        ]

    def __str__(self) -> str:
        return f"{self.product} #{self.dose_number} {self.given_on}"

    def save(self, *args, **kwargs):
        if not self.dedup_key:
            self.dedup_key = self.compute_dedup_key()
        super().save(*args, **kwargs)

    def compute_dedup_key(self) -> str:
        from vaxpass.core.dose_rows import dedup_key, identity_key

        p = self.person
        who = identity_key(p.citizen_id, p.old_id_number, p.full_name, p.birth_date)
        given_on = (
            self.given_on if isinstance(self.given_on, date) else date.fromisoformat(self.given_on)
        )
        return dedup_key(who, self.product, given_on, self.facility.code)

    @property
    def product_name(self) -> str:
        from vaxpass.core.vaccines import get_product

        product = get_product(self.product)
        return product.vn_name if product else self.product

    @property
    def stage(self) -> str:
        """The status, or "certified" where the query said so (`records.stages`)."""
        if self.status == DoseStatus.SIGNED and getattr(self, "certified", False):
            return DoseStage.CERTIFIED
        return self.status

    def get_stage_display(self) -> str:
        return str(DoseStage(self.stage).label)

    @property
    def flag_labels(self) -> list[str]:
        return [str(FLAG_LABELS.get(code, code)) for code in self.flags]


class AuditEntry(models.Model):
    """Append-only: the database refuses UPDATE and DELETE on this table (migration 0002)."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,  # indexed where set, below: a batch run's entries have no actor
    )
    action = models.CharField(max_length=10)  # create, update, delete
    model = models.CharField(max_length=40)
    object_id = models.CharField(max_length=40)  # indexed with the model, below
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        indexes = [
            models.Index(fields=["model", "object_id"]),
            models.Index(fields=["actor"], condition=Q(actor__isnull=False), name="audit_by"),
        ]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("the audit log is append-only")
