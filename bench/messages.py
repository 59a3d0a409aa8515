"""Messages to the network at national scale, on PostgreSQL.

Builds the compliance benchmark's data set (25,000 organisations, 30,000 people, 40,000
appointments; bench/compliance_scan.py) in a scratch database, opens its flags with the scan, puts
every officer in the national network and their region's network, and records the last three national
webinars with a third of the people attending. Then prints in one run:

- building audiences (the national lead's, and a regional chair's): the people and addresses each
  reaches, its time (median of BENCH_RUNS runs) and its queries, which do not grow with the data;
- queuing one message to 5,000 recipients (its recipients and outbox emails, set-based): time and
  queries.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/messages.py
The scratch database (msonet_bench_messages) is created and dropped by the script
(BENCH_KEEP_DATABASE=1 keeps it).
"""

import datetime
import os
import random
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.compliance_scan import admin_url, build, run_admin, timed  # noqa: E402

BENCH_DB = "msonet_bench_messages"
RUNS = int(os.environ.get("BENCH_RUNS", 5))
RECIPIENTS = int(os.environ.get("BENCH_RECIPIENTS", 5_000))
TODAY = datetime.date(2026, 3, 2)


def build_networks_and_webinars() -> None:
    """Every officer in the national network and in their organisation's region's network; a chair for
    London; the last three national webinars, each attended by a third of the people."""
    from meetings.models import Attendance, Meeting
    from networks.models import Membership, Network
    from officers.models import Appointment
    from organisations.models import Region

    national = Network.objects.create(name="National MSO network", slug="national", kind=Network.Kind.NATIONAL)
    regional = {
        region.pk: Network.objects.create(
            name=f"{region.name} MSO network", slug=region.code.lower(), kind=Network.Kind.REGIONAL, region=region
        )
        for region in Region.objects.all()
    }
    joined = datetime.date(2024, 1, 1)
    people_regions = set(
        Appointment.objects.current().values_list("person_id", "organisation__region_id").order_by().distinct()
    )
    people = sorted({person for person, _ in people_regions})
    memberships = [Membership(person_id=person, network=national, joined_on=joined) for person in people]
    memberships += [
        Membership(person_id=person, network=regional[region], joined_on=joined)
        for person, region in sorted(people_regions)
        if region in regional
    ]
    Membership.objects.bulk_create(memberships, batch_size=5000, ignore_conflicts=True)
    london = Network.objects.get(kind=Network.Kind.REGIONAL, region__code="Y56")
    chair = Membership.objects.filter(network=london).order_by("person_id").first()
    chair.role = Membership.Role.CHAIR
    chair.save(update_fields=["role"])

    rng = random.Random(3)
    webinars = Meeting.objects.bulk_create(
        Meeting(network=national, kind=Meeting.Kind.NATIONAL_WEBINAR, title=f"National webinar {month}", held_on=day)
        for month, day in [
            (12, datetime.date(2025, 12, 4)),
            (1, datetime.date(2026, 1, 8)),
            (2, datetime.date(2026, 2, 5)),
        ]
    )
    Attendance.objects.bulk_create(
        (
            Attendance(meeting=webinar, person_id=person)
            for webinar in webinars
            for person in rng.sample(people, len(people) // 3)
        ),
        batch_size=5000,
    )
    return chair.person


def main() -> None:
    url = admin_url()
    run_admin(url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    run_admin(url, f"CREATE DATABASE {BENCH_DB}")
    os.environ["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + BENCH_DB
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msonet.settings.test")
    import django

    django.setup()
    import time_machine
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from compliance.models import Flag
    from compliance.services import compliance_scan
    from emails.models import OutboundEmail
    from mailings.audience import Audience, Webinars, audience_recipients
    from mailings.models import Recipient
    from mailings.services import message_send
    from msonet.celery import app
    from officers.models import Appointment, Person
    from organisations.models import Organisation, Region
    from users.models import User

    try:
        call_command("migrate", verbosity=0)
        build()
        noon = datetime.datetime.combine(TODAY, datetime.time(12), tzinfo=timezone.get_current_timezone())
        with time_machine.travel(noon, tick=True):
            compliance_scan()
            chair_person = build_networks_and_webinars()
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            print(
                f"data set: {Organisation.objects.count():,} organisations, {Person.objects.count():,} people, "
                f"{Appointment.objects.count():,} appointments, {Flag.objects.open().count():,} open flags"
            )

            lead = User.objects.create_user(email="bench.lead@england.nhs.uk", is_national_lead=True)
            chair = User.objects.create_user(email="bench.chair@nhs.net")
            chair_person.user = chair
            chair_person.save(update_fields=["user"])
            london = Region.objects.get(code="Y56")
            audiences = [
                ("lead: everyone on the register", lead, Audience()),
                ("lead: MSOs and MDSOs, no mailboxes", lead, Audience(roles=("mso", "mdso"), copy_mailboxes=False)),
                (
                    "lead: London trusts' MSOs",
                    lead,
                    Audience(roles=("mso",), regions=(london.pk,), organisation_kinds=("nhs_trust",)),
                ),
                (
                    "lead: no-MDSO flag, missed webinars",
                    lead,
                    Audience(flag_kinds=("no_mdso",), webinars=Webinars.MISSED),
                ),
                ("chair (London): their members", chair, Audience()),
            ]
            print(f"audiences ({RUNS} runs each):")
            for label, user, audience in audiences:
                runs = [
                    timed(lambda user=user, audience=audience: audience_recipients(user, audience)) for _ in range(RUNS)
                ]
                recipients = runs[-1][2]
                mailboxes = sum(1 for recipient in recipients if recipient.is_mailbox)
                print(
                    f"  {label:40} people {len(recipients) - mailboxes:6,}  mailboxes {mailboxes:6,}  "
                    f"median {statistics.median(run[0] for run in runs):7.1f} ms  queries {runs[-1][1]}"
                )

            # One message to RECIPIENTS people: the MSOs of as many organisations, no mailbox copies.
            region_ids = list(Region.objects.order_by("code").values_list("pk", flat=True))
            audience = next(
                Audience(roles=("mso",), regions=tuple(region_ids[:n]), copy_mailboxes=False)
                for n in range(1, len(region_ids) + 1)
                if len(
                    audience_recipients(
                        lead, Audience(roles=("mso",), regions=tuple(region_ids[:n]), copy_mailboxes=False)
                    )
                )
                >= RECIPIENTS
            )

            # Queued as in production: the bulk sender's task published on commit (here to an in-memory
            # broker no worker reads), not run in-process, so that the time is the queuing alone.
            app.conf.update(task_always_eager=False, broker_url="memory://")

            def send():
                with transaction.atomic():
                    return message_send(
                        user=lead,
                        subject="Bench: the national webinar on Thursday",
                        body="Dear colleague,\n\nThe national webinar is on Thursday at 2pm: https://www.england.nhs.uk/\n",
                        audience=audience,
                        confirmed=True,
                    )

            elapsed, queries, message = timed(send)
            count = Recipient.objects.filter(message=message).count()
            emails = OutboundEmail.objects.filter(bulk=True).count()
            print(
                f"queue one message to {count:,} recipients ({emails:,} outbox emails): "
                f"{elapsed:8.1f} ms  queries {queries}"
            )
    finally:
        if not os.environ.get("BENCH_KEEP_DATABASE"):
            from django.db import connections

            connections.close_all()
            run_admin(url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
