"""The medication safety committee record: its rules, the terms of reference upload (type read from the
content, size checked before anything is stored, private storage) and the download."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.db import IntegrityError, transaction
from django.urls import reverse

from committees import services, uploads
from committees.models import Committee
from organisations.profile import OFFICER_REASON
from tests.factories import CommitteeFactory, CommitteeMemberFactory
from tests.factories.files import doc_bytes, docx_bytes, exe_bytes, pdf_bytes

TEN_MB = 10 * 1024 * 1024


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    """Private files go to a folder of the test's own."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.PRIVATE_MEDIA_ROOT


def stored_files(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def upload_url(organisation):
    return reverse("committees:terms-of-reference-upload", args=[organisation.ods_code])


def download_url(organisation):
    return reverse("committees:terms-of-reference", args=[organisation.ods_code])


@pytest.fixture
def committee(world):
    return CommitteeFactory(organisation=world.org_a)


def post_file(client, user, organisation, name, content, content_type="application/pdf"):
    client.force_login(user)
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    return client.post(upload_url(organisation), {"file": upload})


# The committee record


def test_officer_records_the_committee_at_once_with_history(client, world):
    client.force_login(world.mso)
    response = client.post(
        reverse("committees:edit", args=[world.org_a.ods_code]),
        {
            "name": "Medicines Safety Group",
            "chair_name": "Dr  Chair ",
            "meeting_frequency": "quarterly",
            "last_met_on_day": "3",
            "last_met_on_month": "11",
            "last_met_on_year": "2026",
            "reports_to": "sub_committee",
            "reports_to_detail": "Quality Committee",
            "has_patient_representation": "yes",
            "patient_representation_detail": "Two patient safety partners are members.",
        },
    )
    assert response.status_code == 302
    committee = Committee.objects.get(organisation=world.org_a)
    assert committee.name == "Medicines Safety Group"
    assert committee.chair_name == "Dr Chair"
    assert committee.last_met_on == datetime.date(2026, 11, 3)
    assert committee.reports_to_detail == "Quality Committee"
    assert committee.has_patient_representation is True
    record = committee.history.latest()
    assert record.history_user == world.mso
    assert record.history_change_reason == OFFICER_REASON


def test_patient_representation_yes_needs_to_say_how(client, committee, world):
    client.force_login(world.mso)
    response = client.post(
        reverse("committees:edit", args=[world.org_a.ods_code]),
        {"name": "Committee", "has_patient_representation": "yes", "patient_representation_detail": "  "},
    )
    assert response.status_code == 200
    assert "Say how patients or people with lived experience are represented" in response.content.decode()
    committee.refresh_from_db()
    assert committee.has_patient_representation is False


def test_the_database_refuses_patient_representation_without_how(committee):
    committee.has_patient_representation = True
    with pytest.raises(IntegrityError), transaction.atomic():
        committee.save()


def test_the_database_refuses_a_terms_of_reference_without_its_checked_type(committee):
    committee.terms_of_reference = "terms-of-reference/abc.pdf"
    with pytest.raises(IntegrityError), transaction.atomic():
        committee.save()


def test_answering_no_clears_how_patients_are_represented(world):
    committee = CommitteeFactory(organisation=world.org_a, represented=True)
    services.committee_save(
        organisation=world.org_a,
        user=world.mso,
        values={"has_patient_representation": False, "patient_representation_detail": ""},
    )
    committee.refresh_from_db()
    assert (committee.has_patient_representation, committee.patient_representation_detail) == (False, "")


def test_officer_adds_a_member_with_profession_and_removes_one(client, committee, world):
    client.force_login(world.mso)
    response = client.post(
        reverse("committees:member-add", args=[world.org_a.ods_code]),
        {
            "name": "Sam Patel",
            "role": "Patient safety partner",
            "profession": "none",
            "is_patient_representative": "on",
        },
    )
    assert response.status_code == 302
    member = committee.members.get()
    assert (member.profession, member.is_patient_representative) == ("", True)
    nurse = CommitteeMemberFactory(committee=committee, profession="nurse")
    assert client.post(reverse("committees:member-remove", args=[world.org_a.ods_code, nurse.pk])).status_code == 302
    assert list(committee.members.all()) == [member]
    removed = nurse.history.model.objects.filter(id=nurse.pk, history_type="-").get()
    assert removed.history_user == world.mso


def test_member_profession_is_required(client, committee, world):
    client.force_login(world.mso)
    response = client.post(reverse("committees:member-add", args=[world.org_a.ods_code]), {"name": "Sam Patel"})
    assert response.status_code == 200
    assert "Select the member&#x27;s profession" in response.content.decode()
    assert not committee.members.exists()


def test_committee_page_lists_members_for_those_who_may_see_the_profile(client, committee, world):
    CommitteeMemberFactory(committee=committee, name="Grace Member", profession="midwife")
    client.force_login(world.chair_a)
    content = client.get(reverse("committees:detail", args=[world.org_a.ods_code])).content.decode()
    assert "Grace Member" in content
    assert "Midwife" in content
    assert reverse("committees:member-add", args=[world.org_a.ods_code]) not in content  # a chair only reads


# Terms of reference: the type is read from the content


def test_a_real_small_pdf_is_accepted_and_stored_privately_under_a_random_name(
    client, committee, world, private_media, settings
):
    response = post_file(client, world.mso, world.org_a, "Our ToR.pdf", pdf_bytes())
    assert response.status_code == 302
    committee.refresh_from_db()
    assert committee.terms_of_reference_type == "application/pdf"
    name = committee.terms_of_reference.name
    assert name.startswith("terms-of-reference/") and name.endswith(".pdf")
    assert "ToR" not in name
    files = stored_files(private_media)
    assert [path.read_bytes() for path in files] == [pdf_bytes()]
    assert not files[0].resolve().is_relative_to(settings.MEDIA_ROOT)
    assert committee.history.latest().history_user == world.mso


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (docx_bytes(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (doc_bytes(), "application/msword"),
    ],
    ids=["docx", "doc"],
)
def test_word_documents_are_accepted(client, committee, world, content, content_type):
    response = post_file(client, world.mso, world.org_a, "tor.bin", content, content_type="application/octet-stream")
    assert response.status_code == 302
    committee.refresh_from_db()
    assert committee.terms_of_reference_type == content_type


def test_a_renamed_executable_is_refused_with_a_clear_message_and_nothing_stored(
    client, committee, world, private_media
):
    response = post_file(client, world.mso, world.org_a, "tor.pdf", exe_bytes(), content_type="application/pdf")
    assert response.status_code == 200
    assert "is a program, not a PDF or Word document" in response.content.decode()
    assert "There is a problem" in response.content.decode()
    committee.refresh_from_db()
    assert not committee.terms_of_reference
    assert stored_files(private_media) == []
    assert committee.history.count() == 1


@pytest.mark.parametrize(
    "content",
    [b"Just some text, named like a PDF", doc_bytes(word_stream=False), docx_bytes(macros=True), b"PK\x03\x04 no"],
    ids=["text", "ole-without-word-stream", "docx-with-macros", "broken-zip"],
)
def test_files_that_are_not_pdf_or_word_are_refused(client, committee, world, private_media, content):
    response = post_file(client, world.mso, world.org_a, "tor.docx", content)
    assert response.status_code == 200
    assert "nhsuk-error-message" in response.content.decode()
    committee.refresh_from_db()
    assert not committee.terms_of_reference
    assert stored_files(private_media) == []


# Terms of reference: the size is checked before the file is stored


RECEIVED = []


class SpyUploadHandler(MemoryFileUploadHandler):
    """Records how many bytes of a file reached the handlers after the size limit's."""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        RECEIVED.append(0)

    def receive_data_chunk(self, raw_data, start):
        RECEIVED[-1] += len(raw_data)
        return super().receive_data_chunk(raw_data, start)


def test_the_limit_is_ten_megabytes_by_default():
    from msonet.settings import base

    assert base.TERMS_OF_REFERENCE_MAX_BYTES == TEN_MB


def test_an_oversized_file_is_refused_before_it_is_stored(client, committee, world, private_media, settings):
    settings.FILE_UPLOAD_HANDLERS = ["tests.committees.test_committee.SpyUploadHandler"]
    RECEIVED.clear()
    content = b"%PDF-1.4\n" + b"0" * TEN_MB  # a PDF's start, one byte too many
    response = post_file(client, world.mso, world.org_a, "tor.pdf", content)
    assert response.status_code == 200
    assert "The file must be smaller than 10.0\xa0MB" in response.content.decode()
    committee.refresh_from_db()
    assert not committee.terms_of_reference
    assert stored_files(private_media) == []
    # The file was not read past the limit: the handlers after the limit's got no more than it.
    assert RECEIVED and RECEIVED[0] <= TEN_MB


def test_the_size_is_checked_from_the_upload_before_any_of_it_is_read(settings):
    settings.TERMS_OF_REFERENCE_MAX_BYTES = 100

    class Unreadable(SimpleUploadedFile):
        def read(self, *args, **kwargs):
            raise AssertionError("read before the size was checked")

    upload = Unreadable("tor.pdf", b"%PDF-" + b"0" * 200, content_type="application/pdf")
    with pytest.raises(ValidationError) as error:
        uploads.terms_of_reference_type(upload)
    assert error.value.code == "too_large"


def test_the_service_refuses_what_the_form_refuses(committee, world, private_media):
    upload = SimpleUploadedFile("tor.pdf", exe_bytes(), content_type="application/pdf")
    with pytest.raises(ValidationError):
        services.terms_of_reference_upload(committee=committee, user=world.lead, upload=upload)
    assert stored_files(private_media) == []


def test_replacing_the_terms_of_reference_deletes_the_old_file(
    committee, world, private_media, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.terms_of_reference_upload(
            committee=committee, user=world.mso, upload=SimpleUploadedFile("a.pdf", pdf_bytes())
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.terms_of_reference_upload(
            committee=committee, user=world.mso, upload=SimpleUploadedFile("b.docx", docx_bytes())
        )
    files = stored_files(private_media)
    assert [path.suffix for path in files] == [".docx"]


def test_removing_the_terms_of_reference_deletes_the_file(
    client, committee, world, private_media, django_capture_on_commit_callbacks
):
    services.terms_of_reference_upload(
        committee=committee, user=world.mso, upload=SimpleUploadedFile("a.pdf", pdf_bytes())
    )
    client.force_login(world.mso)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("committees:terms-of-reference-remove", args=[world.org_a.ods_code]))
    assert response.status_code == 302
    committee.refresh_from_db()
    assert not committee.terms_of_reference
    assert stored_files(private_media) == []


# Terms of reference: the download


@pytest.fixture
def committee_with_tor(committee, world):
    services.terms_of_reference_upload(
        committee=committee, user=world.mso, upload=SimpleUploadedFile("a.pdf", pdf_bytes())
    )
    return committee


@pytest.mark.parametrize("role", ["mso", "chair_a", "lead"])
def test_download_is_an_attachment_of_the_checked_type_never_sniffed(client, committee_with_tor, world, role):
    client.force_login(getattr(world, role))
    response = client.get(download_url(world.org_a))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="royal-free-london-nhs-foundation-trust-terms-of-reference.pdf"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == pdf_bytes()


@pytest.mark.parametrize("role", ["chair_b", "other_mso", "no_role"])
def test_download_is_not_found_for_those_who_may_not_see_the_organisation(client, committee_with_tor, world, role):
    client.force_login(getattr(world, role))
    assert client.get(download_url(world.org_a)).status_code == 404


def test_private_files_have_no_address(committee_with_tor):
    with pytest.raises(ValueError):
        committee_with_tor.terms_of_reference.url  # noqa: B018
