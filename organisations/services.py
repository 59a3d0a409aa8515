"""Workflows on organisations that span several records: the ODS import.

`ods_import` reads an ODS file (organisations.ods), checks every row and applies them all or none,
reporting in the portal's one import vocabulary (msonet.reports.ImportReport): the `import_ods`
command, the lead's import jobs (imports.services) and the admin's import screen all call it.
"""

import operator
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import PurePath

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from msonet.bulk import create_rows_with_history, update_rows_with_history, without_cycle_collection
from msonet.history import change_reason
from msonet.reports import CHANGED, NEW, ImportReport, Progress, Row, RowError
from msonet.uploads import CSV, UploadRefused

from .models import Organisation, Region
from .ods import (
    KINDS,
    NO_REGION_CODES,
    NO_REGION_WARNING,
    ImportKind,
    OdsRecord,
    check_ods_file,
    parse_rows,
    read_rows,
)

BATCH_SIZE = 1000
# Many placeholder companies are summed up as one kind of warning, not one line each.
PLACEHOLDER_WARNING = "head-office company not known: created a placeholder pharmacy company named after its code"


def ods_summary_line(report: ImportReport) -> str:
    """The five counts of an ODS import, as `import_ods` ends and the admin says them. `closed`
    counts the organisations the file closed (existing ones with no close date that now have one),
    also counted as updated."""
    return (
        f"created={report.new} updated={report.changed} closed={report.closed} "
        f"unchanged={report.unchanged} errors={len(report.errors)}"
    )


def ods_import(
    *,
    kind: str | ImportKind,
    data: bytes | None = None,
    rows: Iterable[Row] | None = None,
    file_format: str = CSV,
    file_name: str = "",
    dry_run: bool = False,
    user=None,
    progress: Progress | None = None,
) -> ImportReport:
    """Create and update organisations from an ODS file (its bytes, CSV or a workbook with the same
    columns, or rows already read).

    All or nothing: if any row is bad, nothing is written and the report lists every error of
    every row, with what the other rows would do beside them (they are applied and rolled back,
    as in a dry run). Organisations a file no longer lists are left alone (ODS closes organisations
    with a close date; it does not remove them). Running the same file twice changes
    nothing the second time. Every created or updated organisation gets a history record
    with the user and the reason "ODS import <file name>". With `dry_run` the import runs
    and is rolled back, so the report shows exactly what it would do: each new and changed
    organisation, in the file's order.
    """
    if (data is None) == (rows is None):
        raise TypeError("Pass either data or rows.")
    kind = KINDS[kind] if isinstance(kind, str) else kind
    file_name = PurePath(file_name).name
    report = ImportReport(dataset="organisations", file_name=file_name, dry_run=dry_run)
    with without_cycle_collection():
        if data is not None:
            try:
                if file_format == CSV:
                    check_ods_file(data)
                rows = read_rows(data, file_format, header_row=kind.header_row, progress=progress)
            except UploadRefused as exc:
                return report.refuse(str(exc))
        records, report.errors = parse_rows(rows, kind)
        if report.errors:
            lines_with_errors = report.lines_with_errors
            records = [record for record in records if record.line not in lines_with_errors]
            if not records:
                return report
        reason = change_reason(f"ODS import {file_name}".strip())
        with transaction.atomic():
            _OdsApply(records, report, kind=kind, user=user, reason=reason, dry_run=dry_run).run()
            if dry_run or report.errors:
                transaction.set_rollback(True)
    report.rows.sort(key=lambda row: row.line or 0)
    return report


# The fields an ODS file can set, by attribute name (ids for the foreign keys).
ODS_FIELDS = (
    "name",
    "kind",
    "region_id",
    "parent_icb_id",
    "parent_id",
    "address",
    "postcode",
    "opened_on",
    "closed_on",
    "phone",
    "ods_role_codes",
)


_FIELD_INDEX = {name: index for index, name in enumerate(ODS_FIELDS)}
_KIND, _NAME, _CLOSED_ON = _FIELD_INDEX["kind"], _FIELD_INDEX["name"], _FIELD_INDEX["closed_on"]


def _is_placeholder(current: tuple, ods_code: str) -> bool:
    """A pharmacy company known only by its code (created for a pharmacy file's head-office code)."""
    return current[_KIND] == Organisation.Kind.PHARMACY_COMPANY and current[_NAME] == ods_code


class _OdsApply:
    """Applies checked records. One query reads the ODS fields of every organisation, as tuples;
    the differences are worked out in Python by comparing tuples; only the new and changed rows are
    written, in bulk, each with its history (on PostgreSQL with COPY, building no model instance)."""

    def __init__(
        self, records: list[OdsRecord], report: ImportReport, *, kind: ImportKind, user, reason: str, dry_run: bool
    ):
        self.records = records
        self.report = report
        self.kind = kind
        self.user = user
        self.reason = reason
        # A dry run is rolled back: the organisations are written, for the database to check them,
        # but not their history.
        self.history = not dry_run
        self.now = timezone.now()
        regions = list(Region.objects.all())
        self.region_ids = {region.code: region.pk for region in regions}
        self.region_names = {region.pk: region.name for region in regions}
        # ODS code -> the organisation's pk, and its current ODS fields as a tuple (in ODS_FIELDS order).
        self.ids: dict[str, int] = {}
        self.current: dict[str, tuple] = {}
        for code, pk, *values in Organisation.objects.order_by().values_list("ods_code", "pk", *ODS_FIELDS):
            self.ids[code] = pk
            self.current[code] = tuple(values)
        self.icb_ids = {
            code: self.ids[code] for code, values in self.current.items() if values[_KIND] == Organisation.Kind.ICB
        }
        self.codes_by_id: dict[int, str] | None = None  # built when a change to a parent is described

    def run(self) -> None:
        targets = [(record, self._target(record)) for record in self.records]
        new = [(record, values) for record, values in targets if record.ods_code not in self.ids]
        existing = [(record, values) for record, values in targets if record.ods_code in self.ids]
        self._create_placeholder_companies()
        self._create(new)
        self._update(existing)
        self._derive_icb_regions()

    def _warn(self, record: OdsRecord, message: str, *, kind: str = "") -> None:
        self.report.warnings.append(RowError(record.line, "", message, kind))

    def _target(self, record: OdsRecord) -> dict[str, object]:
        """The field values the record asks for, with codes resolved to ids (warning when unknown)."""
        values = dict(record.values)
        region_code = record.region_code
        if region_code is not None:
            values["region_id"] = region_id = self.region_ids.get(region_code)
            if region_code in NO_REGION_CODES:
                if self.kind.regional:
                    self._warn(record, NO_REGION_WARNING)
            elif region_id is None:
                self._warn(record, f"region code {region_code} is not known; no region set")
        if record.icb_code is not None:
            values["parent_icb_id"] = icb_id = self.icb_ids.get(record.icb_code)
            if record.icb_code and icb_id is None:
                self._warn(record, f"ICB code {record.icb_code} is not known; parent ICB left empty")
        return values

    def _create_placeholder_companies(self) -> None:
        """A pharmacy's head-office company that is not known yet is created under its code."""
        file_codes = {record.ods_code for record in self.records}
        first_lines: dict[str, OdsRecord] = {}
        for record in self.records:
            code = record.parent_code
            if code and code not in self.ids and code not in file_codes and code not in first_lines:
                first_lines[code] = record
                self._warn(
                    record,
                    f"head-office company {code} is not known: created a placeholder pharmacy company named {code}",
                    kind=PLACEHOLDER_WARNING,
                )
        if not first_lines:
            return
        kind = Organisation.Kind.PHARMACY_COMPANY
        self._bulk_create(
            ("ods_code", "name", "kind"),
            [(code, code, kind) for code in first_lines],
            [record.line for record in first_lines.values()],
        )
        count = len(first_lines)
        shown = Organisation(ods_code=next(iter(first_lines)), name=next(iter(first_lines)), kind=kind).display_name
        self.report.notes.append(
            f"Created {count} placeholder pharmacy compan{'y' if count == 1 else 'ies'}, named after "
            f"{'its code' if count == 1 else 'their codes'}: until the ODS pharmacy head-office file "
            f"(epharmacyhq) is imported, {'it is' if count == 1 else 'they are'} shown as '{shown}'."
        )

    def _create(self, targets: list[tuple[OdsRecord, dict[str, object]]]) -> None:
        # A parent must exist before its children are created; parents listed in the same file
        # are created first. Parents that refer to each other in a loop are left empty.
        pending = targets
        while pending:
            ready = [(r, v) for r, v in pending if not r.parent_code or r.parent_code in self.ids]
            if not ready:
                ready = pending
                for record, _ in ready:
                    self._warn(record, f"head-office company {record.parent_code} loops back; parent left empty")
            ready_codes = {record.ods_code for record, _ in ready}
            # The records of one file set the same fields; any that set others are written apart.
            by_fields: dict[tuple[str, ...], tuple[list[tuple], list[int]]] = defaultdict(lambda: ([], []))
            for record, values in ready:
                if record.parent_code is not None:
                    values["parent_id"] = self.ids.get(record.parent_code)
                rows, lines = by_fields[("ods_code", *values)]
                rows.append((record.ods_code, *values.values()))
                lines.append(record.line)
            for fields, (rows, lines) in by_fields.items():
                self._bulk_create(fields, rows, lines)
            pending = [(r, v) for r, v in pending if r.ods_code not in ready_codes]

    def _bulk_create(self, fields: tuple[str, ...], rows: list[tuple], lines: list[int]) -> None:
        if not rows:
            return
        pks = create_rows_with_history(
            Organisation, fields, rows, user=self.user, reason=self.reason, history=self.history
        )
        code_at, name_at, kind_at = (fields.index(name) for name in ("ods_code", "name", "kind"))
        labels = {kind.value: kind.label for kind in Organisation.Kind}
        report_rows = self.report.rows
        for line, pk, row in zip(lines, pks, rows, strict=True):
            code = row[code_at]
            self.ids[code] = pk
            what = f"new organisation: {row[name_at]} ({labels[row[kind_at]]})"
            report_rows.append(Row(line, kind=NEW, key=code, description=what))
        self.report.new += len(rows)

    def _update(self, targets: list[tuple[OdsRecord, dict[str, object]]]) -> None:
        # The record's values and the organisation's are compared as tuples of the same fields.
        getters: dict[tuple[str, ...], operator.itemgetter] = {}
        changed: dict[tuple[str, ...], list[tuple]] = defaultdict(list)
        named_placeholders = unchanged = 0
        for record, values in targets:
            current = self.current[record.ods_code]
            if record.parent_code is not None:
                values["parent_id"] = self.ids.get(record.parent_code)
            fields = tuple(values)
            getter = getters.get(fields)
            if getter is None:
                # Two fields at least (the name and the type), so the getter gives a tuple.
                getter = getters[fields] = operator.itemgetter(*(_FIELD_INDEX[name] for name in fields))
            wanted = tuple(values.values())
            if getter(current) == wanted:
                unchanged += 1
                continue
            differences = {
                name: (current[_FIELD_INDEX[name]], value)
                for name, value in values.items()
                if current[_FIELD_INDEX[name]] != value
            }
            named_placeholders += "name" in differences and _is_placeholder(current, record.ods_code)
            self._describe_changes(record, current, differences)
            changed[fields].append((self.ids[record.ods_code], *wanted))
        self.report.unchanged += unchanged
        if named_placeholders:
            one = named_placeholders == 1
            self.report.notes.append(
                f"Named {named_placeholders} pharmacy compan{'y' if one else 'ies'} known until now only by "
                f"{'its code' if one else 'their codes'} (placeholder{'' if one else 's'} from a pharmacy file)."
            )
        for fields, rows in changed.items():
            update_rows_with_history(
                Organisation, fields, rows, user=self.user, reason=self.reason, now=self.now, history=self.history
            )
            self.report.changed += len(rows)

    def _describe_changes(self, record: OdsRecord, current: tuple, differences: dict[str, tuple]) -> None:
        current_kind = current[_KIND]
        if "kind" in differences and current_kind != Organisation.Kind.OTHER:
            self._warn(
                record,
                f"the type changes from {dict(Organisation.Kind.choices).get(current_kind, current_kind)} to "
                f"{Organisation.Kind(differences['kind'][1]).label}",
            )
        if current[_CLOSED_ON] is None and differences.get("closed_on", (None, None))[1] is not None:
            self.report.closed += 1
        self.report.rows.append(
            Row(
                record.line,
                kind=CHANGED,
                key=record.ods_code,
                description=differences["name"][1] if "name" in differences else current[_NAME],
                changes=[
                    (self._label(name), self._display(name, before), self._display(name, after))
                    for name, (before, after) in differences.items()
                ],
            )
        )

    def _derive_icb_regions(self) -> None:
        """An ICB with no region takes the region most of its organisations are in.

        The ICB names file has no region column, but the trusts and sub-ICB locations that
        belong to an ICB each carry one. One grouped query counts, for each ICB without a
        region, its organisations per region; the most common region wins (on a tie, the
        lowest region code). It runs after every import, so the regions appear once the
        trusts or sub-ICB locations have been imported after the ICB file.
        """
        tallies = (
            Organisation.objects.filter(
                parent_icb__kind=Organisation.Kind.ICB, parent_icb__region__isnull=True, region__isnull=False
            )
            .values_list("parent_icb", "region")
            .annotate(count=Count("pk"))
            .order_by("parent_icb", "-count", "region__code")
        )
        best: dict[int, int] = {}
        for icb_id, region_id, _ in tallies:
            best.setdefault(icb_id, region_id)
        if not best:
            return
        icbs = list(Organisation.objects.filter(pk__in=best))
        for icb in icbs:
            icb.region_id = best[icb.pk]
            icb.updated_at = self.now
        bulk_update_with_history(
            icbs,
            Organisation,
            fields=["region", "updated_at"],
            batch_size=BATCH_SIZE,
            default_user=self.user,
            default_change_reason=self.reason,
        )
        regions = Counter(self.region_names[icb.region_id] for icb in icbs)
        self.report.notes.append(
            f"Set the region of {len(icbs)} ICBs from the region most of their organisations are in ("
            + ", ".join(f"{name}: {count}" for name, count in sorted(regions.items()))
            + ")."
        )

    @staticmethod
    def _label(name: str) -> str:
        return str(Organisation._meta.get_field(name.removesuffix("_id")).verbose_name)

    def _display(self, name: str, value) -> str:
        if value is None:
            return ""
        if name == "region_id":
            return self.region_names.get(value, str(value))
        if name in ("parent_icb_id", "parent_id"):
            if self.codes_by_id is None:
                self.codes_by_id = {pk: code for code, pk in self.ids.items()}
            return self.codes_by_id.get(value, str(value))
        if name == "kind":
            return Organisation.Kind(value).label
        return str(value)
