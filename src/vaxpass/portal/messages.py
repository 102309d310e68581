"""The verifier page's texts that its JavaScript shows, translated on the server and
handed to the page with it (one catalogue, and the page works offline in the language
it was last loaded in). Placeholders are %(name)s, filled in by the page."""

from django.utils.translation import gettext_lazy as _

# The site's shared catalogue wins over an app's for the same text, so labels are worded
# to be the verifier's own ("Name of the holder", not "Name").

VERIFIER_MESSAGES = {
    "verdict_valid": _("VALID"),
    "verdict_invalid": _("NOT VALID"),
    "verdict_expired": _("EXPIRED"),
    "verdict_revoked": _("REVOKED"),
    # Reasons, by the verifier's reason codes (vaxpass.core.dcc.errors).
    "reason_image_unreadable": _("No QR code could be read in the picture."),
    "reason_wrong_prefix": _(
        "This is not an EU digital COVID certificate (it does not start with HC1:)."
    ),
    "reason_base45_invalid": _("The code is damaged: it is not valid base45 text."),
    "reason_compression_invalid": _("The code is damaged: its data cannot be decompressed."),
    "reason_cose_invalid": _("The code is damaged: it is not a signed certificate (COSE)."),
    "reason_cwt_invalid": _("The certificate's contents cannot be read."),
    "reason_dcc_missing": _("The code holds no vaccination, test or recovery certificate."),
    "reason_kid_missing": _("The certificate does not say which key signed it."),
    "reason_kid_unknown": _("The signer (key %(kid)s) is not in the trust list."),
    "reason_algorithm_unsupported": _(
        "The certificate is signed with an algorithm that is not allowed."
    ),
    "reason_signature_invalid": _(
        "The signature does not match: the certificate was changed or forged."
    ),
    "reason_key_usage": _("The signer may not sign %(type)s certificates."),
    "reason_validity_missing": _("The certificate has no issue or expiry date."),
    "reason_not_yet_valid": _(
        "The certificate is dated in the future (%(date)s): check this device's clock."
    ),
    "reason_signer_not_valid": _(
        "The signer's certificate was not valid when this certificate was signed (%(date)s).",
    ),
    "reason_expired": _("The certificate expired on %(date)s."),
    "reason_signer_expired": _("The signer's certificate expired on %(date)s."),
    "reason_revoked": _("The issuer has revoked this certificate."),
    "reason_no_trust_list": _(
        "This device has no trust list yet: open this page once with a network connection.",
    ),
    "reason_no_revocation_list": _(
        "This device has no revocation list: a revoked certificate would not be detected.",
    ),
    "type_v": _("vaccination"),
    "type_t": _("test"),
    "type_r": _("recovery"),
    "field_name": _("Name of the holder"),
    "field_name_icao": _("Name (as in the passport)"),
    "field_birth_date": _("Date of birth"),
    "field_type": _("Certificate"),
    "field_doses": _("Vaccination dose"),
    "field_date": _("Date"),
    "field_issuer": _("Issuer"),
    "field_valid_until": _("Valid until"),
    "field_certificate_id": _("Certificate ID"),
    "field_signer": _("Signed by"),
    "dose_line": _("%(number)s of %(total)s · %(product)s · %(date)s · %(country)s"),
    # Lists.
    "trustList_status": _(
        "Trust list: %(count)s signers, issued %(issued)s, checked with the server %(fetched)s (%(age)s).",
    ),
    "revocations_status": _(
        "Revocation list: %(count)s entries, issued %(issued)s, checked with the server %(fetched)s (%(age)s).",
    ),
    "trustList_missing": _("No trust list on this device."),
    "revocations_missing": _("No revocation list on this device."),
    "list_malformed": _("The server's file is not a valid signed list."),
    "list_untrusted": _("The server's list is not signed by the national CA or its list signer."),
    "list_signer_expired": _("The list's signing certificate is not valid now."),
    "list_signature_invalid": _("The server's list has a wrong signature and was refused."),
    "list_not_published": _("The server has not published it."),
    "list_unreachable": _("The server cannot be reached now; the list on this device is used."),
    "list_older": _("The server sent an older list than the one on this device; it was refused."),
    # States.
    "camera_looking": _("Hold the QR code in front of the camera."),
    "camera_denied": _("The camera may not be used: allow it in the browser, or upload a photo."),
    "camera_unavailable": _("No camera can be opened: upload a photo instead."),
    "reading_image": _("Reading the picture…"),
    "checking": _("Checking…"),
    "no_ca": _(
        "This server has not published the national CA certificate: lists cannot be checked.",
    ),
    "insecure_context": _("This page must be opened over HTTPS to check signatures."),
}


def verifier_messages() -> dict[str, str]:
    return {key: str(text) for key, text in VERIFIER_MESSAGES.items()}
