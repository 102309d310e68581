from django.core.management.base import BaseCommand

from vaxpass.places.loading import load_places


class Command(BaseCommand):
    help = "Load Vietnam's administrative divisions (2021-2025 and since 2025) and the mapping between them."

    def handle(self, *args, **options):
        summary = load_places(progress=lambda line: self.stdout.write(f"  {line}"))
        self.stdout.write(self.style.SUCCESS(str(summary)))
