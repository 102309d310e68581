from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from vaxpass.records.demo import DEMO_PASSWORD, create_demo_accounts
from vaxpass.records.models import Dose


class Command(BaseCommand):
    help = "Set up a demo: migrations, places, generated people and doses, one account per role; then serve."

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=30000)
        parser.add_argument(
            "--provinces", default="01,79", help="legacy province codes to place people in"
        )
        parser.add_argument("--seed", type=int, default=2021)
        parser.add_argument("--no-serve", action="store_true")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, people, provinces, seed, no_serve, port, **options):
        call_command("migrate", verbosity=0)
        call_command("load_places", verbosity=0)
        if not Dose.objects.exists():
            out = Path(settings.DATA_DIR) / "demo"
            call_command(
                "generate", people=people, seed=seed, out=str(out), provinces=provinces, load=True
            )
        # Clean what waits (the generated backlog): verified doses to sign, review queues.
        # The first demo trains the stage-2 model on its own data; later ones reuse it.
        call_command("clean", train_if_missing=True, verbosity=options["verbosity"])
        call_command("pki", "init", stdout=StringIO())  # national keys, published lists
        accounts, token = create_demo_accounts()
        # The backlog leaves almost nothing to review: a few hard cases at staff_a's
        # station fill its queue and the ward police's (cleaning's review_examples).
        call_command("review_examples", staff="staff_a", stdout=StringIO())
        self.stdout.write(
            self.style.SUCCESS("\nDemo accounts (password for all: %s)" % DEMO_PASSWORD)
        )
        for account in accounts:
            self.stdout.write(f"  {account.username:<12} {account.role:<28} {account.scope}")
        self.stdout.write(f"\nAPI token of staff_a (Authorization: Bearer ...): {token}")
        self.stdout.write(f"API docs: http://127.0.0.1:{port}/api/v1/docs\n")
        if not no_serve:
            call_command("serve", port=port, no_migrate=True)
