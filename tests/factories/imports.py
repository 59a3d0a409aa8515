"""Files to import: CSV and XLSX bytes from rows, and the standard people and membership headers."""

import csv
import io

from openpyxl import Workbook

PEOPLE_HEADERS = [
    "Work email",
    "First name",
    "Last name",
    "Job title",
    "Profession",
    "Professional registration number",
    "Work telephone",
    "Organisation ODS code",
    "Role",
    "Status",
    "Start date",
    "End date",
    "Registered with the MHRA on",
    "MHRA registration reference",
]
MEMBERSHIP_HEADERS = ["Work email", "Network", "Role", "Joined on", "Left on"]


def person_row(
    email,
    first="Alex",
    last="Morgan",
    *,
    job_title="Medication Safety Officer",
    profession="Pharmacist",
    registration="",
    phone="",
    ods="",
    role="",
    status="",
    start="",
    end="",
    mhra="",
    mhra_reference="",
):
    return [
        email,
        first,
        last,
        job_title,
        profession,
        registration,
        phone,
        ods,
        role,
        status,
        start,
        end,
        mhra,
        mhra_reference,
    ]


def csv_bytes(rows, *, bom: bool = False) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    data = out.getvalue().encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def ods_row(code: str, name: str, *, region="Y56", icb="", opened="20150401", closed="", phone="") -> list[str]:
    """A 27-column ODS extract row."""
    row = [""] * 27
    row[0], row[1], row[2], row[3] = code, name, region, icb
    row[4] = "1 HIGH STREET"
    row[7] = "LONDON"
    row[9] = "NW3 2QG"
    row[10], row[11] = opened, closed
    row[17] = phone
    return row
