"""Checks on an uploaded terms of reference: its size first (before any of it is read), then its
type, read from its content (never from its name or the type the browser gave), through
msonet.uploads like every upload. A .docx is a ZIP archive: its directory is checked against the
unpacked limits before anything is inflated, and every part is then inflated (and dropped) to
prove the directory true, so a document that unpacks to gigabytes is refused, not stored."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.template.defaultfilters import filesizeformat

from msonet import uploads

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DOC = "application/msword"

# The stored type → the extension its file is stored (and downloaded) with.
EXTENSIONS = {PDF: ".pdf", DOCX: ".docx", DOC: ".doc"}
LABELS = {PDF: "PDF", DOCX: "Word document (.docx)", DOC: "Word document (.doc)"}

PDF_MAGIC = b"%PDF-"
# A Word 97-2003 file is an OLE compound file holding a stream of this name (spreadsheets and
# installers are OLE files too).
WORD_STREAM_NAME = "WordDocument".encode("utf-16-le")

NOT_A_DOCUMENT = (
    "The terms of reference must be a PDF or a Word document (.pdf, .docx or .doc). The file you chose "
    "is not one, whatever its name says. Save it as a PDF or Word document and upload it again."
)
PROGRAM = (
    "The file you chose is a program, not a PDF or Word document, so it was not accepted. "
    "Upload the terms of reference as a PDF or Word document."
)
MACROS = "Word documents with macros (.docm) are not accepted. Save it as a .docx or PDF and upload it again."
EMPTY = "The file you chose is empty."


def max_bytes() -> int:
    return settings.TERMS_OF_REFERENCE_MAX_BYTES


def too_large_message(size: int | None = None) -> str:
    limit = filesizeformat(max_bytes())
    if size is None:
        return f"The file must be smaller than {limit}."
    return f"The file is {filesizeformat(size)}: it must be smaller than {limit}."


def terms_of_reference_type(upload) -> str:
    """The content type of an uploaded terms of reference (PDF, .docx or .doc); ValidationError with a
    message for the person uploading it otherwise. The size is checked first, from the upload's
    size, so an oversized file is refused before any of it is read."""
    size = upload.size
    if size is None or size > max_bytes():
        raise ValidationError(too_large_message(size), code="too_large")
    if size == 0:
        raise ValidationError(EMPTY, code="empty")
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    kind, _what = uploads.content_kind(head)
    if kind == uploads.PDF and head.startswith(PDF_MAGIC):
        return PDF
    if kind == uploads.ZIP:
        return _docx_type(upload)
    if kind == uploads.OLE:
        content = upload.read(max_bytes() + 1)
        upload.seek(0)
        if WORD_STREAM_NAME in content:
            return DOC
        raise ValidationError(NOT_A_DOCUMENT, code="not_a_document")
    if kind == uploads.PROGRAM:
        raise ValidationError(PROGRAM, code="program")
    raise ValidationError(NOT_A_DOCUMENT, code="not_a_document")


def _docx_type(upload) -> str:
    """A .docx is a zip archive holding word/document.xml, within the unpacked limits (its
    directory, then every part inflated); one with macros is refused."""
    try:
        data = upload.read(max_bytes() + 1)
        archive = uploads.check_archive(data, uploads.document_limits(), what="document")
        names = set(archive.namelist())
    except uploads.UploadRefused as exc:
        if exc.code == uploads.NOT_AN_ARCHIVE:
            raise ValidationError(NOT_A_DOCUMENT, code="not_a_document") from None
        raise ValidationError(str(exc), code="too_large_unpacked") from None
    finally:
        upload.seek(0)
    if "word/document.xml" not in names or "[Content_Types].xml" not in names:
        raise ValidationError(NOT_A_DOCUMENT, code="not_a_document")
    if "word/vbaProject.bin" in names:
        raise ValidationError(MACROS, code="macros")
    return DOCX


class SizeLimitUploadHandler(FileUploadHandler):
    """Put first among a request's upload handlers: once a file is larger than the limit, the rest of
    it is skipped and the parts already received are dropped (the handlers after this one close and
    delete their temporary file), so nothing of it is stored. `too_large` then says so."""

    def __init__(self, request=None):
        super().__init__(request)
        self.too_large = False
        self.received = 0

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > max_bytes():
            self.too_large = True
            raise SkipFile()
        return raw_data

    def file_complete(self, file_size):
        return None
