"""The formats of the lead's imports and exports, CSV and XLSX, and the content type of each.

Uploads are read by msonet.uploads, the one path every import and upload goes through (its type by
content, its archive's directory, its text's encoding, and its rows within the limits); the
portal's CSV and XLSX files are written by msonet.spreadsheets.
"""

from msonet.uploads import CSV, FORMATS, XLSX, Table

__all__ = ["CONTENT_TYPES", "CSV", "FORMATS", "XLSX", "Table"]

CONTENT_TYPES = {
    CSV: "text/csv; charset=utf-8",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
