"""The one exception type of the certificate formats, with its stable codes.

Every failure of encoding or decoding raises ``DccError``: ``code`` is stable for programs
(and is what ``VerificationResult.reasons`` carry), ``template`` is the English message
(marked for translation, %(name)s placeholders), ``message`` is it filled in.
"""

from __future__ import annotations

from collections.abc import Mapping

# Decoding, outermost stage first.
IMAGE_UNREADABLE = "image_unreadable"
WRONG_PREFIX = "wrong_prefix"
BASE45_INVALID = "base45_invalid"
COMPRESSION_INVALID = "compression_invalid"
COSE_INVALID = "cose_invalid"
CWT_INVALID = "cwt_invalid"
DCC_MISSING = "dcc_missing"
# Checks.
KID_MISSING = "kid_missing"
KID_UNKNOWN = "kid_unknown"
ALGORITHM_UNSUPPORTED = "algorithm_unsupported"
SIGNATURE_INVALID = "signature_invalid"
EXPIRED = "expired"
NOT_YET_VALID = "not_yet_valid"
VALIDITY_MISSING = "validity_missing"
KEY_USAGE = "key_usage"
SCHEMA_INVALID = "schema_invalid"
SCHEMA_VERSION_UNKNOWN = "schema_version_unknown"
REVOKED = "revoked"
# Encoding.
INPUT_INVALID = "input_invalid"
PRODUCT_UNKNOWN = "product_unknown"
UVCI_INVALID = "uvci_invalid"


class DccError(ValueError):
    """Input the certificate formats cannot use."""

    def __init__(self, code: str, message: str, params: Mapping[str, str | int] | None = None):
        self.code = code
        self.template = message
        self.params: dict[str, str | int] = dict(params or {})
        self.message = message % self.params if self.params else message
        super().__init__(f"{code}: {self.message}")


def error(code: str, message: str, /, **params: str | int) -> DccError:
    return DccError(code, message, params)
