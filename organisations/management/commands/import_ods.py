from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from msonet import uploads
from organisations.ods import KINDS, kind_for_file_name
from organisations.services import ods_import, ods_summary_line


class Command(BaseCommand):
    help = (
        "Import organisations from an NHS Organisation Data Service (ODS) CSV file: NHS trusts (etr.csv), "
        "ICBs (the ICB names file), sub-ICB locations (eccg.csv), community pharmacies (edispensary.csv), "
        "their head-office companies (epharmacyhq.csv) or GP practices (epraccur.csv). "
        "Creates and updates organisations and never deletes one. "
        "All or nothing: if any row is bad, nothing is saved and every error of every row is listed, "
        "with the counts of what the rows without an error would do. "
        "Import the ICB file first, so that organisations can be linked to their ICB, and the head-office "
        "file before the pharmacy file, so that pharmacies are linked to named companies (a head-office code "
        "not yet known becomes a placeholder company, named when the head-office file is imported). "
        "Ends with the line: created=N updated=N closed=N unchanged=N errors=N "
        "(closed counts the updated organisations that the file closed)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV file, as published by ODS.")
        parser.add_argument(
            "--kind",
            choices=list(KINDS),
            help="What the file holds. Guessed from the file name when omitted: etr (trusts), icb (icbs), "
            "eccg (sub-icbs), edispensary (pharmacies), epharmacyhq (pharmacy-hqs), epraccur (gp-practices).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the file and report what would change, without saving anything.",
        )

    def handle(self, *args, file, kind, dry_run, **options):
        path = Path(file)
        if kind is None:
            guessed = kind_for_file_name(path.name)
            if guessed is None:
                raise CommandError(
                    f"Cannot tell what {path.name} holds from its name; give --kind (one of {', '.join(KINDS)})."
                )
            kind = guessed.name
        try:
            # Read through msonet.uploads like an upload: its size first, before any of it is read.
            uploads.check_size(path.stat().st_size, settings.IMPORT_MAX_UPLOAD_BYTES)
            data = path.read_bytes()
        except FileNotFoundError:
            raise CommandError(f"There is no file {file}.") from None
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}.") from None
        except uploads.UploadRefused as exc:
            raise CommandError(f"Nothing was imported: {exc} (The limit is IMPORT_MAX_UPLOAD_BYTES.)") from None

        report = ods_import(data=data, kind=kind, file_name=path.name, dry_run=dry_run)

        for error in report.errors:
            self.stderr.write(f"error: {error}")
        for line in report.warning_lines():
            self.stdout.write(f"warning: {line}")
        for note in report.notes:
            self.stdout.write(note)
        if options["verbosity"] >= 2:
            for row in report.rows:
                changes = f": {row.changes_text()}" if row.changes else ""
                self.stdout.write(f"line {row.line}: {row.key} {row.description}{changes}")
        if dry_run and not report.errors:
            self.stdout.write("Dry run: nothing was saved.")
        self.stdout.write(ods_summary_line(report))
        if report.errors:
            count = len(report.errors)
            raise CommandError(f"Nothing was imported: {path.name} has {count} error{'s' if count != 1 else ''}.")
