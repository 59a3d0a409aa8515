import datetime

import factory

from committees.models import Committee, CommitteeMember
from officers.models import Appointment, Profession, TeamProposal
from organisations.models import KeyContact

from .organisations import OrganisationFactory
from .users import UserFactory


class KeyContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KeyContact

    organisation = factory.SubFactory(OrganisationFactory)
    role = KeyContact.Role.CHIEF_PHARMACIST
    name = factory.Sequence(lambda n: f"Key Contact {n}")
    email = factory.Sequence(lambda n: f"contact{n}@nhs.net")


class CommitteeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Committee

    organisation = factory.SubFactory(OrganisationFactory)
    name = "Medication Safety Committee"
    chair_name = "Dr Chair Person"
    meeting_frequency = Committee.Frequency.MONTHLY
    last_met_on = datetime.date(2026, 10, 1)
    reports_to = Committee.ReportsTo.BOARD

    class Params:
        represented = factory.Trait(
            has_patient_representation=True,
            patient_representation_detail="A patient safety partner is a member.",
        )


class CommitteeMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommitteeMember

    committee = factory.SubFactory(CommitteeFactory)
    name = factory.Sequence(lambda n: f"Member {n}")
    role = "Chief Pharmacist"
    profession = Profession.PHARMACIST


class TeamProposalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamProposal

    organisation = factory.SubFactory(OrganisationFactory)
    role = Appointment.Role.TEAM_MEMBER
    first_name = "Priya"
    last_name = factory.Sequence(lambda n: f"Proposed{n}")
    work_email = factory.Sequence(lambda n: f"proposed{n}@nhs.net")
    job_title = "Lead Pharmacist"
    profession = Profession.PHARMACIST
    start_date = datetime.date(2026, 9, 1)
    proposed_by = factory.SubFactory(UserFactory)


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
    import io
    import zipfile

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
