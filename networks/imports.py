"""Network memberships: a person (by work email) in a network (by its slug), with a role and dates.

A membership is identified by its person, network and joining date. The person and the network
must exist already (import people first). The database's rules are checked on each line before
anything is written, and back the checks up: one current membership per person and network, one
current chair per network, and no leaving date before the joining date. A row that would give a
network a second chair names the current one; end their chair role in the same file (a leaving
date) first. Nothing is deleted. Every created or changed membership gets a history record with
the importing user and the reason "Import of network memberships from <file>".
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from simple_history.utils import bulk_update_with_history

from msonet.bulk import create_with_history
from msonet.columns import Column, RowReader, choice_display, chunked, display, map_columns
from msonet.reports import CHANGED, NEW, ImportReport, Row, RowError, history_reason
from msonet.uploads import Table
from officers.models import Person, by_surname

from .models import Membership, Network

WHAT = "network memberships"
BATCH_SIZE = 1000

COLUMNS = (
    Column("work_email", "Work email", required=True, aliases=("email",)),
    Column("name", "Name", imported=False),
    Column("network", "Network", required=True, aliases=("network slug",)),
    Column("network_name", "Network name", imported=False),
    Column("role", "Role"),
    Column("joined_on", "Joined on", required=True, aliases=("joined",)),
    Column("left_on", "Left on", aliases=("left",)),
)
HEADERS = {column.key: column.header for column in COLUMNS}
FIELDS = ("role", "left_on")

RACE_MESSAGE = "The records changed while the file was being imported, so nothing was imported. Check the file again."


def _constraint_message(name: str) -> str:
    for constraint in Membership._meta.constraints:
        if constraint.name == name:
            return str(constraint.violation_error_message)
    raise LookupError(name)


LEFT_BEFORE_JOINED = _constraint_message("membership_left_not_before_joined")


@dataclass
class ParsedRow:
    line: int
    email: str
    slug: str
    joined_on: datetime.date | None
    values: dict
    unread: frozenset[str] = frozenset()  # the columns (keys) whose cells could not be read

    def read(self, key: str) -> bool:
        return key not in self.unread


def memberships_import(*, table: Table, file_name: str, user=None, dry_run: bool = True) -> ImportReport:
    """Check every row in full and, unless `dry_run` or any row is bad, apply them all in one
    transaction. The report lists every error of every row (a cell that cannot be read does not stop
    the rules being checked on the rest of its row, nor on the other rows), and counts and lists the
    rows without an error as they would be written."""
    report = ImportReport(dataset="memberships", file_name=file_name, dry_run=dry_run)
    positions = map_columns(table, COLUMNS, report)
    if positions is None:
        return report
    parsed = []
    for line, values in table.rows:
        row = RowReader(line, values, positions, HEADERS)
        email = row.model_value("work_email", Person._meta.get_field("work_email"), required=True)
        slug = row.text("network").strip().lower()
        if not slug:
            row.error("network", "is empty")
        joined_on = row.date("joined_on", required=True)
        values_present: dict[str, object] = {}
        if row.has("role"):
            values_present["role"] = row.choice("role", Membership.Role) or Membership.Role.MEMBER
        if row.has("left_on"):
            values_present["left_on"] = row.date("left_on")
        unread = {error.column for error in row.errors}
        report.errors.extend(row.errors)
        parsed.append(
            ParsedRow(
                line,
                str(email).lower(),
                slug,
                joined_on,
                values_present,
                unread=frozenset(key for key, header in HEADERS.items() if header in unread),
            )
        )
    try:
        with transaction.atomic():
            _MembershipsApply(parsed, report, user=user, reason=history_reason(file_name, WHAT)).run()
            if dry_run or report.errors:
                transaction.set_rollback(True)
    except IntegrityError:
        report.errors.append(RowError(None, "", RACE_MESSAGE))
    report.errors.sort(key=lambda error: error.line or 0)
    return report


class _MembershipsApply:
    def __init__(self, parsed: list[ParsedRow], report: ImportReport, *, user, reason: str):
        self.parsed = parsed
        self.report = report
        self.user = user
        self.reason = reason

    def _error(self, line: int, key: str, message: str) -> None:
        self.report.errors.append(RowError(line, HEADERS[key], message))

    def run(self) -> None:
        self._load()
        self._check()
        if self.report.errors or self.report.dry_run:
            return
        self._write()

    def _count(self, previews: list[Row]) -> None:
        """The rows without an error, counted (and listed) beside the errors, as they would be written."""
        lines_with_errors = self.report.lines_with_errors
        for preview in previews:
            if preview.line not in lines_with_errors:
                self.report.count(preview)

    def _load(self) -> None:
        emails = sorted({row.email for row in self.parsed})
        self.people: dict[str, dict] = {}
        for chunk in chunked(emails):
            for values in (
                Person.objects.annotate(email_lower=Lower("work_email"))
                .filter(email_lower__in=chunk)
                .values("pk", "email_lower", "first_name", "last_name")
            ):
                self.people[values["email_lower"]] = values
        slugs = sorted({row.slug for row in self.parsed})
        networks = Network.objects.filter(slug__in=slugs)
        if not self.report.dry_run:
            # Memberships of one network are written one import (or admin save) at a time.
            networks = networks.select_for_update()
        self.networks = {values["slug"]: values for values in networks.order_by("pk").values("pk", "slug", "name")}
        network_ids = [values["pk"] for values in self.networks.values()]
        # Every membership of those networks: the file's rows are matched to them, and the current
        # chairs and members are counted against them.
        self.memberships: dict[tuple, dict] = {}
        self.current_by_person: dict[tuple[int, int], list[dict]] = defaultdict(list)
        self.current_chairs: dict[int, list[dict]] = defaultdict(list)
        for values in (
            Membership.objects.filter(network_id__in=network_ids)
            .order_by("-pk")
            .values(
                "pk",
                "person_id",
                "network_id",
                "joined_on",
                "role",
                "left_on",
                "person__first_name",
                "person__last_name",
                "person__work_email",
            )
        ):
            self.memberships[values["person_id"], values["network_id"], values["joined_on"]] = values
            if values["left_on"] is None:
                self.current_by_person[values["person_id"], values["network_id"]].append(values)
                if values["role"] == Membership.Role.CHAIR:
                    self.current_chairs[values["network_id"]].append(values)

    def _check(self) -> None:
        seen: dict[tuple, int] = {}
        self.new: list[tuple[ParsedRow, dict]] = []
        self.changed: dict[int, dict] = {}
        # What the file leaves current: (person, network) and chairs per network, with the row.
        current_rows: dict[tuple[int, int], list[tuple[ParsedRow, int | None]]] = defaultdict(list)
        chair_rows: dict[int, list[tuple[ParsedRow, int | None]]] = defaultdict(list)
        ending: set[int] = set()  # current memberships the file ends
        stepping_down: set[int] = set()  # current chairs the file makes something else (or ends)
        previews: list[Row] = []
        for row in self.parsed:
            person = self.people.get(row.email) if row.read("work_email") else None
            network = self.networks.get(row.slug) if row.slug else None
            if person is None and row.read("work_email"):
                self._error(
                    row.line,
                    "work_email",
                    f"no person has the work email {row.email}; import them with the people import first",
                )
            if network is None and row.slug:
                self._error(row.line, "network", f"no network has the slug {row.slug!r}")
            if person is None or network is None or row.joined_on is None:
                continue
            key = (person["pk"], network["pk"], row.joined_on)
            if key in seen:
                self._error(row.line, "joined_on", f"the same membership is also on line {seen[key]}")
                continue
            seen[key] = row.line
            current = self.memberships.get(key)
            target = {
                "role": row.values.get("role", current["role"] if current else Membership.Role.MEMBER),
                "left_on": row.values.get("left_on", current["left_on"] if current else None),
            }
            # A role or leaving date that could not be read is reported; the rules that depend on it
            # are not checked against a guess.
            rules_read = row.read("role") and row.read("left_on")
            if row.read("left_on") and target["left_on"] is not None and target["left_on"] < row.joined_on:
                self._error(row.line, "left_on", LEFT_BEFORE_JOINED)
            name = f"{person['first_name']} {person['last_name']}"
            what = f"{name} in {network['name']}"
            if current is None:
                self.new.append((row, target))
                role = choice_display(Membership.Role, target["role"]).lower()
                previews.append(
                    Row(
                        row.line,
                        kind=NEW,
                        key=f"{row.email} / {row.slug}",
                        description=f"new membership: {what}, {role} from {row.joined_on}",
                    )
                )
            else:
                differences = {name: value for name, value in target.items() if current[name] != value}
                changes = [
                    (_label(name), _display(name, current[name]), _display(name, value))
                    for name, value in differences.items()
                ]
                if differences:
                    self.changed[current["pk"]] = differences
                previews.append(
                    Row(row.line, kind=CHANGED, key=f"{row.email} / {row.slug}", description=what, changes=changes)
                )
                if rules_read and current["left_on"] is None and target["left_on"] is not None:
                    ending.add(current["pk"])
                chair_now = current["left_on"] is None and current["role"] == Membership.Role.CHAIR
                leaves_chair = target["role"] != Membership.Role.CHAIR or target["left_on"] is not None
                if rules_read and chair_now and leaves_chair:
                    stepping_down.add(current["pk"])
            if not rules_read:
                continue
            pk = current["pk"] if current else None
            if target["left_on"] is None:
                current_rows[person["pk"], network["pk"]].append((row, pk))
                if target["role"] == Membership.Role.CHAIR:
                    chair_rows[network["pk"]].append((row, pk))
        self._check_one_current(current_rows, ending)
        self._check_one_chair(chair_rows, stepping_down)
        self._count(previews)

    def _check_one_current(self, current_rows, ending: set[int]) -> None:
        for (person_id, network_id), rows in current_rows.items():
            in_file = {pk for _, pk in rows if pk is not None}
            others = [
                values
                for values in self.current_by_person.get((person_id, network_id), [])
                if values["pk"] not in ending and values["pk"] not in in_file
            ]
            kept = others[:1] or [None]
            first = None
            for row, _pk in sorted(rows, key=lambda item: (item[1] is None, item[0].line)):
                if kept[0] is None and first is None:
                    first = row
                    continue
                if kept[0] is not None:
                    since = kept[0]["joined_on"].isoformat()
                    message = (
                        f"{row.email} is already a current member of this network (since {since}); give that "
                        "membership a leaving date in this file first"
                    )
                else:
                    message = f"line {first.line} already makes {row.email} a current member of this network"
                self._error(row.line, "joined_on", message)

    def _check_one_chair(self, chair_rows, stepping_down: set[int]) -> None:
        for network_id, rows in chair_rows.items():
            in_file = {pk for _, pk in rows if pk is not None}
            staying = [
                values
                for values in self.current_chairs.get(network_id, [])
                if values["pk"] not in stepping_down and values["pk"] not in in_file
            ]
            network = next(values for values in self.networks.values() if values["pk"] == network_id)
            first = None
            for row, _pk in sorted(rows, key=lambda item: (item[1] is None, item[0].line)):
                if staying:
                    chair = staying[0]
                    message = (
                        f"{network['name']} already has a chair, {chair['person__first_name']} "
                        f"{chair['person__last_name']} ({chair['person__work_email']}); a network has one chair. "
                        "End their chair role in this file (a leaving date, or another role) first"
                    )
                elif first is None:
                    first = row
                    continue
                else:
                    message = f"line {first.line} already makes {first.email} the chair of {network['name']}"
                self._error(row.line, "role", message)

    def _write(self) -> None:
        if self.changed:
            leaving, others = [], []
            fields: set[str] = set()
            for membership in Membership.objects.in_bulk(list(self.changed)).values():
                differences = self.changed[membership.pk]
                frees = membership.left_on is None and (
                    differences.get("left_on") is not None
                    or (membership.role == Membership.Role.CHAIR and "role" in differences)
                )
                for name, value in differences.items():
                    setattr(membership, name, value)
                    fields.add(name)
                (leaving if frees else others).append(membership)
            # Memberships that end (or a chair stepping down) first, so that the place is free
            # before the file gives it to someone else (the database checks each statement).
            for group in (leaving, others):
                if group:
                    bulk_update_with_history(
                        group,
                        Membership,
                        fields=sorted(fields),
                        batch_size=BATCH_SIZE,
                        default_user=self.user,
                        default_change_reason=self.reason,
                    )
        memberships = [
            Membership(
                person_id=self.people[row.email]["pk"],
                network_id=self.networks[row.slug]["pk"],
                joined_on=row.joined_on,
                **target,
            )
            for row, target in self.new
        ]
        create_with_history(memberships, Membership, user=self.user, reason=self.reason)


def _label(name: str) -> str:
    label = str(Membership._meta.get_field(name).verbose_name)
    return label[:1].upper() + label[1:]


def _display(name: str, value) -> str:
    if name == "role":
        return choice_display(Membership.Role, value)
    return display(value)


# Export

EXPORT_HEADERS = [column.header for column in COLUMNS]


def export_queryset():
    return Membership.objects.select_related("person", "network").order_by(
        Lower("network__name"), *by_surname("person__"), "joined_on", "pk"
    )


def export_count() -> int:
    return Membership.objects.count()


def export_rows(memberships=None):
    if memberships is None:
        memberships = export_queryset()
    for membership in memberships.iterator(chunk_size=2000):
        yield [
            membership.person.work_email,
            membership.person.full_name,
            membership.network.slug,
            membership.network.name,
            membership.get_role_display(),
            membership.joined_on,
            membership.left_on,
        ]
