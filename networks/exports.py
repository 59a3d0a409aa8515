"""A network's membership list (and other lists) as CSV or XLSX rows, with every cell made safe for a
spreadsheet."""

import csv
import datetime
import io

from openpyxl import Workbook

# A spreadsheet reads a cell that starts with one of these as a formula (CSV and formula injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

HEADERS = [
    "Organisation",
    "ODS code",
    "Type",
    "MSO coverage",
    "MDSO coverage",
    "Generic MSO mailbox",
    "Open flags",
    *(
        f"{role} {column}"
        for role in ("MSO", "MDSO")
        for column in (
            "name",
            "work email",
            "work telephone",
            "start date",
            "registered with the MHRA on",
            "MHRA registration reference",
            "details last confirmed",
        )
    ),
]


def spreadsheet_cell(value):
    """A value as a spreadsheet cell: numbers as they are, dates as YYYY-MM-DD, None as empty, and
    text that a spreadsheet would take as a formula prefixed with a single quote, so it stays text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int):
        return value
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def _officer_columns(appointment, contact_visible: set[int]) -> list:
    if appointment is None:
        return [None] * 7
    person = appointment.person
    visible = person.pk in contact_visible
    return [
        person.full_name,
        person.work_email if visible else None,
        person.phone if visible else None,
        appointment.start_date,
        appointment.mhra_registered_on,
        appointment.mhra_reference,
        person.details_confirmed_on,
    ]


def membership_rows(organisations, contact_visible: set[int]) -> list[list]:
    """One row per organisation (from `Network.membership_list`), in the order of HEADERS; each
    officer's coverage as `Organisation.coverage_status` says it ("named", "covered", "missing",
    "not expected"...); an officer's email and telephone only where their id is in `contact_visible`."""
    return [
        [
            organisation.name,
            organisation.ods_code,
            organisation.get_kind_display(),
            organisation.mso_status,
            organisation.mdso_status,
            organisation.generic_mailbox,
            organisation.open_flag_count,
            *_officer_columns(organisation.named_mso, contact_visible),
            *_officer_columns(organisation.named_mdso, contact_visible),
        ]
        for organisation in organisations
    ]


def as_csv(rows: list[list], headers: list[str] = HEADERS) -> bytes:
    """UTF-8 with a byte-order mark, which Excel needs to read the file as UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in [headers, *rows]:
        writer.writerow([spreadsheet_cell(value) for value in row])
    return out.getvalue().encode("utf-8-sig")


def as_xlsx(rows: list[list], title: str, headers: list[str] = HEADERS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    for row in [headers, *rows]:
        sheet.append([spreadsheet_cell(value) for value in row])
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever the text
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
