"""Files to import: CSV and XLSX bytes from rows, and the standard people and membership headers."""

import csv
import io

import factory
from openpyxl import Workbook

from imports.models import ImportJob, ImportRow

from .users import UserFactory

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


class ImportJobFactory(factory.django.DjangoModelFactory):
    """A checked people import, ready to confirm."""

    class Meta:
        model = ImportJob

    user = factory.SubFactory(UserFactory, is_national_lead=True, is_staff=True)
    dataset = "people"
    file_name = factory.Sequence(lambda n: f"people-{n}.csv")
    file_format = "csv"
    data = factory.LazyFunction(lambda: csv_bytes([PEOPLE_HEADERS, person_row("factory@nhs.net")]))
    file_size = factory.LazyAttribute(lambda o: len(o.data))
    status = ImportJob.Status.READY
    rows_total = 1


class ImportRowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportRow

    job = factory.SubFactory(ImportJobFactory)
    kind = ImportRow.Kind.CHANGED
    line = factory.Sequence(lambda n: n + 2)
    key = factory.Sequence(lambda n: f"person{n}@nhs.net")
    description = "Sam Lee"
    changes = [["Job title", "Pharmacist", "Lead pharmacist"]]
