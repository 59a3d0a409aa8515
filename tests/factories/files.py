"""Files to upload, built in memory: CSV and XLSX bytes from rows; the standard people and
membership headers, a people row and a 27-column ODS row; a small valid PDF, Word documents (with
and without macros, and the 97-2003 format) and the start of a Windows program."""

import csv
import io
import zipfile
from pathlib import Path

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
# Frozen copies of real ODS extracts for the tests (tests/data/README.md): refreshing the demo's
# data/ods never changes what a test counts.
ODS_DIR = Path(__file__).resolve().parents[1] / "data" / "ods"
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


def pdf_bytes() -> bytes:
    """A small, valid one-page PDF (with a correct cross-reference table)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def docx_bytes(*, macros: bool = False) -> bytes:
    """A minimal Word (.docx) document: a zip holding [Content_Types].xml and word/document.xml."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        archive.writestr("word/document.xml", '<?xml version="1.0"?><w:document/>')
        if macros:
            archive.writestr("word/vbaProject.bin", b"\x00" * 16)
    return buffer.getvalue()


OLE_HEADER = bytes.fromhex("D0CF11E0A1B11AE1")


def doc_bytes(*, word_stream: bool = True) -> bytes:
    """An OLE compound file, as Word 97-2003 writes; with `word_stream`, its WordDocument stream's name."""
    name = "WordDocument" if word_stream else "Workbook"
    return OLE_HEADER + b"\x00" * 504 + name.encode("utf-16-le") + b"\x00" * 512


def exe_bytes() -> bytes:
    """The start of a Windows program (the MZ header)."""
    return (
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
        + b"\x00" * 240
        + b"This program cannot be run in DOS mode."
    )
