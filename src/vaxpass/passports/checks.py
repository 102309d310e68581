"""The tool that checks every stored facility signature against the dose as it is now
(`vaxpass passport verify-signatures`)."""

from collections import Counter
from dataclasses import dataclass, field

from vaxpass.core.dose_signature import DoseSignature as SignedValue
from vaxpass.core.dose_signature import check_dose_signature
from vaxpass.passports.keys import certificate_of
from vaxpass.passports.models import DoseSignature
from vaxpass.passports.signing import dose_content


@dataclass
class SignatureReport:
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[tuple[int, str]] = field(default_factory=list)  # (dose id, outcome)


def check_all_signatures(*, progress=None, limit_failures: int = 1000) -> SignatureReport:
    counts: Counter[str] = Counter()
    report = SignatureReport()
    rows = DoseSignature.objects.select_related("dose__person", "dose__facility", "key")
    for row in rows.order_by("pk").iterator(chunk_size=2000):
        stored = SignedValue(
            bytes.fromhex(row.key.kid), row.algorithm, bytes(row.signature), row.digest
        )
        outcome = check_dose_signature(dose_content(row.dose), stored, certificate_of(row.key))
        counts[outcome] += 1
        if outcome != "valid" and len(report.failures) < limit_failures:
            report.failures.append((row.dose_id, outcome))
        if progress:
            progress(1)
    report.counts = dict(counts)
    return report
