"""Hypothesis strategies for bad input: the text, files and values a person (or a script) may post.

Text: arbitrary unicode with control characters (NUL, CR, tab, the unicode line and paragraph
separators), very long strings, formula-like text, emoji and right-to-left text, whitespace only.
Values: malformed ODS codes, email addresses, dates (day, month and year boxes) and telephone
numbers. Files: malformed CSV (broken quotes, wrong columns, binary, byte-order marks, UTF-16,
empty, one line, one huge line) and malformed XLSX (random bytes behind a ZIP header, a ZIP without
the Office Open XML parts, a real workbook with the wrong sheets or columns, dates as text).
"""

from __future__ import annotations

import codecs
import io
import zipfile

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

# One profile for every bad-input test: no example database on disk, no deadline (the machine is
# shared and slow), the world fixture built once per test, not once per example, and no shrinking
# (each example is a request; a failure reports the example that failed, as generated).
settings.register_profile(
    "bad_input",
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


def bad_input_settings(max_examples: int):
    """@settings for a bad-input test: `max_examples` examples on the bad_input profile."""
    return settings(settings.get_profile("bad_input"), max_examples=max_examples)


# --- Text --------------------------------------------------------------------------------------

CONTROL_CHARACTERS = ["\x00", "\r", "\n", "\t", "\x0b", "\x0c", "\x1b", "\x7f", "\u2028", "\u2029", "\u0085", "\ufeff"]
FORMULA_LIKE = ["=1+1", '=HYPERLINK("http://example.com","x")', "+44 20", "-2+3", "@SUM(A1)", "=cmd|'/c calc'!A0"]
EMOJI_RTL = [
    "💊",
    "👩🏽‍⚕️",
    "🏥💉",
    "\u202eevil\u202c",
    "مسؤول سلامة الأدوية",
    "שלום",
    "\u200f\u200e",
    "Zoë Ñúñez",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
]
WHITESPACE_ONLY = ["", " ", "   ", "\t", "\n\n", "\u00a0", "\u2003", " \r\n ", "\u3000"]
LONG_LENGTHS = [256, 1_001, 10_000, 20_000]

control_character = st.sampled_from(CONTROL_CHARACTERS)

# Any unicode text, surrogates excluded (they cannot be encoded in a request at all).
any_text = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=60)


@st.composite
def text_with_controls(draw) -> str:
    """Ordinary-looking text with control characters put in."""
    parts = draw(st.lists(st.one_of(any_text, control_character), min_size=1, max_size=6))
    return "".join(parts)


@st.composite
def with_nul(draw) -> str:
    """Text holding at least one NUL byte (which PostgreSQL refuses in text columns)."""
    before = draw(st.text(alphabet="abcdefghij RAL@.-", max_size=10))
    after = draw(st.text(alphabet="abcdefghij RAL@.-", max_size=10))
    return before + "\x00" + after


@st.composite
def very_long(draw) -> str:
    """A string far longer than any field allows (up to 20,000 characters)."""
    unit = draw(st.sampled_from(["a", "Ab 1", "💊", "=", "\u202e", "x\x00"]))
    length = draw(st.sampled_from(LONG_LENGTHS))
    return (unit * (length // len(unit) + 1))[:length]


formula_like = st.sampled_from(FORMULA_LIKE)
emoji_rtl = st.sampled_from(EMOJI_RTL)
whitespace_only = st.sampled_from(WHITESPACE_ONLY)

# Anything a person or a script may type into a text box.
arbitrary_text = st.one_of(
    any_text,
    text_with_controls(),
    with_nul(),
    very_long(),
    formula_like,
    emoji_rtl,
    whitespace_only,
)

# Text that no text field may accept: a NUL byte, or longer than any field's maximum.
never_valid_text = st.one_of(with_nul(), very_long().filter(lambda s: len(s) > 2_000 or "\x00" in s))


# --- Values ------------------------------------------------------------------------------------

BAD_ODS_CODES = ["", "R", "RA", "ral!", "R A L", "RAL-1", "TOOLONGCODE1", "R\x00L", "ÅBC", "'; DROP TABLE", "../RAL"]
bad_ods_code = st.one_of(st.sampled_from(BAD_ODS_CODES), arbitrary_text)

BAD_EMAILS = [
    "plainaddress",
    "@nhs.net",
    "name@",
    "name@@nhs.net",
    "name@nhs..net",
    "name@nhs.net\x00",
    "na me@nhs.net",
    "name@nhs.net\r\nBcc: x@example.com",
    "<script>@nhs.net",
    "name@" + "a" * 300 + ".net",
    "💊@nhs.net",
]
bad_email = st.one_of(st.sampled_from(BAD_EMAILS), arbitrary_text.filter(lambda s: "@" not in s))

BAD_PHONES = [
    "abc",
    "phone me",
    "0207 ABC 0000",
    "12345",
    "+",
    "++44 20 7946 0000",
    "020 7946 0000 ext. 12",
    "020\x007946",
    "=1+1",
    "0" * 40,
    "020 7946 0000; DROP",
    "💊💊💊💊💊💊",
]
bad_phone = st.one_of(st.sampled_from(BAD_PHONES), st.text(alphabet="abcxyz!?#", min_size=1, max_size=12))

# Ofcom's drama numbers that phonenumbers accepts (London's 020 7946 0xxx; 0161 496 0xxx); its
# mobile (07700 900xxx) and no-area (01632 960xxx) ones are not real numbers, and are refused.
GOOD_PHONES = ["020 7946 0000", "+44 20 7946 0000", "0161 496 0000", "(020) 7946 0000", "02079460999", "01614960123"]
good_phone = st.sampled_from(GOOD_PHONES)


@st.composite
def bad_date_parts(draw) -> dict[str, str]:
    """Day, month and year boxes that do not make a date: impossible, partial, text, far away."""
    kind = draw(st.sampled_from(["impossible", "partial", "text", "far_past", "far_future", "arbitrary", "huge"]))
    if kind == "impossible":
        day, month, year = draw(
            st.sampled_from(
                [
                    ("31", "2", "2024"),
                    ("30", "2", "2023"),
                    ("0", "1", "2024"),
                    ("32", "1", "2024"),
                    ("1", "13", "2024"),
                    ("1", "0", "2024"),
                    ("29", "2", "2023"),
                    ("31", "4", "2024"),
                ]
            )
        )
    elif kind == "partial":
        day, month, year = draw(
            st.sampled_from(
                [("", "3", "2024"), ("1", "", "2024"), ("1", "3", ""), ("1", "3", "24"), ("1", "3", "20245")]
            )
        )
    elif kind == "text":
        day, month, year = draw(
            st.sampled_from(
                [
                    ("one", "March", "2024"),
                    ("1st", "3", "2024"),
                    ("-1", "3", "2024"),
                    ("1.5", "3", "2024"),
                    ("1", "3", "2024\x00"),
                ]
            )
        )
    elif kind == "far_past":
        day, month, year = "1", "1", draw(st.sampled_from(["0001", "1000", "1899", "1066"]))
    elif kind == "far_future":
        day, month, year = "1", "1", draw(st.sampled_from(["9999", "3000", "2999"]))
    elif kind == "huge":
        day, month, year = "9" * 30, "9" * 30, "9" * 30
    else:
        day, month, year = draw(arbitrary_text), draw(arbitrary_text), draw(arbitrary_text)
    return {"day": day, "month": month, "year": year}


def date_fields(name: str, parts: dict[str, str]) -> dict[str, str]:
    """The NHS.UK date input's posted fields for `name`: name_day, name_month and name_year."""
    return {f"{name}_{part}": parts[part] for part in ("day", "month", "year")}


# --- CSV files ---------------------------------------------------------------------------------


def _encode(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="surrogatepass")


CSV_KINDS = [
    "broken_quote",
    "wrong_columns",
    "binary",
    "bom_utf8",
    "bom_utf16",
    "utf16",
    "empty",
    "one_line",
    "header_only",
    "huge_line",
    "control_chars",
    "arbitrary_cells",
    "latin1",
    "formula_cells",
    "blank_lines",
]


@st.composite
def malformed_csv(draw, headers: list[str] | None = None, kind: str | None = None) -> bytes:
    """A CSV file that is broken in one of many ways (`kind`, one of CSV_KINDS, else any); `headers`
    are a real file's column names, used by the kinds that keep the header right and break the rows."""
    headers = headers or ["name", "email"]
    header_line = ",".join(headers)
    kind = kind or draw(st.sampled_from(CSV_KINDS))
    cell = draw(arbitrary_text.filter(lambda s: "\x00" not in s))
    if kind == "broken_quote":
        return _encode(f'{header_line}\n"unterminated,{cell}\nnext,row\n', "utf-8")
    if kind == "wrong_columns":
        extra = ",".join(["x"] * draw(st.integers(0, 30)))
        return _encode(f"only,{cell}\n{extra}\n1,2,3,4,5,6,7,8,9,10\n", "utf-8")
    if kind == "binary":
        return draw(st.binary(min_size=1, max_size=2000))
    if kind == "bom_utf8":
        return codecs.BOM_UTF8 + codecs.BOM_UTF8 + _encode(f"{header_line}\n{cell},{cell}\n", "utf-8")
    if kind == "bom_utf16":
        return codecs.BOM_UTF16_LE + _encode(f"{header_line}\n{cell},x\n", "utf-16-le")
    if kind == "utf16":
        return _encode(f"{header_line}\n{cell},x\n", draw(st.sampled_from(["utf-16", "utf-16-be", "utf-32"])))
    if kind == "empty":
        return draw(st.sampled_from([b"", b"\n", b"\r\n\r\n", b",,,\n", codecs.BOM_UTF8]))
    if kind == "one_line":
        return _encode(cell.replace("\n", " ").replace("\r", " ") or "x", "utf-8")
    if kind == "header_only":
        return _encode(header_line + "\n", "utf-8")
    if kind == "huge_line":
        return _encode(header_line + "\n" + "x" * draw(st.sampled_from([70_000, 200_000])) + ",y\n", "utf-8")
    if kind == "control_chars":
        return _encode(f"{header_line}\n{draw(text_with_controls())},\x0b\x1b\u2028\n", "utf-8")
    if kind == "latin1":
        return f"{header_line}\nZoë,café\n".encode("latin-1")
    if kind == "formula_cells":
        formula = draw(formula_like)
        return _encode(f"{header_line}\n" + ",".join([formula] * len(headers)) + "\n", "utf-8")
    if kind == "blank_lines":
        return _encode(f"\n\n{header_line}\n\n\n", "utf-8")
    cells = draw(st.lists(arbitrary_text.filter(lambda s: "\x00" not in s), min_size=1, max_size=len(headers) + 2))
    buffer = io.StringIO()
    import csv

    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerow(cells)
    return _encode(buffer.getvalue(), "utf-8")


# --- XLSX files --------------------------------------------------------------------------------


def workbook_bytes(rows: list[list], sheet_title: str = "Sheet1", extra_sheets: list[str] = ()) -> bytes:
    """A real .xlsx workbook holding `rows` on its first sheet."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title
    for row in rows:
        sheet.append(row)
    for title in extra_sheets:
        workbook.create_sheet(title)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _zip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


def _xml_safe(text: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", text)


XLSX_KINDS = [
    "zip_header_random",
    "zip_without_parts",
    "parts_with_garbage",
    "broken_sheet",
    "wrong_sheet_first",
    "wrong_columns",
    "dates_as_text",
    "arbitrary_cells",
    "escaped_nul",
    "empty_workbook",
    "truncated",
]


@st.composite
def malformed_xlsx(draw, headers: list[str] | None = None, kind: str | None = None) -> bytes:
    """An .xlsx file broken in one of many ways (`kind`, one of XLSX_KINDS, else any); `headers` as
    for malformed_csv."""
    headers = headers or ["name", "email"]
    kind = kind or draw(st.sampled_from(XLSX_KINDS))
    if kind == "zip_header_random":
        return b"PK\x03\x04" + draw(st.binary(min_size=0, max_size=2000))
    if kind == "zip_without_parts":
        return _zip({"hello.txt": b"not a workbook", "docProps/app.xml": b"<x/>"})
    if kind == "parts_with_garbage":
        return _zip(
            {
                "[Content_Types].xml": draw(st.sampled_from([b"", b"<not xml", b"<Types/>"])),
                "xl/workbook.xml": draw(st.sampled_from([b"", b"garbage \x00\xff", b"<workbook/>"])),
                "xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row><c><v>1",
            }
        )
    if kind == "broken_sheet":
        # The workbook's parts are all there and load; its sheet's XML breaks off as it is read.
        whole = workbook_bytes([headers] + [["a"] * len(headers)] * 50)
        with zipfile.ZipFile(io.BytesIO(whole)) as archive:
            parts = {name: archive.read(name) for name in archive.namelist()}
        sheet = parts["xl/worksheets/sheet1.xml"]
        parts["xl/worksheets/sheet1.xml"] = sheet[
            : draw(st.integers(min_value=len(sheet) // 2, max_value=len(sheet) - 20))
        ]
        return _zip(parts)
    if kind == "truncated":
        whole = workbook_bytes([headers, ["a"] * len(headers)])
        return whole[: draw(st.integers(min_value=30, max_value=len(whole) - 1))]
    if kind == "wrong_sheet_first":
        return workbook_bytes([["Notes"], ["This sheet is not the data"]], "Notes", extra_sheets=["Data"])
    if kind == "wrong_columns":
        return workbook_bytes([["Column A", "Column B", "Column C"], [1, 2, 3], [None, None, "x"]])
    if kind == "dates_as_text":
        row = ["31/02/2024" if i % 2 else "2024-13-45" for i in range(len(headers))]
        return workbook_bytes([headers, row, ["yesterday"] * len(headers)])
    if kind == "escaped_nul":
        # OOXML writes control characters as _xHHHH_; a reader that unescapes them gets a NUL.
        return workbook_bytes([headers, ["a_x0000_b"] * len(headers), ["_x0000_"] * len(headers)])
    if kind == "empty_workbook":
        return workbook_bytes([])
    cells = draw(
        st.lists(
            st.one_of(arbitrary_text.map(_xml_safe), st.integers(-(10**20), 10**20), st.floats(allow_nan=True)),
            min_size=1,
            max_size=len(headers) + 2,
        )
    )
    return workbook_bytes([headers, cells])


@st.composite
def bad_upload(draw, headers: list[str] | None = None) -> tuple[str, bytes]:
    """A (file name, content) pair: a malformed CSV or XLSX, sometimes under a misleading name."""
    fmt = draw(st.sampled_from(["csv", "xlsx"]))
    content = draw(malformed_csv(headers) if fmt == "csv" else malformed_xlsx(headers))
    name = draw(
        st.sampled_from(
            [
                f"file.{fmt}",
                f"FILE.{fmt.upper()}",
                f"file.{'xlsx' if fmt == 'csv' else 'csv'}",
                "file",
                f"../../etc/file.{fmt}",
                f"{'n' * 300}.{fmt}",
                f"💊 ñame.{fmt}",
                f"file\x00.{fmt}",
            ]
        )
    )
    return name, content


# --- Checking what a request did ---------------------------------------------------------------

# Written by any request, whatever was posted: the session (its last activity).
NOT_SNAPSHOT = {"django_session"}


def _snapshot_sql() -> str:
    from django.apps import apps
    from django.db import connection

    quote = connection.ops.quote_name
    parts = []
    for model in apps.get_models(include_auto_created=True):
        table = model._meta.db_table
        if table in NOT_SNAPSHOT or model._meta.proxy or not model._meta.managed:
            continue
        parts.append(f"(SELECT COUNT(*) FROM {quote(table)})")
        if hasattr(model, "history_id"):
            parts.append(f"(SELECT MAX({quote('history_id')}) FROM {quote(table)})")
    return "SELECT " + ", ".join(parts)


_SNAPSHOT_SQL: dict[str, str] = {}


def db_snapshot() -> tuple:
    """Row counts of every table and the latest history id of every history table, in one query."""
    from django.db import connection

    sql = _SNAPSHOT_SQL.setdefault(connection.vendor, _snapshot_sql())
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return tuple(cursor.fetchone())


def snapshot_changes(before: tuple, after: tuple) -> list[str]:
    """The tables whose counts (or latest history id) differ, for a readable failure."""
    from django.apps import apps

    names = []
    for model in apps.get_models(include_auto_created=True):
        if model._meta.db_table in NOT_SNAPSHOT or model._meta.proxy or not model._meta.managed:
            continue
        names.append(model._meta.db_table)
        if hasattr(model, "history_id"):
            names.append(model._meta.db_table + ".history_id")
    return [name for name, b, a in zip(names, before, after, strict=True) if b != a]


# An error summary, a field's error message, or an "Important" banner (a message that is not a success).
# In the admin: its error note and error lists.
ERROR_MARKERS = (
    "nhsuk-error-summary",
    "nhsuk-error-message",
    'class="nhsuk-notification-banner"',
    'class="errornote"',
    'class="errorlist',
)


def shows_error(response) -> bool:
    """Whether a page tells the person what is wrong: an NHS.UK error summary, error message or
    important banner."""
    content = response.content.decode("utf-8", errors="replace")
    return any(marker in content for marker in ERROR_MARKERS)


class rolled_back:
    """Run one example in a savepoint that is rolled back after it, whatever the view did, so the
    next example starts from the same database."""

    def __enter__(self):
        from django.db import transaction

        self.sid = transaction.savepoint()
        return self

    def __exit__(self, *exc):
        from django.db import connection, transaction

        connection.needs_rollback = False
        transaction.savepoint_rollback(self.sid)
        return False
