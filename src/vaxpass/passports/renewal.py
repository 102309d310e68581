"""The daily renewal: passports expiring within the window are re-issued, and the holder
is told by SMS (through the notification outbox) that a new QR code is ready.

The QR code expires after 12 months as a security measure (Decision 5772); renewing a
month ahead means nobody is caught at a border with an expired code. Run daily:
`vaxpass passport renew` (cron or a systemd timer), or the `renew_passports` job.
"""

from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from vaxpass.adapters.notify import Message
from vaxpass.notifications.outbox import notifier
from vaxpass.passports.issuing import content_digest, issue_certificate, ready_doses
from vaxpass.passports.models import Certificate, CertificateStatus

KIND = "passport_renewed"


def expiring(at: datetime | None = None):
    at = at or timezone.now()
    return Certificate.objects.filter(
        status=CertificateStatus.VALID, expires_at__lte=at + settings.PASSPORT_RENEWAL_WINDOW
    )


def renew_expiring(*, at: datetime | None = None, progress=None) -> int:
    """Re-issue every valid passport that expires within the renewal window; returns how
    many were renewed. Idempotent: a renewed passport is superseded, so a second run the
    same day finds nothing to do."""
    at = at or timezone.now()
    renewed = 0
    send = notifier()
    for old in expiring(at).select_related("person").iterator(chunk_size=500):
        person = old.person
        doses = ready_doses(person)
        if doses is None:
            continue  # a dose awaits signing again: the new passport comes once it is signed
        new = issue_certificate(
            person, doses, digest=content_digest(person, doses), replacing=old, at=at
        )
        phone = person.phone
        if phone:
            with override("vi"):
                text = _(
                    "Your vaccine passport has been renewed; the new QR code is valid until "
                    "%(date)s. Open the health book app or the look-up page to get it."
                ) % {"date": timezone.localtime(new.expires_at).strftime("%d/%m/%Y")}
            send.send([Message(phone=phone, text=text, kind=KIND, reference=new.uvci)])
        renewed += 1
        if progress:
            progress(1)
    return renewed
