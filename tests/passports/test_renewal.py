"""Renewal a month before expiry, with the holder told through the outbox; revoked
passports in the published revocation list; the published trust list."""

from datetime import timedelta

from django.utils import timezone

from vaxpass.core import trustlist
from vaxpass.core.dcc.verify import Verifier
from vaxpass.notifications.models import OutboxMessage
from vaxpass.passports import keys, publishing
from vaxpass.passports.models import Certificate, CertificateStatus
from vaxpass.passports.renewal import renew_expiring
from vaxpass.passports.signing import sign_doses


def _issued(personas):
    sign_doses(user=personas.head_a)
    return Certificate.objects.get()


def test_renewal_reissues_thirty_days_before_expiry(personas, pki, an):
    old = _issued(personas)
    assert renew_expiring(at=old.expires_at - timedelta(days=31)) == 0
    at = old.expires_at - timedelta(days=30)
    assert renew_expiring(at=at) == 1
    old.refresh_from_db()
    assert old.status == CertificateStatus.SUPERSEDED
    new = Certificate.objects.get(status=CertificateStatus.VALID)
    assert new.expires_at > old.expires_at
    message = OutboxMessage.objects.get()
    assert message.phone == "0912000111" and message.reference == new.uvci
    assert "gia hạn" in message.text
    assert renew_expiring(at=at) == 0  # a second run the same day does nothing
    verifier = Verifier(publishing.current_trust_list().certificates_by_kid())
    assert verifier.verify(new.hc1, at=at + timedelta(days=60)).valid


def test_revoked_passports_are_in_the_signed_revocation_list(personas, pki, an):
    certificate = _issued(personas)
    dose = an[0]
    dose.lot = "corrected"
    dose.save()  # a correction revokes
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.REVOKED
    paths = publishing.publish_all()
    listed = trustlist.parse_revocation_list(
        paths[publishing.REVOCATIONS].read_bytes(), keys.ca_certificate()
    )
    trusted = trustlist.parse_trust_list(
        paths[publishing.TRUST_LIST].read_bytes(), keys.ca_certificate()
    )
    verifier = Verifier(trusted.certificates_by_kid(), listed)
    result = verifier.verify(certificate.hc1)
    assert result.status == "REVOKED"
    assert not result.valid


def test_trust_list_keeps_rotated_signers_until_they_expire(personas, pki):
    keys.rotate_document_signer()
    listed = publishing.current_trust_list()
    assert len(listed) == 2
    later = timezone.now() + timedelta(days=3 * 365)
    assert len(listed.pruned(later)) == 0
