"""Workflows on organisations that span several records: the ODS import.

`ods_import` reads an ODS file (organisations.ods), checks every row and applies them all or none,
reporting in the portal's one import vocabulary (msonet.reports.ImportReport): the `import_ods`
command, the lead's import jobs (imports.services) and the admin's import screen all call it.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import PurePath

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from msonet.bulk import create_with_history
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
    with transaction.atomic():
        _OdsApply(records, report, kind=kind, user=user, reason=change_reason(f"ODS import {file_name}".strip())).run()
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


def _is_placeholder(current: dict, ods_code: str) -> bool:
    """A pharmacy company known only by its code (created for a pharmacy file's head-office code)."""
    return current["kind"] == Organisation.Kind.PHARMACY_COMPANY and current["name"] == ods_code


class _OdsApply:
    """Applies checked records. One query loads the ODS fields of every organisation; the
    differences are worked out in Python; the writes go in bulk, each with its history."""

    def __init__(self, records: list[OdsRecord], report: ImportReport, *, kind: ImportKind, user, reason: str):
        self.records = records
        self.report = report
        self.kind = kind
        self.user = user
        self.reason = reason
        self.now = timezone.now()
        self.regions = {region.code: region for region in Region.objects.all()}
        self.region_names = {region.pk: region.name for region in self.regions.values()}
        # ODS code -> the organisation's current ODS fields (and pk), as a dict.
        self.current = {row["ods_code"]: row for row in Organisation.objects.values("pk", "ods_code", *ODS_FIELDS)}
        self.icb_ids = {code: row["pk"] for code, row in self.current.items() if row["kind"] == Organisation.Kind.ICB}
        self.codes_by_id: dict[int, str] | None = None  # built when a change to a parent is described

    def run(self) -> None:
        targets = [(record, self._target(record)) for record in self.records]
        new = [(record, values) for record, values in targets if record.ods_code not in self.current]
        existing = [(record, values) for record, values in targets if record.ods_code in self.current]
        self._create_placeholder_companies()
        self._create(new)
        self._update(existing)
        self._derive_icb_regions()

    def _warn(self, record: OdsRecord, message: str, *, kind: str = "") -> None:
        self.report.warnings.append(RowError(record.line, "", message, kind))

    def _target(self, record: OdsRecord) -> dict[str, object]:
        """The field values the record asks for, with codes resolved to ids (warning when unknown)."""
        values = dict(record.values)
        if record.region_code is not None:
            region = self.regions.get(record.region_code)
            values["region_id"] = region.pk if region else None
            if record.region_code in NO_REGION_CODES:
                if self.kind.regional:
                    self._warn(record, NO_REGION_WARNING)
            elif region is None:
                self._warn(record, f"region code {record.region_code} is not known; no region set")
        if record.icb_code is not None:
            values["parent_icb_id"] = self.icb_ids.get(record.icb_code)
            if record.icb_code and values["parent_icb_id"] is None:
                self._warn(record, f"ICB code {record.icb_code} is not known; parent ICB left empty")
        return values

    def _id_of(self, code: str) -> int | None:
        row = self.current.get(code)
        return row["pk"] if row else None

    def _create_placeholder_companies(self) -> None:
        """A pharmacy's head-office company that is not known yet is created under its code."""
        file_codes = {record.ods_code for record in self.records}
        first_lines: dict[str, OdsRecord] = {}
        for record in self.records:
            code = record.parent_code
            if code and code not in self.current and code not in file_codes and code not in first_lines:
                first_lines[code] = record
                self._warn(
                    record,
                    f"head-office company {code} is not known: created a placeholder pharmacy company named {code}",
                    kind=PLACEHOLDER_WARNING,
                )
        placeholders = [
            Organisation(ods_code=code, name=code, kind=Organisation.Kind.PHARMACY_COMPANY) for code in first_lines
        ]
        self._bulk_create(placeholders, [first_lines[code].line for code in first_lines])
        if placeholders:
            count = len(placeholders)
            self.report.notes.append(
                f"Created {count} placeholder pharmacy compan{'y' if count == 1 else 'ies'}, named after "
                f"{'its code' if count == 1 else 'their codes'}: until the ODS pharmacy head-office file "
                f"(epharmacyhq) is imported, {'it is' if count == 1 else 'they are'} shown as "
                f"'{placeholders[0].display_name}'."
            )

    def _create(self, targets: list[tuple[OdsRecord, dict[str, object]]]) -> None:
        # A parent must exist before its children are created; parents listed in the same file
        # are created first. Parents that refer to each other in a loop are left empty.
        pending = targets
        while pending:
            ready = [(r, v) for r, v in pending if not r.parent_code or r.parent_code in self.current]
            if not ready:
                ready = pending
                for record, _ in ready:
                    self._warn(record, f"head-office company {record.parent_code} loops back; parent left empty")
            ready_codes = {record.ods_code for record, _ in ready}
            organisations = []
            for record, values in ready:
                if record.parent_code is not None:
                    values["parent_id"] = self._id_of(record.parent_code)
                organisations.append(Organisation(ods_code=record.ods_code, **values))
            self._bulk_create(organisations, [record.line for record, _ in ready])
            pending = [(r, v) for r, v in pending if r.ods_code not in ready_codes]

    def _bulk_create(self, organisations: list[Organisation], lines: list[int]) -> None:
        if not organisations:
            return
        created = create_with_history(organisations, Organisation, user=self.user, reason=self.reason)
        for line, organisation in zip(lines, created, strict=True):
            self.current[organisation.ods_code] = {"pk": organisation.pk, "kind": organisation.kind}
            what = f"new organisation: {organisation.name} ({Organisation.Kind(organisation.kind).label})"
            self.report.rows.append(Row(line, kind=NEW, key=organisation.ods_code, description=what))
        self.report.new += len(created)

    def _update(self, targets: list[tuple[OdsRecord, dict[str, object]]]) -> None:
        differences_by_code: dict[str, tuple[OdsRecord, dict[str, tuple]]] = {}
        named_placeholders = 0
        for record, values in targets:
            current = self.current[record.ods_code]
            if record.parent_code is not None:
                values["parent_id"] = self._id_of(record.parent_code)
            differences = {name: (current[name], value) for name, value in values.items() if current[name] != value}
            if differences:
                differences_by_code[record.ods_code] = (record, differences)
                named_placeholders += "name" in differences and _is_placeholder(current, record.ods_code)
            else:
                self.report.unchanged += 1
        if named_placeholders:
            one = named_placeholders == 1
            self.report.notes.append(
                f"Named {named_placeholders} pharmacy compan{'y' if one else 'ies'} known until now only by "
                f"{'its code' if one else 'their codes'} (placeholder{'' if one else 's'} from a pharmacy file)."
            )
        if not differences_by_code:
            return
        # Only the changed organisations are loaded whole: their history records need every field.
        pks = [self.current[code]["pk"] for code in differences_by_code]
        same_change: dict[tuple, list[Organisation]] = defaultdict(list)
        for organisation in Organisation.objects.in_bulk(pks).values():
            record, differences = differences_by_code[organisation.ods_code]
            self._apply_changes(record, organisation, differences)
            fields = tuple(sorted(differences))
            same_change[fields, tuple(differences[name][1] for name in fields)].append(organisation)
        # Many organisations given the same new values (a new ICB after a merger, say) take one UPDATE;
        # the rest are written in groups that changed the same fields. Either way with their history.
        by_fields: dict[tuple[str, ...], list[Organisation]] = defaultdict(list)
        for (fields, values), organisations in same_change.items():
            if len(organisations) == 1:
                by_fields[fields].extend(organisations)
                continue
            for start in range(0, len(organisations), BATCH_SIZE):
                batch = organisations[start : start + BATCH_SIZE]
                Organisation.objects.filter(pk__in=[o.pk for o in batch]).update(
                    **dict(zip(fields, values, strict=True)), updated_at=self.now
                )
            Organisation.history.bulk_history_create(
                organisations,
                batch_size=BATCH_SIZE,
                update=True,
                default_user=self.user,
                default_change_reason=self.reason,
            )
        for fields, organisations in by_fields.items():
            bulk_update_with_history(
                organisations,
                Organisation,
                fields=[*fields, "updated_at"],
                batch_size=BATCH_SIZE,
                default_user=self.user,
                default_change_reason=self.reason,
            )
        self.report.changed += len(differences_by_code)

    def _apply_changes(self, record: OdsRecord, organisation: Organisation, differences: dict[str, tuple]) -> None:
        if "kind" in differences and organisation.kind != Organisation.Kind.OTHER:
            self._warn(
                record,
                f"the type changes from {organisation.get_kind_display()} to "
                f"{Organisation.Kind(differences['kind'][1]).label}",
            )
        if organisation.closed_on is None and differences.get("closed_on", (None, None))[1] is not None:
            self.report.closed += 1
        for name, (_, value) in differences.items():
            setattr(organisation, name, value)
        organisation.updated_at = self.now
        self.report.rows.append(
            Row(
                record.line,
                kind=CHANGED,
                key=organisation.ods_code,
                description=organisation.name,
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
                self.codes_by_id = {row["pk"]: code for code, row in self.current.items()}
            return self.codes_by_id.get(value, str(value))
        if name == "kind":
            return Organisation.Kind(value).label
        return str(value)
