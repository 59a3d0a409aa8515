"""People and their appointments, one row per appointment (a person with none has one row without).

The work email is the person's key (any case); an appointment is identified by its person,
organisation (ODS code), role and start date. A column left out of the file leaves that field as
it is; a column present but blank clears it (the names, which every person needs, excepted).
A person on several rows must have the same details on each. Nothing is deleted.

Approval: the national lead, who approves registrations, is the only one who can import, so an
imported appointment takes effect when the lead confirms the preview, as an approved registration
does. What approval never does, the import never does either:

- a named role (MSO or MDSO) that someone else holds is not taken over. A row that would make a
  second active named officer at an organisation is an error on that line, naming the holder; end
  the holder's appointment in the same file (status "ended" with an end date), or start a handover
  from their page. The database's one_active_named_officer_per_role index backs the check;
- pending and rejected appointments come only from registration requests and handovers: an import
  creates active or ended appointments, and leaves the status of a pending or rejected one alone;
- nobody is made an active officer of a closed organisation (registration offers open ones only).

Organisations named in the file's rows with a named role are locked while the import writes, as
approving a registration locks its organisation, so the two cannot both appoint a named officer.
Every created or changed person and appointment gets a history record with the importing user and
the reason "Import of people and appointments from <file>".
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from msonet.bulk import create_with_history
from msonet.columns import Column, RowReader, choice_display, chunked, display, map_columns
from msonet.reports import CHANGED, NEW, ImportReport, Row, RowError, history_reason
from msonet.uploads import Table
from msonet.validators import tidy_phone, validate_uk_phone
from organisations.models import Organisation

from .models import Appointment, Person, Profession

WHAT = "people and appointments"
BATCH_SIZE = 1000

COLUMNS = (
    Column("work_email", "Work email", required=True, aliases=("email",)),
    Column("first_name", "First name", required=True),
    Column("last_name", "Last name", required=True, aliases=("surname",)),
    Column("job_title", "Job title"),
    Column("profession", "Profession"),
    Column("registration_number", "Professional registration number", aliases=("registration number",)),
    Column("phone", "Work telephone", aliases=("phone", "telephone")),
    Column("ods_code", "Organisation ODS code", aliases=("ods code", "organisation code")),
    Column("organisation_name", "Organisation", imported=False),
    Column("role", "Role"),
    Column("status", "Status"),
    Column("start_date", "Start date"),
    Column("end_date", "End date"),
    Column("mhra_registered_on", "Registered with the MHRA on", aliases=("mhra date", "mhra registered on")),
    Column("mhra_reference", "MHRA registration reference", aliases=("mhra reference",)),
)
HEADERS = {column.key: column.header for column in COLUMNS}

PERSON_FIELDS = ("first_name", "last_name", "job_title", "profession", "registration_number", "phone")
APPOINTMENT_FIELDS = ("status", "end_date", "mhra_registered_on", "mhra_reference")
APPOINTMENT_COLUMNS = ("ods_code", "role", "status", "start_date", "end_date", "mhra_registered_on", "mhra_reference")
IMPORTABLE_STATUSES = (Appointment.Status.ACTIVE, Appointment.Status.ENDED)

NOT_IMPORTED_STATUS = (
    "an import makes appointments active or ended only; pending and rejected appointments come from "
    "registration requests and handovers"
)
DECIDED_ELSEWHERE = "this appointment is {status}: its status changes only through its registration request or handover"
RACE_MESSAGE = "The records changed while the file was being imported, so nothing was imported. Check the file again."


def _constraint_message(name: str) -> str:
    for constraint in Appointment._meta.constraints:
        if constraint.name == name:
            return str(constraint.violation_error_message)
    raise LookupError(name)


END_BEFORE_START = _constraint_message("appointment_end_not_before_start")
ENDED_NEEDS_END_DATE = _constraint_message("appointment_ended_has_end_date")


@dataclass
class ParsedRow:
    line: int
    email: str  # lower case
    person: dict[str, object]
    ods_code: str = ""
    role: str = ""
    start_date: datetime.date | None = None
    appointment: dict[str, object] = field(default_factory=dict)  # the appointment columns present
    has_appointment: bool = False
    unread: frozenset[str] = frozenset()  # the columns (keys) whose cells could not be read

    def read(self, key: str) -> bool:
        return key not in self.unread


def people_import(*, table: Table, file_name: str, user=None, dry_run: bool = True) -> ImportReport:
    """Check every row of the table in full and, unless `dry_run` or any row is bad, apply them all
    in one transaction. The report lists every error of every row (a cell that cannot be read does
    not stop the rules being checked on the rest of its row, nor on the other rows), and each new or
    changed row without an error, with its field-level changes, counted as it would be written."""
    report = ImportReport(dataset="people", file_name=file_name, dry_run=dry_run)
    positions = map_columns(table, COLUMNS, report)
    if positions is None:
        return report
    parsed = _parse_rows(table, positions, report)
    try:
        with transaction.atomic():
            _PeopleApply(parsed, positions, report, user=user, reason=history_reason(file_name, WHAT)).run()
            if dry_run or report.errors:
                transaction.set_rollback(True)
    except IntegrityError:
        report.errors.append(RowError(None, "", RACE_MESSAGE))
    report.errors.sort(key=lambda error: error.line or 0)
    return report


def _parse_rows(table: Table, positions: dict[str, int], report: ImportReport) -> list[ParsedRow]:
    person_fields = {name: Person._meta.get_field(name) for name in ("work_email", *PERSON_FIELDS)}
    mhra_reference = Appointment._meta.get_field("mhra_reference")
    parsed = []
    for line, values in table.rows:
        row = RowReader(line, values, positions, HEADERS)
        email = row.model_value("work_email", person_fields["work_email"], required=True)
        person: dict[str, object] = {}
        for name in PERSON_FIELDS:
            if not row.has(name):
                continue
            if name == "profession":
                person[name] = row.choice(name, Profession)
            elif name == "phone":
                # In the national format when valid; checked once compared with the stored number.
                person[name] = tidy_phone(row.text(name))
            else:
                person[name] = row.model_value(name, person_fields[name], required=name in ("first_name", "last_name"))
        item = ParsedRow(line=line, email=str(email).lower(), person=person)
        if any(row.text(key) for key in APPOINTMENT_COLUMNS if row.has(key)):
            item.has_appointment = True
            item.ods_code = row.text("ods_code").upper()
            if not item.ods_code:
                row.error("ods_code", "is empty: an appointment needs its organisation")
            item.role = row.choice("role", Appointment.Role, required=True)
            item.start_date = row.date("start_date", required=True)
            if row.has("status") and row.text("status"):
                item.appointment["status"] = row.choice("status", Appointment.Status)
            for name in ("end_date", "mhra_registered_on"):
                if row.has(name):
                    item.appointment[name] = row.date(name)
            if row.has("mhra_reference"):
                item.appointment["mhra_reference"] = row.model_value("mhra_reference", mhra_reference)
        unread = {error.column for error in row.errors}
        item.unread = frozenset(key for key, header in HEADERS.items() if header in unread)
        report.errors.extend(row.errors)
        parsed.append(item)
    return parsed


class _PeopleApply:
    """Checks the parsed rows against the database (one query per kind of record, in chunks) and,
    when every row is good, writes them in bulk, each record with its history."""

    def __init__(self, parsed: list[ParsedRow], positions, report: ImportReport, *, user, reason: str):
        self.parsed = parsed
        self.positions = positions
        self.report = report
        self.user = user
        self.reason = reason
        self.now = timezone.now()
        self.today = timezone.localdate()

    def _error(self, line: int, key: str, message: str) -> None:
        self.report.errors.append(RowError(line, HEADERS[key] if key else "", message))

    def run(self) -> None:
        self._load()
        previews = self._check_people()
        self._check_appointments(previews)
        # The rows without an error are counted (and listed) beside the errors, as they would be written.
        lines_with_errors = self.report.lines_with_errors
        for line in sorted(previews):
            if line not in lines_with_errors:
                self.report.count(previews[line])
        if not self.report.dry_run and not self.report.errors:
            self._write()

    # Loading: every record the file names, in a few queries.

    def _load(self) -> None:
        emails = sorted({row.email for row in self.parsed})
        self.people: dict[str, dict] = {}
        for chunk in chunked(emails):
            for values in (
                Person.objects.annotate(email_lower=Lower("work_email"))
                .filter(email_lower__in=chunk)
                .values("pk", "email_lower", "work_email", *PERSON_FIELDS)
            ):
                self.people[values["email_lower"]] = values
        codes = sorted({row.ods_code for row in self.parsed if row.ods_code})
        named_codes = sorted(
            {row.ods_code for row in self.parsed if row.ods_code and row.role in Appointment.NAMED_ROLES}
        )
        if named_codes and not self.report.dry_run:
            # The same lock as approving a registration takes, so the two cannot both appoint.
            for chunk in chunked(named_codes):
                list(Organisation.objects.select_for_update().filter(ods_code__in=chunk).order_by("pk").values("pk"))
        self.organisations: dict[str, dict] = {}
        for chunk in chunked(codes):
            for values in Organisation.objects.filter(ods_code__in=chunk).values("pk", "ods_code", "name", "closed_on"):
                self.organisations[values["ods_code"]] = values
        self.appointments: dict[tuple, dict] = {}
        person_ids = sorted(values["pk"] for values in self.people.values())
        for chunk in chunked(person_ids):
            for values in (
                Appointment.objects.filter(person_id__in=chunk)
                .order_by("-pk")
                .values("pk", "person_id", "organisation_id", "role", "start_date", *APPOINTMENT_FIELDS)
            ):
                key = (values["person_id"], values["organisation_id"], values["role"], values["start_date"])
                self.appointments[key] = values  # the lowest pk wins when two share a key
        # The active named officers of the organisations the file gives a named role.
        named_ids = sorted({self.organisations[code]["pk"] for code in named_codes if code in self.organisations})
        self.holders: dict[tuple[int, str], list[dict]] = defaultdict(list)
        for chunk in chunked(named_ids):
            for values in (
                Appointment.objects.current()
                .named()
                .filter(organisation_id__in=chunk)
                .values(
                    "pk", "organisation_id", "role", "person__first_name", "person__last_name", "person__work_email"
                )
            ):
                self.holders[values["organisation_id"], values["role"]].append(values)

    # Checking

    def _check_people(self) -> dict[int, Row]:
        """A preview per line; new and changed people, checked for rows that disagree."""
        previews: dict[int, Row] = {}
        first_line: dict[str, ParsedRow] = {}
        self.new_people: dict[str, ParsedRow] = {}
        self.changed_people: dict[int, dict[str, object]] = {}
        for row in self.parsed:
            preview = Row(row.line, kind=CHANGED, key=row.email)
            previews[row.line] = preview
            if not row.read("work_email"):
                continue  # no person to check the details of (the email's error is reported)
            earlier = first_line.get(row.email)
            if earlier is not None:
                preview.description = f"{_name(earlier.person, self.people.get(row.email))} (as on line {earlier.line})"
                for name, value in row.person.items():
                    if not (row.read(name) and earlier.read(name)):
                        continue  # a cell that could not be read is reported, not compared
                    if name in earlier.person and earlier.person[name] != value:
                        self._error(
                            row.line,
                            name,
                            f"differs from line {earlier.line} for the same person "
                            f"({display(earlier.person[name]) or 'blank'} there)",
                        )
                continue
            first_line[row.email] = row
            current = self.people.get(row.email)
            # A telephone number is checked as the forms check it when the file sets it; one stored
            # before that check existed is left alone, so an exported file can be imported again,
            # and so is one stored as the file has it written another way ("02079460000").
            phone = row.person.get("phone")
            if phone and current is not None and current["phone"] != phone and tidy_phone(current["phone"]) == phone:
                row.person["phone"] = phone = current["phone"]
            if phone and (current is None or current["phone"] != phone):
                try:
                    validate_uk_phone(phone)
                except ValidationError as exc:
                    self._error(row.line, "phone", " ".join(exc.messages))
            if current is None:
                self.new_people[row.email] = row
                preview.kind = NEW
                preview.description = f"new person: {_name(row.person, None)}"
                continue
            differences = {name: value for name, value in row.person.items() if current[name] != value}
            preview.description = _name(row.person, current)
            if differences:
                self.changed_people[current["pk"]] = differences
                preview.changes.extend(
                    (_label(Person, name), _person_display(name, current[name]), _person_display(name, value))
                    for name, value in differences.items()
                )
        return previews

    def _check_appointments(self, previews: dict[int, Row]) -> None:
        seen: dict[tuple, int] = {}
        self.new_appointments: list[tuple[ParsedRow, dict]] = []
        self.changed_appointments: dict[int, tuple[ParsedRow, dict]] = {}
        # (organisation id, role) -> the file's rows that leave an appointment active: (row, pk or None)
        made_active: dict[tuple[int, str], list[tuple[ParsedRow, int | None, bool]]] = defaultdict(list)
        no_longer_active: set[int] = set()
        for row in self.parsed:
            if not row.has_appointment or not row.ods_code:
                continue
            organisation = self.organisations.get(row.ods_code)
            if organisation is None:
                self._error(row.line, "ods_code", f"no organisation has the ODS code {row.ods_code}")
            if not row.role or row.start_date is None:
                continue  # the appointment cannot be told from another (its cells' errors are reported)
            person = self.people.get(row.email) if row.read("work_email") else None
            if organisation is not None and row.read("work_email"):
                key = (row.email, organisation["pk"], row.role, row.start_date)
                if key in seen:
                    self._error(row.line, "start_date", f"the same appointment is also on line {seen[key]}")
                    continue
                seen[key] = row.line
            current = (
                self.appointments.get((person["pk"], organisation["pk"], row.role, row.start_date))
                if person and organisation
                else None
            )
            status = row.appointment.get("status") or (current["status"] if current else Appointment.Status.ACTIVE)
            # A status or an end date that could not be read (or a status an import may not set) is
            # reported; the rules that depend on it are not checked against a guess.
            status_read = row.read("status") and self._check_status(row, current, status)
            end_read = row.read("end_date")
            target = {
                name: row.appointment.get(name, current[name] if current else None) for name in APPOINTMENT_FIELDS
            }
            target["status"] = status
            if target["mhra_reference"] is None:
                target["mhra_reference"] = ""
            becomes_active = status == Appointment.Status.ACTIVE and (
                current is None or current["status"] != Appointment.Status.ACTIVE
            )
            closed_on = organisation["closed_on"] if organisation else None
            if status_read and becomes_active and closed_on and closed_on <= self.today:
                self._error(
                    row.line,
                    "ods_code",
                    f"{organisation['name']} ({row.ods_code}) closed on {closed_on.isoformat()}: "
                    "nobody can be made an active officer there",
                )
            if status_read and end_read and status == Appointment.Status.ENDED and target["end_date"] is None:
                self._error(row.line, "end_date", ENDED_NEEDS_END_DATE)
            if end_read and target["end_date"] is not None and target["end_date"] < row.start_date:
                self._error(row.line, "end_date", END_BEFORE_START)
            if organisation is None:
                continue
            what = f"{choice_display(Appointment.Role, row.role)} at {organisation['name']} ({row.ods_code})"
            preview = previews[row.line]
            if current is None:
                self.new_appointments.append((row, target))
                preview.kind = NEW
                status_text = choice_display(Appointment.Status, status).lower()
                preview.description = _join(
                    preview.description, f"new appointment: {what} from {row.start_date.isoformat()}, {status_text}"
                )
            else:
                differences = {name: value for name, value in target.items() if current[name] != value}
                if differences:
                    self.changed_appointments[current["pk"]] = (row, differences)
                    preview.changes.extend(
                        (
                            f"{what}: {_label(Appointment, name)}",
                            _appointment_display(name, current[name]),
                            _appointment_display(name, value),
                        )
                        for name, value in differences.items()
                    )
                if (
                    status_read
                    and current["status"] == Appointment.Status.ACTIVE
                    and status != Appointment.Status.ACTIVE
                ):
                    no_longer_active.add(current["pk"])
            if status_read and row.role in Appointment.NAMED_ROLES and status == Appointment.Status.ACTIVE:
                was_active = current is not None and current["status"] == Appointment.Status.ACTIVE
                made_active[organisation["pk"], row.role].append((row, current["pk"] if current else None, was_active))
        self._check_named_roles(made_active, no_longer_active)

    def _check_status(self, row: ParsedRow, current: dict | None, status: str) -> bool:
        decided_elsewhere = (Appointment.Status.PENDING, Appointment.Status.REJECTED)
        if current is not None and current["status"] in decided_elsewhere and status != current["status"]:
            label = choice_display(Appointment.Status, current["status"]).lower()
            self._error(row.line, "status", DECIDED_ELSEWHERE.format(status=label))
            return False
        if status not in IMPORTABLE_STATUSES and (current is None or status != current["status"]):
            self._error(row.line, "status", NOT_IMPORTED_STATUS)
            return False
        return True

    def _check_named_roles(self, made_active, no_longer_active: set[int]) -> None:
        """At most one active named officer per organisation and role once the file is applied."""
        codes_by_id = {values["pk"]: code for code, values in self.organisations.items()}
        for (organisation_id, role), rows in made_active.items():
            in_file = {pk for _, pk, _ in rows if pk is not None}
            staying = [
                holder
                for holder in self.holders.get((organisation_id, role), [])
                if holder["pk"] not in no_longer_active and holder["pk"] not in in_file
            ]
            role_name = "named " + ("MSO" if role == Appointment.Role.MSO else "MDSO")
            organisation = self.organisations[codes_by_id[organisation_id]]
            first_row = None
            for row, _pk, was_active in sorted(rows, key=lambda item: (not item[2], item[0].line)):
                if was_active and not staying and first_row is None:
                    first_row = row
                    continue
                if staying:
                    holder = staying[0]
                    name = f"{holder['person__first_name']} {holder['person__last_name']}"
                    self._error(
                        row.line,
                        "status",
                        f"{organisation['name']} ({organisation['ods_code']}) already has an active {role_name}, "
                        f"{name} ({holder['person__work_email']}). An import does not replace a named officer: end "
                        "their appointment in this file (status ended, with an end date) or start a handover from "
                        "their page",
                    )
                elif first_row is None:
                    first_row = row
                else:
                    self._error(
                        row.line,
                        "status",
                        f"line {first_row.line} already makes {first_row.email} the active {role_name} of "
                        f"{organisation['name']} ({organisation['ods_code']}); an organisation has one",
                    )

    # Writing

    def _write(self) -> None:
        people = [
            Person(work_email=email, **{name: row.person.get(name, "") for name in PERSON_FIELDS})
            for email, row in self.new_people.items()
        ]
        create_with_history(people, Person, user=self.user, reason=self.reason)
        person_ids = {values["email_lower"]: values["pk"] for values in self.people.values()}
        person_ids.update({person.work_email: person.pk for person in people})
        if self.changed_people:
            changed = []
            fields: set[str] = set()
            for person in Person.objects.in_bulk(list(self.changed_people)).values():
                for name, value in self.changed_people[person.pk].items():
                    setattr(person, name, value)
                    fields.add(name)
                person.updated_at = self.now
                changed.append(person)
            self._bulk_update(changed, Person, [*sorted(fields), "updated_at"])
        if self.changed_appointments:
            appointments = Appointment.objects.in_bulk(list(self.changed_appointments)).values()
            # Appointments leaving the active status first, so that a named role is free before the
            # file gives it to someone else (the database checks each statement).
            leaving, others = [], []
            fields = set()
            for appointment in appointments:
                _, differences = self.changed_appointments[appointment.pk]
                leaves = appointment.status == Appointment.Status.ACTIVE and differences.get("status", "active") != (
                    Appointment.Status.ACTIVE
                )
                for name, value in differences.items():
                    setattr(appointment, name, value)
                    fields.add(name)
                appointment.updated_at = self.now
                (leaving if leaves else others).append(appointment)
            for group in (leaving, others):
                self._bulk_update(group, Appointment, [*sorted(fields), "updated_at"])
        organisation_ids = {code: values["pk"] for code, values in self.organisations.items()}
        new_appointments = [
            Appointment(
                person_id=person_ids[row.email],
                organisation_id=organisation_ids[row.ods_code],
                role=row.role,
                start_date=row.start_date,
                **target,
            )
            for row, target in self.new_appointments
        ]
        create_with_history(new_appointments, Appointment, user=self.user, reason=self.reason)

    def _bulk_update(self, objs: list, model, fields: list[str]) -> None:
        if objs:
            bulk_update_with_history(
                objs,
                model,
                fields=fields,
                batch_size=BATCH_SIZE,
                default_user=self.user,
                default_change_reason=self.reason,
            )


def _join(*parts: str) -> str:
    return "; ".join(part for part in parts if part)


def _name(values: dict, current: dict | None) -> str:
    """The person's name as the file gives it (or as stored, for a column the file leaves out)."""
    current = current or {}
    first = values.get("first_name", current.get("first_name", ""))
    last = values.get("last_name", current.get("last_name", ""))
    return f"{first} {last}".strip()


def _label(model, name: str) -> str:
    label = str(model._meta.get_field(name).verbose_name)
    return label[:1].upper() + label[1:]


def _person_display(name: str, value) -> str:
    if name == "profession":
        return choice_display(Profession, value)
    return display(value)


def _appointment_display(name: str, value) -> str:
    if name == "status":
        return choice_display(Appointment.Status, value)
    return display(value)


# Export: the same columns, so that an exported file can be edited and imported again.

EXPORT_HEADERS = [column.header for column in COLUMNS]


def export_queryset():
    """Every appointment with its person and organisation, by person then organisation."""
    return Appointment.objects.select_related("person", "organisation").order_by(
        "person__last_name", "person__first_name", "person_id", "organisation__ods_code", "start_date", "pk"
    )


def export_count() -> int:
    return Appointment.objects.count() + Person.objects.filter(appointments__isnull=True).count()


def person_cells(person: Person) -> list:
    return [
        person.work_email,
        person.first_name,
        person.last_name,
        person.job_title,
        person.get_profession_display(),
        person.registration_number,
        person.phone,
    ]


def appointment_cells(appointment: Appointment | None) -> list:
    if appointment is None:
        return [""] * 8
    return [
        appointment.organisation.ods_code,
        appointment.organisation.name,
        appointment.get_role_display(),
        appointment.get_status_display(),
        appointment.start_date,
        appointment.end_date,
        appointment.mhra_registered_on,
        appointment.mhra_reference,
    ]


def export_rows(appointments=None, people=None):
    """One row per appointment, then one per person without any; `appointments` and `people` narrow
    the export (the admin's filtered list), both default to everyone."""
    if appointments is None:
        appointments = export_queryset()
    for appointment in appointments.iterator(chunk_size=2000):
        yield person_cells(appointment.person) + appointment_cells(appointment)
    if people is None:
        people = Person.objects.all()
    for person in (
        people.filter(appointments__isnull=True).order_by("last_name", "first_name", "pk").iterator(chunk_size=2000)
    ):
        yield person_cells(person) + appointment_cells(None)
