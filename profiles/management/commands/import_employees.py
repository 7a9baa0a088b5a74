import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from profiles.importing import COLUMNS, REQUIRED_COLUMNS
from profiles.services import directory_import


class Command(BaseCommand):
    help = (
        "Import the employee directory from a CSV file (UTF-8, comma separated, header on line 1). "
        f"Columns: {', '.join(REQUIRED_COLUMNS)} (required); "
        f"{', '.join(c for c in COLUMNS if c not in REQUIRED_COLUMNS)} (optional). "
        "If any row has an error, nothing is written and every error is listed."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV file; - reads standard input")
        parser.add_argument("--dry-run", action="store_true", help="check and count, but write nothing")
        parser.add_argument(
            "--deactivate-missing",
            action="store_true",
            help="make active people who are not in the file inactive (nobody is ever deleted)",
        )

    def handle(self, *args, file, dry_run, deactivate_missing, **options):
        try:
            data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}") from exc

        result = directory_import(data=data, deactivate_missing=deactivate_missing, dry_run=dry_run)
        if result.errors:
            for error in result.errors:
                self.stderr.write(f"line {error.line}: {error.field}: {error.message}")
            count = len(result.errors)
            raise CommandError(f"{count} error{'s' if count != 1 else ''} in {file}: nothing was imported.")

        summary = (
            f"{result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged, {result.deactivated} deactivated"
        )
        if dry_run:
            summary += " (dry run, nothing written)"
        self.stdout.write(self.style.SUCCESS(summary))
