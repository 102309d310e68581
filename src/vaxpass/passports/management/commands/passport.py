import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from tqdm import tqdm

from vaxpass.passports import documents
from vaxpass.passports.models import Certificate, CertificateStatus


class Command(BaseCommand):
    help = (
        "Passports. `show CITIZEN_ID --format hc1|fhir|png|svg|pdf [--out FILE]` writes a "
        "person's current passport; `issue [--province CODE]` issues what is due in an area, "
        "in parallel; `renew` re-issues what expires within the renewal window (run daily); "
        "`verify-signatures` checks every stored facility signature."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        show = sub.add_parser("show", help="write a person's current passport")
        show.add_argument("citizen_id")
        show.add_argument("--format", choices=documents.FORMATS, default="hc1")
        show.add_argument("--out", help="file to write (default: standard output)")
        issue = sub.add_parser("issue", help="issue passports due in an area")
        issue.add_argument("--province", help="current-structure province code (default: all)")
        issue.add_argument("--workers", type=int, default=None, help="processes (default: cores)")
        sub.add_parser("renew", help="re-issue passports expiring within the window")
        sub.add_parser("verify-signatures", help="check every stored facility signature")

    def handle(self, *args, action, **options):
        getattr(self, "_" + action.replace("-", "_"))(**options)

    def _show(self, *, citizen_id, format, out, **options):
        certificate = (
            Certificate.objects.filter(
                Q(person__registry_id=citizen_id) | Q(person__citizen_id=citizen_id),
                status=CertificateStatus.VALID,
            )
            .select_related("person")
            .first()
        )
        if certificate is None:
            raise CommandError(f"{citizen_id}: no valid passport")
        data = documents.render(certificate, format)
        if out:
            Path(out).write_bytes(data)
            self.stdout.write(f"{certificate.uvci} -> {out}")
        elif format in ("png", "pdf"):
            raise CommandError(f"--format {format} is binary: give --out FILE")
        else:
            sys.stdout.buffer.write(data + (b"\n" if format == "hc1" else b""))

    def _issue(self, *, province, workers, verbosity, **options):
        from vaxpass.passports.batch import issue_due

        bar = tqdm(desc="issue", unit=" people", disable=verbosity == 0)
        summary = issue_due(province=province, workers=workers, progress=bar.update)
        bar.close()
        self.stdout.write(
            f"{summary.issued} passports issued, {summary.skipped} not due, "
            f"{summary.failed} whose data cannot make a certificate"
        )

    def _renew(self, *, verbosity, **options):
        from vaxpass.passports.renewal import expiring, renew_expiring

        bar = tqdm(total=expiring().count(), desc="renew", disable=verbosity == 0)
        count = renew_expiring(progress=bar.update)
        bar.close()
        self.stdout.write(f"{count} passports renewed")

    def _verify_signatures(self, *, verbosity, **options):
        from vaxpass.passports.checks import check_all_signatures
        from vaxpass.passports.models import DoseSignature

        bar = tqdm(total=DoseSignature.objects.count(), desc="check", disable=verbosity == 0)
        report = check_all_signatures(progress=bar.update)
        bar.close()
        for outcome, count in sorted(report.counts.items()):
            self.stdout.write(f"{outcome}: {count}")
        for dose_id, outcome in report.failures[:50]:
            self.stdout.write(f"  dose {dose_id}: {outcome}")
        if set(report.counts) - {"valid"}:
            raise CommandError("some signatures do not match their doses")
