"""The weekly flag digest: the lead gets every open flag, each chair their regions' flags, once a week."""

import datetime
import io

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from compliance.models import Flag
from compliance.services import compliance_scan, flag_digests_send
from compliance.tasks import send_flag_digests
from emails.models import OutboundEmail

MONDAY = datetime.date(2026, 3, 2)


@pytest.fixture
def flagged(world):
    compliance_scan()
    return world


def digests():
    return {email.to[0]: email for email in OutboundEmail.objects.filter(template="flag_digest")}


def test_lead_gets_every_open_flag_and_each_chair_their_own_region(flagged, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert flag_digests_send(today=MONDAY) == 3
    sent = digests()
    assert set(sent) == {"lead@england.nhs.uk", "chair.a@nhs.net", "chair.b@nhs.net"}
    total = Flag.objects.open().count()
    assert sent["lead@england.nhs.uk"].subject.startswith(f"{total} open compliance flags")
    assert "Royal Free" in sent["chair.a@nhs.net"].body_text
    assert "Manchester" not in sent["chair.a@nhs.net"].body_text
    assert "Royal Free" not in sent["chair.b@nhs.net"].body_text
    assert "/flags/" in sent["lead@england.nhs.uk"].body_text
    assert len(mail.outbox) == 3


def test_digest_goes_once_a_week_however_often_it_runs(flagged):
    assert flag_digests_send(today=MONDAY) == 3
    assert flag_digests_send(today=MONDAY) == 0
    with time_machine.travel(datetime.datetime(2026, 3, 2, 7, tzinfo=datetime.UTC), tick=False):
        assert send_flag_digests.delay().get() == "queued=0"  # the weekly task, run again that Monday
    assert flag_digests_send(today=MONDAY + datetime.timedelta(days=6)) == 0  # Sunday, same ISO week
    assert OutboundEmail.objects.filter(template="flag_digest").count() == 3
    assert flag_digests_send(today=MONDAY + datetime.timedelta(days=7)) == 3


def test_no_digest_when_nothing_is_open(world):
    assert flag_digests_send(today=MONDAY) == 0
    assert not OutboundEmail.objects.exists()


def test_chair_without_flags_in_their_region_gets_no_digest(flagged):
    Flag.objects.filter(organisation=flagged.org_b).delete()
    flag_digests_send(today=MONDAY)
    assert set(digests()) == {"lead@england.nhs.uk", "chair.a@nhs.net"}


def test_digest_command_prints_its_summary(flagged):
    out = io.StringIO()
    call_command("send_flag_digests", stdout=out)
    assert out.getvalue() == "queued=3\n"
