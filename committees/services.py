"""The medication safety committee record, kept by the organisation's named officers (or the national
lead): applied at once, with history (the same change reasons as the rest of the profile, so the
lead's weekly summary lists them). The terms of reference file is checked by content and size
before anything is stored, and kept in private storage under a random name."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from organisations.models import Organisation
from organisations.profile import audit
from users.models import User

from . import uploads
from .models import Committee, CommitteeMember

COMMITTEE_FIELDS = (
    "name",
    "chair_name",
    "meeting_frequency",
    "last_met_on",
    "reports_to",
    "reports_to_detail",
    "has_patient_representation",
    "patient_representation_detail",
)
MEMBER_FIELDS = ("name", "role", "profession", "is_patient_representative")


def _validation_error(error: IntegrityError | ValidationError) -> ValidationError:
    if isinstance(error, ValidationError):
        return error
    return ValidationError("The committee record changed at the same moment. Nothing was saved: try again.")


def committee_save(*, organisation: Organisation, user: User, values: dict) -> Committee:
    """Record the organisation's committee, or change its record. The database's rules (patient
    representation described when there is some) are checked first, with their messages."""
    unknown = set(values) - set(COMMITTEE_FIELDS)
    if unknown:
        raise ValueError(f"Not committee fields: {', '.join(sorted(unknown))}")
    try:
        with transaction.atomic():
            Organisation.objects.select_for_update(of=("self",)).get(pk=organisation.pk)
            committee = Committee.objects.filter(organisation=organisation).first() or Committee(
                organisation=organisation
            )
            changed = committee.pk is None
            for name, value in values.items():
                changed = changed or getattr(committee, name) != value
                setattr(committee, name, value)
            if not changed:
                return committee
            committee.full_clean(exclude=["organisation", "terms_of_reference"])
            audit(committee, user=user)
            committee.save()
    except IntegrityError as error:
        raise _validation_error(error) from error
    return committee


def committee_member_save(
    *, committee: Committee, user: User, values: dict, member: CommitteeMember | None = None
) -> CommitteeMember:
    """Add a member to the committee, or change `member`."""
    unknown = set(values) - set(MEMBER_FIELDS)
    if unknown:
        raise ValueError(f"Not committee member fields: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        if member is None:
            member = CommitteeMember(committee=committee)
        else:
            member = CommitteeMember.objects.select_for_update().get(pk=member.pk, committee=committee)
        for name, value in values.items():
            setattr(member, name, value)
        member.full_clean(exclude=["committee", "person"])
        audit(member, user=user)
        member.save()
    return member


@transaction.atomic
def committee_member_remove(*, member: CommitteeMember, user: User) -> None:
    member = CommitteeMember.objects.select_for_update().get(pk=member.pk)
    audit(member, user=user)
    member.delete()


def terms_of_reference_upload(*, committee: Committee, user: User, upload) -> Committee:
    """Store a new terms of reference for the committee, replacing the one before.

    The upload's size, then its type (from its content: PDF, .docx or .doc) are checked before
    anything is stored (ValidationError otherwise, and nothing changes). The file is kept in
    private storage under a random name with the extension of its type; the type and the time are
    recorded. The file it replaces is deleted once the change is committed."""
    content_type = uploads.terms_of_reference_type(upload)
    storage = Committee._meta.get_field("terms_of_reference").storage
    stored_name = None
    try:
        with transaction.atomic():
            committee = Committee.objects.select_for_update().get(pk=committee.pk)
            replaced = committee.terms_of_reference.name
            committee.terms_of_reference.save(
                f"terms-of-reference{uploads.EXTENSIONS[content_type]}", upload, save=False
            )
            stored_name = committee.terms_of_reference.name
            committee.terms_of_reference_type = content_type
            committee.terms_of_reference_uploaded_at = timezone.now()
            audit(committee, user=user)
            committee.save()
            if replaced:
                transaction.on_commit(lambda: storage.delete(replaced))
    except Exception:
        if stored_name:
            storage.delete(stored_name)
        raise
    return committee


@transaction.atomic
def terms_of_reference_remove(*, committee: Committee, user: User) -> Committee:
    """Remove the terms of reference; the file is deleted once the change is committed."""
    committee = Committee.objects.select_for_update().get(pk=committee.pk)
    name = committee.terms_of_reference.name
    if not name:
        return committee
    storage = committee.terms_of_reference.storage
    committee.terms_of_reference = ""
    committee.terms_of_reference_type = ""
    committee.terms_of_reference_uploaded_at = None
    audit(committee, user=user)
    committee.save()
    transaction.on_commit(lambda: storage.delete(name))
    return committee
