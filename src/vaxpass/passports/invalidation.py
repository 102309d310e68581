"""A changed dose loses its signature and goes back to be signed; its passport is revoked.

Every ORM save of a dose or a person is checked (signals, so the admin, services,
cleaning corrections and commands are all covered); code that changes rows in bulk calls
`recheck_doses` itself. A dose whose signed content no longer matches goes back to
"verified" (or "recorded" if it lost its registry link), its signature is deleted (the
audit log keeps the record), and the person's valid passport is revoked: it no longer
says what the records say. A new one is issued once the dose is signed again.

`connect` also hears of newly verified doses (records.signals), for the standing rules.
"""

from collections.abc import Iterable

from django.db import transaction
from django.db.models.signals import post_save
from django.utils import timezone

from vaxpass.records.audit import record_bulk
from vaxpass.records.models import Dose, DoseStatus, Person

SIGNED_STATES = (DoseStatus.SIGNED,)


def recheck_doses(dose_ids: Iterable[int], *, reason: str = "dose data changed") -> int:
    """Drop the signatures of these doses whose content changed since signing; returns how
    many were sent back."""
    from vaxpass.passports.models import DoseSignature
    from vaxpass.passports.signing import dose_content

    signatures = DoseSignature.objects.filter(dose_id__in=list(dose_ids)).select_related(
        "dose__person", "dose__facility"
    )
    changed = [s for s in signatures if dose_content(s.dose).digest() != s.digest]
    if not changed:
        return 0
    with transaction.atomic():
        doses = [s.dose for s in changed]
        DoseSignature.objects.filter(pk__in=[s.pk for s in changed]).delete()
        now = timezone.now()
        for dose in doses:
            dose.status = DoseStatus.VERIFIED if dose.registry_id else DoseStatus.RECORDED
            Dose.objects.filter(pk=dose.pk).update(status=dose.status, updated_at=now)
        record_bulk(doses, action="update")
        revoke_for_people({d.person_id for d in doses}, reason=reason)
    return len(changed)


def revoke_for_people(person_ids: Iterable[int], *, reason: str) -> int:
    from vaxpass.passports.issuing import revoke_certificates
    from vaxpass.passports.models import Certificate, CertificateStatus

    valid = Certificate.objects.filter(
        person_id__in=list(person_ids), status=CertificateStatus.VALID
    )
    return revoke_certificates(valid, reason=reason)


def _dose_saved(sender, instance: Dose, created: bool, raw: bool = False, **kwargs) -> None:
    from vaxpass.passports.models import DoseSignature

    if created or raw or not DoseSignature.objects.filter(dose_id=instance.pk).exists():
        return
    if recheck_doses([instance.pk]) == 0 and instance.status not in SIGNED_STATES:
        # Saved from a stale copy that predates the signature: the content is what was
        # signed, so the dose is still signed (and certified, if its passport says so).
        from vaxpass.passports.issuing import issue_when_ready

        Dose.objects.filter(pk=instance.pk).update(status=DoseStatus.SIGNED)
        issue_when_ready([instance.person_id])


def _person_saved(sender, instance: Person, created: bool, raw: bool = False, **kwargs) -> None:
    if created or raw:
        return
    ids = list(instance.doses.filter(status__in=SIGNED_STATES).values_list("pk", flat=True))
    if ids:
        recheck_doses(ids, reason="personal data changed")


def _verified(sender, dose_ids, **kwargs) -> None:
    """Newly verified doses: sign those under a standing rule, in the background."""
    from vaxpass.passports.tasks import sign_by_rules

    if dose_ids:
        sign_by_rules.enqueue(list(dose_ids))


def connect() -> None:
    from vaxpass.records.signals import doses_verified

    doses_verified.connect(_verified, dispatch_uid="passports-standing-rules")
    post_save.connect(_dose_saved, sender=Dose, dispatch_uid="passports-dose-recheck")
    post_save.connect(_person_saved, sender=Person, dispatch_uid="passports-person-recheck")
