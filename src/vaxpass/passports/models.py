"""Keys as the platform knows them, facility signatures of doses, and the passports.

Private keys never come here: a `SignerKey` row names a key in the key store (files or a
hardware module) and holds its public certificate.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vaxpass.places.models import Facility
from vaxpass.records.models import Dose, Person


class KeyPurpose(models.TextChoices):
    NATIONAL_CA = "ca", _("national signing CA")
    DOCUMENT_SIGNER = "dsc", _("central document signer")
    LIST_SIGNER = "lists", _("trust list signer")
    FACILITY = "facility", _("facility signing key")


class SignerKey(models.Model):
    label = models.CharField(_("key label"), max_length=64, unique=True)
    purpose = models.CharField(_("purpose"), max_length=10, choices=KeyPurpose.choices)
    facility = models.ForeignKey(
        Facility, models.PROTECT, null=True, blank=True, related_name="signer_keys"
    )
    kid = models.CharField(_("key identifier"), max_length=16, unique=True)  # hex of 8 bytes
    certificate = models.BinaryField(_("certificate (DER)"))
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    active = models.BooleanField(_("in use for new signatures"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("signing key")
        indexes = [models.Index(fields=["purpose", "active"])]

    def __str__(self) -> str:
        return f"{self.label} ({self.kid})"


class DoseSignature(models.Model):
    """The facility's signature over a verified dose's canonical content (step 2)."""

    dose = models.OneToOneField(Dose, models.CASCADE, related_name="facility_signature")
    key = models.ForeignKey(SignerKey, models.PROTECT, related_name="+")
    algorithm = models.CharField(max_length=5, default="ES256")
    digest = models.CharField(max_length=64)  # SHA-256 of the signed canonical content
    signature = models.BinaryField()
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    by_rule = models.BooleanField(default=False)  # signed by the facility's standing rule
    signed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("dose signature")


class AutoSignRule(models.Model):
    """A facility head's standing rule: sign this facility's verified doses as they come."""

    facility = models.OneToOneField(Facility, models.CASCADE, related_name="auto_sign_rule")
    enabled = models.BooleanField(default=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+"
    )
    set_at = models.DateTimeField(auto_now=True)


class CertificateStatus(models.TextChoices):
    VALID = "valid", _("valid")
    SUPERSEDED = "superseded", _("replaced by a newer one")
    REVOKED = "revoked", _("revoked")


class Certificate(models.Model):
    """A vaccine passport as issued: the HC1 string is what the QR code holds; images,
    PDF and FHIR are rendered from the record on demand."""

    # Few indexes on purpose: passports are written tens of millions at a time.
    person = models.ForeignKey(Person, models.PROTECT, related_name="certificates")
    # Unique by a constraint, not `unique=True`: on PostgreSQL that also builds a second
    # index for LIKE searches, which nothing makes and every passport written pays for.
    uvci = models.CharField(_("certificate identifier"), max_length=80)
    hc1 = models.TextField()
    key = models.ForeignKey(SignerKey, models.PROTECT, related_name="+", db_index=False)
    issued_at = models.DateTimeField()  # as the certificate says it: whole seconds
    # When the doses it holds were read: it holds the signatures made before
    # (`issuing.certified_doses`).
    doses_read_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    content_digest = models.CharField(max_length=64)  # of the doses and identity it holds
    signature_hash = models.CharField(max_length=32)  # EU revocation SIGNATURE hash, hex
    status = models.CharField(
        max_length=10, choices=CertificateStatus.choices, default=CertificateStatus.VALID
    )
    replaced_by = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("vaccine passport")
        verbose_name_plural = _("vaccine passports")
        indexes = [  # what the daily renewal looks for
            models.Index(
                fields=["expires_at"], condition=models.Q(status="valid"), name="valid_by_expiry"
            )
        ]
        constraints = [
            models.UniqueConstraint(fields=["uvci"], name="unique_uvci"),
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(status="valid"),
                name="one_valid_certificate_per_person",
            ),
        ]

    def __str__(self) -> str:
        return self.uvci
