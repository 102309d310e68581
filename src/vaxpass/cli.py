"""The `vaxpass` command: a front for the management commands.

vaxpass serve            run the web app (gunicorn) on 127.0.0.1:8000
vaxpass demo             set up a demo database with generated data and accounts, then serve
vaxpass generate ...     generate a synthetic population and doses
vaxpass clean-files ...  clean exported registry and dose files (no database; --help)
vaxpass verify ...       check a passport offline (no database; --help)
vaxpass <command> ...    any Django management command (migrate, load_places, ...)
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    given = list(sys.argv[1:] if argv is None else argv)
    if given[:1] == ["clean-files"]:
        # Runs without Django: the cleaner works on files, not the app database.
        from vaxpass.linkage.cleanfiles import main as clean_files

        sys.exit(clean_files(given[1:]))
    if given[:1] == ["verify"]:
        from vaxpass.verify_cli import main as verify

        sys.exit(verify(given[1:]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vaxpass.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else ["vaxpass", *argv])
    if len(args) < 2 or args[1] in ("-h", "--help"):
        print(__doc__)
        args = [args[0], "help"]
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
