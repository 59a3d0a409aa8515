"""Runs uploads in a process of their own and reports what each did and the memory it took.

    DJANGO_SETTINGS_MODULE=msonet.settings.test DATABASE_URL=... python -m tests.upload_child PATH FILE...

PATH is one of PATHS; each FILE is sent through that path's page (Django's test client, so the
view, its form and its service run as they do for a person) or command, one after the other. The
whole run is one transaction, rolled back at the end, so the database is left as it was. Prints
one JSON object: for each file, whether it was refused and with what message, and whether anything
was written (the rows of the register, the import jobs and the stored terms of reference, counted
before and after); and the memory: VmRSS when the first file was about to be read (after Django,
the test world and a first request to the page had been set up) and VmHWM, the peak, at the end.
"""

import gc
import io
import json
import os
import re
import sys
from pathlib import Path

PATHS = (
    "people",
    "memberships",
    "organisations",
    "import_ods",
    "teams",
    "plain",
    "terms_of_reference",
    "admin",
    "admin_ods",
)


def memory() -> dict[str, int]:
    """VmRSS and VmHWM of this process, in kB."""
    status = Path("/proc/self/status").read_text()
    return {key: int(re.search(rf"^{key}:\s+(\d+)", status, re.M).group(1)) for key in ("VmRSS", "VmHWM")}


def main(path: str, files: list[str]) -> dict:
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()  # so that the test client records each response's context
    from django.test import client as test_client

    # Only the page's own context, not a copy for every template it includes (a preview of 40,000
    # rows includes a template per row): what a person's request takes, not the test client's record.
    record = test_client.store_rendered_templates

    def record_the_page(store, signal, sender, template, context, **kwargs):
        if "context" not in store:
            record(store, signal, sender, template, context, **kwargs)

    test_client.store_rendered_templates = record_the_page
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import CommandError, call_command
    from django.db import transaction
    from django.test import Client
    from django.urls import reverse

    from committees.models import Committee
    from imports.models import ImportJob
    from imports.services import import_job_check
    from meetings.models import Attendance, UnmatchedAttendee
    from networks.models import Membership, Network
    from officers.models import Appointment, Person
    from organisations.models import Organisation
    from tests.crafted_files import MEETING_ID
    from tests.factories import (
        AppointmentFactory,
        CommitteeFactory,
        MeetingFactory,
        MembershipFactory,
        NetworkFactory,
        OrganisationFactory,
        PersonFactory,
        RegionFactory,
        TOTPAuthenticatorFactory,
        UserFactory,
    )

    register = (Organisation, Person, Appointment, Membership, Attendance, UnmatchedAttendee, ImportJob)

    def counts():
        return [model.objects.count() for model in register] + [
            Committee.objects.exclude(terms_of_reference="").count()
        ]

    report: dict = {"path": path, "files": []}
    with transaction.atomic():
        london = RegionFactory(code="Y56", name="London")
        national = NetworkFactory(slug="national", kind=Network.Kind.NATIONAL)
        network = NetworkFactory(slug="london", kind=Network.Kind.REGIONAL, region=london, parent=national)
        organisation = OrganisationFactory(ods_code="RAL", region=london)
        lead = UserFactory(email="lead@nhs.net", is_national_lead=True, is_staff=True)
        TOTPAuthenticatorFactory(user=lead)
        chair = UserFactory(email="chair@nhs.net")
        MembershipFactory(person=PersonFactory(user=chair, work_email="chair@nhs.net"), network=network, role="chair")
        TOTPAuthenticatorFactory(user=chair)
        mso = UserFactory(email="mso@nhs.net")
        AppointmentFactory(
            person=PersonFactory(user=mso, work_email="mso@nhs.net"), organisation=organisation, role="mso"
        )
        CommitteeFactory(organisation=organisation)
        meeting = MeetingFactory(id=MEETING_ID, network=network)

        client = Client()
        who = {"teams": chair, "plain": chair, "terms_of_reference": mso}.get(path, lead)
        client.force_login(who)
        url = {
            "people": reverse("imports:upload", args=["people"]),
            "memberships": reverse("imports:upload", args=["memberships"]),
            "organisations": reverse("imports:upload", args=["organisations"]),
            "teams": reverse("meetings:teams-import", args=[meeting.pk]),
            "plain": reverse("meetings:attendance-import"),
            "terms_of_reference": reverse("committees:terms-of-reference-upload", args=[organisation.ods_code]),
            "admin": reverse("admin:officers_person_import"),
            "admin_ods": reverse("admin:organisations_organisation_import"),
        }.get(path)
        if url:
            client.get(url)  # the page, its templates and imports, loaded before anything is measured

        gc.collect()
        start = memory()
        for file_path in files:
            name = Path(file_path).name.split("--", 1)[-1]
            content = Path(file_path).read_bytes()
            before = counts()
            outcome = run(path, url, client, name, content, file_path, call_command, CommandError, SimpleUploadedFile)
            if outcome.pop("job", None) is not None:
                job = ImportJob.objects.order_by("-pk").first()
                if job.status == ImportJob.Status.QUEUED:  # a large file: the worker's check
                    job = import_job_check(job_id=job.pk)
                outcome.update(job_outcome(job))
            after = counts()
            # An accepted lead's import stores its file on a job for the preview (the register is untouched).
            kept_job = not outcome["refused"] and path in ("people", "memberships", "organisations")
            outcome["written"] = [b - a for a, b in zip(before, after, strict=True)] != (
                [0] * 6 + [1, 0] if kept_job else [0] * 8
            )
            outcome["file"] = Path(file_path).name
            report["files"].append(outcome)
            del content
        end = memory()
        transaction.set_rollback(True)
    report["start_rss_kb"] = start["VmRSS"]
    report["peak_kb"] = end["VmHWM"]
    report["peak_above_start_mb"] = round((end["VmHWM"] - start["VmRSS"]) / 1024, 1)
    return report


def run(path, url, client, name, content, file_path, call_command, CommandError, SimpleUploadedFile) -> dict:
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    if path == "import_ods":
        out, err = io.StringIO(), io.StringIO()
        try:
            call_command("import_ods", file_path, kind="trusts", dry_run=True, stdout=out, stderr=err)
        except CommandError as error:
            return {"refused": True, "message": f"{err.getvalue()} {error}".strip()}
        return {"refused": False, "message": out.getvalue()[-300:]}
    if path in ("admin", "admin_ods"):
        file_format = "1" if name.endswith(".xlsx") and path == "admin" else "0"
        response = client.post(url, {"import_file": upload, "format": file_format, "resource": "0"})
        context = response.context or {}
        form = context.get("form")
        if form is not None and form.errors:
            return {"refused": True, "message": " ".join(str(m) for ms in form.errors.values() for m in ms)}
        result = context.get("result")
        if result is not None and (result.has_errors() or result.has_validation_errors()):
            messages = [str(error.error) for error in result.base_errors]
            for row in result.invalid_rows:
                messages += [f"line {row.number}: {' '.join(m)}" for m in row.field_specific_errors.values()]
                messages += [f"line {row.number}: {m}" for m in row.non_field_specific_errors]
            return {"refused": True, "message": " ".join(messages)[:2000]}
        return {"refused": False, "message": f"preview of {len(result.rows) if result else 0} rows"}
    data = {"file": upload}
    if path == "organisations":
        data["ods_kind"] = "trusts"
    response = client.post(url, data)
    if path in ("people", "memberships", "organisations"):
        if response.status_code == 302:
            return {"refused": False, "message": "", "job": True}
        return {"refused": True, "message": form_errors(response.context["form"])}
    if path == "terms_of_reference":
        if response.status_code == 302:
            return {"refused": False, "message": "stored"}
        return {"refused": True, "message": form_errors(response.context["form"])}
    context = response.context
    if context["form"] is not None and context["form"].errors:
        return {"refused": True, "message": form_errors(context["form"])}
    plan = context.get("plan")
    if plan is not None and plan.errors:
        return {"refused": True, "message": " ".join(str(error) for error in plan.errors)[:2000]}
    rows = len(plan.unmatched) + len(plan.to_record) if plan is not None else 0
    return {"refused": False, "message": f"preview of {rows} attendees"}


def form_errors(form) -> str:
    return " ".join(str(message) for messages in form.errors.values() for message in messages)


def job_outcome(job) -> dict:
    if job.status == job.Status.READY:
        names = list(job.rows.values_list("description", flat=True)[:3])
        return {"refused": False, "message": f"preview: {job.new_count} new; " + "; ".join(names)}
    errors = list(job.rows.filter(kind="error").values_list("line", "message")[:5])
    return {"refused": True, "message": " ".join(f"line {line}: {message}" for line, message in errors)}


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msonet.settings.test")
    print(json.dumps(main(sys.argv[1], sys.argv[2:])))
