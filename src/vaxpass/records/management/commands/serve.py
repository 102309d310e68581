import os
import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection


class Command(BaseCommand):
    help = "Serve the web app with gunicorn (static files included)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
        parser.add_argument("--no-migrate", action="store_true")
        parser.add_argument(
            "--job-workers",
            type=int,
            default=None,
            help="background job workers to start (default: 1 on SQLite, 2 on PostgreSQL; 0 for none)",
        )

    def handle(self, *args, host, port, workers, no_migrate, job_workers, **options):
        if not no_migrate:
            call_command("migrate", verbosity=0)
        if job_workers is None:
            job_workers = 1 if connection.vendor == "sqlite" else 2
        for _ in range(job_workers):
            # Same process group as the server: Ctrl+C stops them too.
            subprocess.Popen(
                [sys.executable, "-m", "vaxpass.cli", "db_worker", "--interval", "0.5"]
            )
        self.stdout.write(f"vaxpass on http://{host}:{port}/  (Ctrl+C to stop)")
        os.execv(
            sys.executable,
            [
                sys.executable,
                "-m",
                "gunicorn",
                "vaxpass.wsgi:application",
                "--bind",
                f"{host}:{port}",
                "--workers",
                str(workers),
                "--access-logfile",
                "-",
                "--timeout",
                "120",
            ],
        )
