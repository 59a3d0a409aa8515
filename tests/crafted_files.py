"""Crafted files for the upload tests and bench/uploads.py: archives whose directory lies about
sizes, archives that unpack past the limits, a huge shared strings table, too many rows, too many
columns, an over-long cell, a wrong type behind a right extension, UTF-16 and Windows-1252 text.

Each is small on disk: what is large is what it unpacks to, written a chunk at a time with
ZIP_DEFLATED so that building it takes little memory. `lie` patches the uncompressed size of a
member in the archive's central directory (where zipfile reads it), so the directory says the
member is small while it inflates to far more.
"""

import codecs
import csv
import io
import struct
import zipfile

MB = 1024 * 1024
MEETING_ID = 4242  # the meeting the upload child makes, named by the plain attendance files
NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
CONTENT_TYPES = (
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Override PartName="/xl/workbook.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>'
)
WORKBOOK = (
    b"<workbook " + NS + b' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    b'<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_REL = (
    b'<Relationship Id="%s" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/%s" Target="%s"/>'
)
WORKBOOK_RELS = (
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    + _REL % (b"rId1", b"worksheet", b"worksheets/sheet1.xml")
    + _REL % (b"rId2", b"sharedStrings", b"sharedStrings.xml")
    + _REL % (b"rId3", b"styles", b"styles.xml")
    + b"</Relationships>"
)
STYLES = b"<styleSheet " + NS + b'><cellXfs count="1"><xf numFmtId="0"/></cellXfs></styleSheet>'
SHEET_START = b"<worksheet " + NS + b"><sheetData>"
SHEET_END = b"</sheetData></worksheet>"


def _repeat(piece: bytes, total: int):
    """`piece` over and over, `total` bytes or so in all, a megabyte at a time."""
    chunk = piece * max(1, MB // len(piece))
    for _ in range(max(1, total // len(chunk))):
        yield chunk


def zip_parts(parts: dict) -> bytes:
    """A ZIP_DEFLATED archive of `parts` (name -> bytes, or an iterable of byte chunks)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            with archive.open(name, "w", force_zip64=False) as member:
                for chunk in [content] if isinstance(content, bytes) else content:
                    member.write(chunk)
    return out.getvalue()


def lie(data: bytes, name: str, says: int = 1000) -> bytes:
    """The archive with `name`'s uncompressed size in the central directory patched to `says`."""
    encoded = name.encode()
    position = data.find(b"PK\x01\x02")
    while position != -1:
        name_length = struct.unpack_from("<H", data, position + 28)[0]
        if data[position + 46 : position + 46 + name_length] == encoded:
            return data[: position + 24] + struct.pack("<I", says) + data[position + 28 :]
        position = data.find(b"PK\x01\x02", position + 4)
    raise ValueError(f"no member {name}")


def sheet_rows(rows: list[list[str]]) -> bytes:
    """A worksheet part holding `rows` as inline strings."""
    out = [SHEET_START]
    for number, row in enumerate(rows, start=1):
        cells = "".join(
            f'<c t="inlineStr"><is><t>{value}</t></is></c>'
            for value in (str(value).replace("&", "&amp;").replace("<", "&lt;") for value in row)
        )
        out.append(f'<row r="{number}">{cells}</row>'.encode())
    out.append(SHEET_END)
    return b"".join(out)


def workbook(sheet, shared_strings=None, **extra) -> bytes:
    parts = {
        "[Content_Types].xml": CONTENT_TYPES,
        "xl/workbook.xml": WORKBOOK,
        "xl/_rels/workbook.xml.rels": WORKBOOK_RELS,
        "xl/styles.xml": STYLES,
    }
    if shared_strings is not None:
        parts["xl/sharedStrings.xml"] = shared_strings
    parts["xl/worksheets/sheet1.xml"] = sheet
    parts.update(extra)
    return zip_parts(parts)


def _padded_sheet(rows: list[list[str]], padding: int):
    """The rows, then `padding` bytes of blank space inside the sheet (which inflates to it)."""
    body = sheet_rows(rows)
    yield body[: -len(SHEET_END)]
    yield from _repeat(b" " * 1024, padding)
    yield SHEET_END


def csv_text(rows) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


def ods_line(code: str, name: str) -> list[str]:
    row = [""] * 27
    row[0], row[1], row[2], row[3], row[10] = code, name, "Y56", "QWE", "20000401"
    return row


def plain_header():
    return ["Meeting ID", "Email", "Name", "Minutes attended"]


def good_rows(path: str, n: int = 2) -> list[list[str]]:
    """A few rows the path reads (the header first, except for the headerless ODS extract)."""
    from tests.factories.files import MEMBERSHIP_HEADERS, PEOPLE_HEADERS, person_row  # needs Django set up

    if path in ODS_PATHS:
        return [ods_line(f"RZZ{i:02d}", "Crafted Trust of Zoë") for i in range(n)]
    if path == "memberships":
        return [MEMBERSHIP_HEADERS, *[["mso@nhs.net", "london", "Member", "2025-01-06", ""] for i in range(n)]]
    if path == "teams":
        return [["Name", "Email", "Duration"], *[[f"Zoë {i}", f"z{i}@nhs.net", "45m"] for i in range(n)]]
    if path == "plain":
        return [plain_header(), *[[str(MEETING_ID), f"z{i}@nhs.net", f"Zoë {i}", "45"] for i in range(n)]]
    return [PEOPLE_HEADERS, *[person_row(f"zoe{i}@nhs.net", "Zoë") for i in range(n)]]


def archive_bombs() -> dict[str, tuple[str, bytes]]:
    """The workbooks that unpack past the limits, or whose directory lies, the same for every
    spreadsheet path (they are refused before their rows are read): label -> (name, content).
    Building them takes a few seconds; build them once."""
    rows = [["Work email", "First name"], ["a@nhs.net", "Ann"]]
    name = "people.xlsx"
    return {
        # The sheet's directory entry says 1,000 bytes; it inflates to 100 MB.
        "lying directory": (name, lie(workbook(_padded_sheet(rows, 100 * MB)), "xl/worksheets/sheet1.xml")),
        # An honest directory: one part unpacks to 450 MB (about 450 KB on disk).
        "unpacks past the part limit": (name, workbook(_padded_sheet(rows, 450 * MB))),
        # Two parts under the part limit, together past the total.
        "unpacks past the total limit": (
            name,
            workbook(_padded_sheet(rows, 40 * MB), **{"xl/media/padding.bin": _repeat(b"\0" * 1024, 40 * MB)}),
        ),
        # A shared strings table of 100 MB, the directory honest; and one whose directory lies.
        "huge shared strings": (name, workbook(sheet_rows(rows), shared_strings=_strings_table(100 * MB))),
        "huge shared strings, lying directory": (
            name,
            lie(workbook(sheet_rows(rows), shared_strings=_strings_table(100 * MB)), "xl/sharedStrings.xml"),
        ),
    }


def crafted(path: str) -> dict[str, tuple[str, bytes]]:
    """The crafted files for an upload path that depend on what it reads: label -> (name, content).
    With `archive_bombs()` (or `document_bombs()` for the terms of reference), every crafted file."""
    if path == "terms_of_reference":
        return {
            "picture named .pdf": ("terms.pdf", b"\x89PNG\r\n\x1a\n" + b"\0" * 200),
            "program named .docx": ("terms.docx", b"MZ\x90\x00" + b"\0" * 200),
        }
    rows = good_rows(path, 1 if path == "memberships" else 2)
    files = {
        "too many rows": ("rows.csv", csv_text([rows[0]] + [rows[-1][:1]] * 40_001).encode()),
        "too many columns": ("wide.csv", csv_text([rows[0], rows[-1] + ["x"] * 200_000]).encode()),
        "cells beyond the header": ("extra.csv", csv_text([*rows, rows[-1] + ["x"] * 3]).encode()),
        "over-long cell": ("long.csv", csv_text([*rows, [rows[-1][0] + "x" * 40_000, *rows[-1][1:]]]).encode()),
        "too many columns, workbook": ("wide.xlsx", workbook(sheet_rows([rows[0], rows[-1] + [""] * 300 + ["x"]]))),
        "picture named .csv": ("people.csv", b"\x89PNG\r\n\x1a\n" + b"\0" * 200),
        "program named .xlsx": ("people.xlsx", b"MZ\x90\x00" + b"\0" * 200 + b"This program cannot be run"),
        "UTF-16 text": ("unicode.csv", codecs.BOM_UTF16_LE + csv_text(rows).replace(",", "\t").encode("utf-16-le")),
        "Windows-1252 text": ("excel.csv", csv_text(rows).encode("cp1252")),
    }
    if path in ODS_PATHS:
        del files["cells beyond the header"]  # the ODS extract has no header row
    return files


ODS_PATHS = ("organisations", "import_ods", "admin_ods")


def _strings_table(size: int):
    yield b"<sst " + NS + b">"
    yield from _repeat(b"<si><t>crafted</t></si>", size)
    yield b"</sst>"


def document_bombs() -> dict[str, tuple[str, bytes]]:
    """Word documents (.docx, a ZIP archive) that unpack past the limits, or whose directory lies."""

    def docx(**extra):
        return zip_parts({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>", **extra})

    return {
        "lying directory": (
            "terms.docx",
            lie(docx(**{"word/media/image1.png": _repeat(b"\0" * 1024, 100 * MB)}), "word/media/image1.png"),
        ),
        "unpacks past the part limit": ("terms.docx", docx(**{"word/document2.xml": _repeat(b" " * 1024, 450 * MB)})),
        "unpacks past the total limit": (
            "terms.docx",
            docx(**{"word/a.xml": _repeat(b" " * 1024, 40 * MB), "word/b.xml": _repeat(b" " * 1024, 40 * MB)}),
        ),
    }


def accepted_file(path: str, rows: int) -> tuple[str, bytes]:
    """A good file of `rows` data rows for the path (a CSV file; for the terms of reference, a PDF
    of about `rows` kilobytes)."""
    if path == "terms_of_reference":
        return "terms.pdf", b"%PDF-1.7\n" + b"0" * (rows * 1024) + b"\n%%EOF\n"
    from tests.factories.files import MEMBERSHIP_HEADERS, PEOPLE_HEADERS, person_row

    if path in ODS_PATHS:
        lines = [ods_line(f"RY{i:05d}", f"Crafted Trust {i}") for i in range(rows)]
    elif path == "teams":
        lines = [["Name", "Email", "Duration"], *[[f"Guest {i}", f"g{i}@nhs.net", "45m"] for i in range(rows)]]
    elif path == "plain":
        lines = [plain_header(), *[[str(MEETING_ID), f"g{i}@nhs.net", f"Guest {i}", "45"] for i in range(rows)]]
    elif path == "memberships":
        lines = [MEMBERSHIP_HEADERS, *[[f"g{i}@nhs.net", "london", "Member", "2025-01-06", ""] for i in range(rows)]]
    else:
        lines = [PEOPLE_HEADERS, *[person_row(f"g{i}@nhs.net", f"Guest{i}") for i in range(rows)]]
    return "accepted.csv", csv_text(lines).encode()
