from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from vaxpass.synth.errors import ErrorRates
from vaxpass.synth.generator import Generator, national_wards


def _rate(text: str) -> tuple[str, float]:
    name, _, value = text.partition("=")
    if name not in ErrorRates.names():
        raise CommandError(
            f"--rate: unknown error pattern {name!r}; known: {', '.join(ErrorRates.names())}"
        )
    try:
        rate = float(value)
    except ValueError:
        raise CommandError(f"--rate {name}: {value!r} is not a number") from None
    if not 0 <= rate <= 1:
        raise CommandError(f"--rate {name}: {rate} is not between 0 and 1")
    return name, rate


class Command(BaseCommand):
    help = (
        "Generate a synthetic population registry, facilities, registrations and 2021-2022 "
        "dose records with the real system's error patterns, plus the ground truth; "
        "optionally load them."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--people", type=int, default=10_000, help="population size (1,000 to 10,000,000)"
        )
        parser.add_argument("--seed", type=int, default=2021)
        parser.add_argument("--out", help="output directory (default: DATA_DIR/synth-SEED-PEOPLE)")
        parser.add_argument(
            "--provinces",
            help="legacy province codes to place people in, e.g. 01,79 (default: all)",
        )
        parser.add_argument(
            "--rate",
            action="append",
            default=[],
            metavar="PATTERN=RATE",
            help="override an error rate, e.g. --rate name_unaccented=0.1 (repeatable)",
        )
        parser.add_argument(
            "--load", action="store_true", help="load the files into the registry and the database"
        )

    def handle(self, *args, people, seed, out, provinces, rate, load, **options):
        if people < 1:
            raise CommandError("--people must be at least 1")
        rates = ErrorRates(**dict(_rate(text) for text in rate))
        try:
            wards = national_wards(provinces.split(",") if provinces else None)
            generator = Generator(wards, seed=seed, rates=rates)
        except ValueError as error:
            raise CommandError(str(error)) from None
        out_dir = Path(out) if out else Path(settings.DATA_DIR) / f"synth-{seed}-{people}"
        with tqdm(total=people, unit=" people", disable=options["verbosity"] == 0) as bar:
            summary = generator.write(out_dir, people, progress=bar.update)
        self.stdout.write(
            f"{out_dir}: {summary.people} people in {summary.households} households, "
            f"{summary.registry_rows} in the registry, {summary.facilities} facilities, "
            f"{summary.dose_records} dose records ({summary.doses_given} doses given, "
            f"{summary.not_uploaded} never uploaded, {summary.recorded_twice} recorded twice)"
        )
        if load:
            from vaxpass.records.loading import load_generated

            with tqdm(
                total=summary.dose_records, unit=" records", disable=options["verbosity"] == 0
            ) as bar:
                report = load_generated(out_dir, progress=bar.update)
            self.stdout.write(self.style.SUCCESS(f"loaded: {report}"))
