"""Administrative divisions of Vietnam in both structures, and vaccination facilities.

Records of 2021-2022 carry the three-level structure of that time (63 provinces,
districts, wards: era LEGACY); since 1 July 2025 there are two levels (34 provinces,
wards: era CURRENT). WardSuccession maps each legacy ward to the current ward(s) its
territory went to, so anything located in a legacy ward rolls up to today's province.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Era(models.TextChoices):
    LEGACY = "legacy", _("2021–2025 (63 provinces, 3 levels)")
    CURRENT = "current", _("since 2025 (34 provinces, 2 levels)")


class Level(models.TextChoices):
    PROVINCE = "province", _("province")
    DISTRICT = "district", _("district")
    WARD = "ward", _("ward")


class Division(models.Model):
    era = models.CharField(_("era"), max_length=8, choices=Era.choices)
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    code = models.CharField(_("official code"), max_length=8)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=40, blank=True)  # Tỉnh, Quận, Phường, Xã...
    parent = models.ForeignKey(
        "self", models.CASCADE, null=True, blank=True, related_name="children"
    )
    # Denormalised for roll-ups: the province of this unit in its own era, and today's
    # province (for a legacy unit: where most of its territory went).
    province = models.ForeignKey("self", models.CASCADE, null=True, blank=True, related_name="+")
    current_province = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("administrative division")
        constraints = [
            models.UniqueConstraint(fields=["era", "level", "code"], name="division_unique_code")
        ]
        indexes = [models.Index(fields=["era", "level", "name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def full_name(self) -> str:
        names, unit = [], self
        while unit is not None:
            names.append(unit.name)
            unit = unit.parent
        return ", ".join(names)


class WardSuccession(models.Model):
    """A legacy ward's territory went (wholly or in part) to a current ward."""

    legacy_ward = models.ForeignKey(Division, models.CASCADE, related_name="successors")
    current_ward = models.ForeignKey(Division, models.CASCADE, related_name="predecessors")
    is_default = models.BooleanField(
        default=False, help_text=_("The current ward most of the legacy ward went to.")
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["legacy_ward", "current_ward"], name="succession_unique"
            )
        ]


# Which denormalised column of a Located row holds a division of a given era and level.
LOCATION_COLUMNS = {
    (Era.LEGACY, Level.WARD): "legacy_ward",
    (Era.LEGACY, Level.DISTRICT): "legacy_district",
    (Era.LEGACY, Level.PROVINCE): "legacy_province",
    (Era.CURRENT, Level.WARD): "current_ward",
    (Era.CURRENT, Level.PROVINCE): "current_province",
}


class Located(models.Model):
    """A row placed in a ward of either era, with its whole path in both eras stored so
    that any scope (a ward, district or province of either era) is one indexed filter."""

    ward = models.ForeignKey(
        Division, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("ward")
    )
    legacy_ward = models.ForeignKey(
        Division, models.PROTECT, null=True, blank=True, related_name="+"
    )
    legacy_district = models.ForeignKey(
        Division, models.PROTECT, null=True, blank=True, related_name="+"
    )
    legacy_province = models.ForeignKey(
        Division, models.PROTECT, null=True, blank=True, related_name="+"
    )
    current_ward = models.ForeignKey(
        Division, models.PROTECT, null=True, blank=True, related_name="+"
    )
    current_province = models.ForeignKey(
        Division, models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        abstract = True

    def place_in(self, ward: Division | None) -> None:
        """Set the ward and fill in its path in both eras."""
        from vaxpass.places.services import location_path

        self.ward = ward
        for column, value in location_path(ward).items():
            setattr(self, column, value)


def within(division: Division, prefix: str = "") -> Q:
    """A filter for rows of a Located model (reached through `prefix`) inside `division`."""
    column = LOCATION_COLUMNS[(division.era, division.level)]
    return Q(**{f"{prefix}{column}": division})


class FacilityKind(models.TextChoices):
    HOSPITAL = "hospital", _("hospital")
    HEALTH_STATION = "station", _("ward health station")
    PRIVATE_CLINIC = "clinic", _("private clinic")
    MOBILE_TEAM = "mobile", _("mobile team")
    TEMPORARY_SITE = "temporary", _("temporary site")


FIELD_KINDS = (FacilityKind.MOBILE_TEAM, FacilityKind.TEMPORARY_SITE)


class Facility(Located):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=FacilityKind.choices)
    parent = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="teams",
        verbose_name=_("parent facility"),
    )
    active = models.BooleanField(_("active"), default=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    official = models.BooleanField(
        _("on the official list"),
        default=True,
        help_text=_("False for sites added in the field."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("vaccination facility")
        verbose_name_plural = _("vaccination facilities")
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
