"""Staff accounts: one role each, scoped to one place."""

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from vaxpass.places.models import Division, Facility, Level


class Role(models.TextChoices):
    FACILITY_STAFF = "facility_staff", _("facility staff")
    FACILITY_HEAD = "facility_head", _("facility head")
    WARD_POLICE = "ward_police", _("ward police officer")
    DISTRICT_MANAGER = "district_manager", _("district health manager")
    PROVINCE_MANAGER = "province_manager", _("province health manager")
    NATIONAL_ADMIN = "national_admin", _("national administrator")
    CENTRAL_SIGNER = "central_signer", _("central signer")


FACILITY_ROLES = {Role.FACILITY_STAFF, Role.FACILITY_HEAD}
NATION_ROLES = {Role.NATIONAL_ADMIN, Role.CENTRAL_SIGNER}
DIVISION_ROLE_LEVELS = {
    Role.WARD_POLICE: {Level.WARD},
    Role.DISTRICT_MANAGER: {Level.DISTRICT},
    Role.PROVINCE_MANAGER: {Level.PROVINCE},
}
RECORDING_ROLES = FACILITY_ROLES


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, blank=True)
    facility = models.ForeignKey(
        Facility,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("facility scope"),
    )
    division = models.ForeignKey(
        Division,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("place scope"),
    )

    def clean(self) -> None:
        super().clean()
        if not self.role:
            if not self.is_superuser:
                raise ValidationError({"role": _("Every staff account needs a role.")})
            return
        if self.role in FACILITY_ROLES:
            if self.facility_id is None or self.division_id is not None:
                raise ValidationError({"facility": _("This role is scoped to one facility.")})
        elif self.role in NATION_ROLES:
            if self.facility_id or self.division_id:
                raise ValidationError({"division": _("This role covers the whole nation.")})
        else:
            levels = DIVISION_ROLE_LEVELS[Role(self.role)]
            if self.facility_id or self.division is None or self.division.level not in levels:
                raise ValidationError(
                    {
                        "division": _("This role is scoped to a %(level)s.")
                        % {"level": "/".join(levels)}
                    }
                )

    @property
    def scope_label(self) -> str:
        if self.facility_id:
            return str(self.facility)
        if self.division_id:
            return self.division.full_name
        return str(_("Nation"))


class ApiToken(models.Model):
    """A bearer token for facility software. Only its SHA-256 is stored: tokens are
    32 random bytes, so a slow password hash would add nothing but latency per request."""

    user = models.ForeignKey(User, models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked = models.BooleanField(default=False)

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, name: str) -> tuple["ApiToken", str]:
        token = "vxp_" + secrets.token_urlsafe(32)
        return cls.objects.create(user=user, name=name, digest=cls.hash(token)), token
