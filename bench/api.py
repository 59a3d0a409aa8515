"""The partner API at national scale: a full sync of every organisation with its named officers, and
an updated_since sync after 100 changes.

Builds the national data set of bench/pages.py (its builder: 25,000 organisations, 30,000 people,
40,000 appointments, the regional networks) in a scratch PostgreSQL database, issues a key with the
register scope, then prints:

- a full sync: every page of /api/v1/organisations/ followed by its `next` link, with the number of
  pages, the total time, each page's median and 95th-percentile time and its queries;
- the same with a key that also has the contacts scope (each page writes its contact-view log);
- after 100 changes (40 organisations renamed, 40 named officers who left, 20 officers renamed), an
  updated_since sync: the organisations it returns against those changed, its pages, time and queries.

In-process (Django's test client, production settings: DEBUG off).

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/api.py
The scratch database (msonet_bench_api, or BENCH_DATABASE) is created and dropped by the script; BENCH_KEEP_DATABASE=1
keeps it, and BENCH_REUSE_DATABASE=1 measures a kept one without building it again.
"""

import datetime
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import national_scale  # noqa: E402  (the data set's sizes and the admin connection)
import pages  # noqa: E402  (the national data set's builder)

BENCH_DB = os.environ.get("BENCH_DATABASE", "msonet_bench_api")
CHANGES = {"renamed": 40, "left": 40, "people": 20}


def sync(client, secret: str, url: str) -> dict:
    """Follows `next` from `url` to the last page: the pages, rows, times and queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, queries, rows = [], [], []
    start = time.perf_counter()
    while url:
        with CaptureQueriesContext(connection) as captured:
            page_start = time.perf_counter()
            response = client.get(url, headers={"X-API-Key": secret})
            times.append((time.perf_counter() - page_start) * 1000)
        assert response.status_code == 200, response.content[:300]
        body = response.json()
        rows += [row["ods_code"] for row in body["results"]]
        queries.append(len(captured.captured_queries))
        url = body["next"]
    return {
        "total": time.perf_counter() - start,
        "pages": len(times),
        "rows": rows,
        "median": statistics.median(times),
        "p95": statistics.quantiles(times, n=20)[-1] if len(times) > 1 else times[0],
        "queries": (min(queries), max(queries)),
    }


def report(label: str, result: dict) -> None:
    low, high = result["queries"]
    print(
        f"  {label:34} {result['pages']:4d} pages  {len(result['rows']):6,} organisations  "
        f"total {result['total']:6.1f} s  per page median {result['median']:6.1f} ms  p95 {result['p95']:6.1f} ms  "
        f"queries per page {low}" + (f"-{high}" if high != low else "")
    )


def make_changes() -> set[str]:
    """CHANGES through the models (each with its history row); the ODS codes of the organisations changed."""
    from officers.models import Appointment, Person
    from organisations.models import Organisation

    changed = set()
    for organisation in Organisation.objects.filter(kind="gp_practice").order_by("ods_code")[: CHANGES["renamed"]]:
        organisation.name += " (renamed)"
        organisation._change_reason = "Bench: renamed"
        organisation.save()
        changed.add(organisation.ods_code)
    today = datetime.date.today()
    named = Appointment.objects.current().named().select_related("organisation").order_by("pk")
    for appointment in named[1000 : 1000 + CHANGES["left"]]:
        appointment.status, appointment.end_date = Appointment.Status.ENDED, max(today, appointment.start_date)
        appointment._change_reason = "Bench: left"
        appointment.save()
        changed.add(appointment.organisation.ods_code)
    people = Person.objects.filter(appointments__in=named[5000 : 5000 + CHANGES["people"]]).distinct()
    for person in people:
        person.last_name += "-Changed"
        person._change_reason = "Bench: renamed"
        person.save()
        changed |= set(person.appointments.values_list("organisation__ods_code", flat=True))
    return changed


def main() -> None:
    url = national_scale.admin_dsn()
    dsn = url.rsplit("/", 1)[0] + "/" + BENCH_DB
    reuse = os.environ.get("BENCH_REUSE_DATABASE") and national_scale.database_exists(url, BENCH_DB)
    if not reuse:
        national_scale.recreate_database(url, BENCH_DB)
    os.environ.update(pages.BENCH_ENV, DATABASE_URL=dsn, API_RATE_LIMIT="1000000/minute")
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    from api.models import PartnerKey
    from api.services import partner_key_issue
    from audit.models import ContactView
    from officers.models import Appointment
    from organisations.models import Organisation

    keep = reuse or os.environ.get("BENCH_KEEP_DATABASE")
    try:
        if not reuse:
            start = time.perf_counter()
            pages.build_data_set(dsn)
            print(f"data set built in {time.perf_counter() - start:.0f} s")
        PartnerKey.objects.all().delete()
        print(
            f"data set: {Organisation.objects.count():,} organisations, {national_scale.PEOPLE:,} people, "
            f"{Appointment.objects.current().named().count():,} active named officers; "
            f"settings {os.environ['DJANGO_SETTINGS_MODULE']}, DEBUG={settings.DEBUG}, "
            f"API_PAGE_SIZE={settings.API_PAGE_SIZE}"
        )
        _, register = partner_key_issue(issued_by=None, name="Bench", partner="Bench", scopes={"register"})
        _, contacts = partner_key_issue(
            issued_by=None,
            name="Bench contacts",
            partner="Bench",
            scopes={"register", "contacts"},
            contacts_reason="Bench",
        )
        client = Client()
        first = "/api/v1/organisations/"
        client.get(first, headers={"X-API-Key": register})
        print("full sync (in-process, every page followed by its next link):")
        result = sync(client, register, first)
        report("register scope", result)
        assert len(result["rows"]) == Organisation.objects.count() == len(set(result["rows"]))
        logged = ContactView.objects.count()
        result = sync(client, contacts, first)
        report("register + contacts scope", result)
        print(f"  contact views logged by the contacts sync: {ContactView.objects.count() - logged:,}")

        since = timezone.now()
        changed = make_changes()
        stamp = since.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        print(f"updated_since sync after {sum(CHANGES.values())} changes ({CHANGES}):")
        result = sync(client, register, f"{first}?updated_since={stamp}")
        report("updated_since", result)
        print(
            f"  organisations changed: {len(changed)}; returned: {len(result['rows'])}; "
            f"exactly those: {set(result['rows']) == changed}"
        )
    finally:
        from django.db import connections

        connections.close_all()
        if not keep:
            national_scale.drop_database(url, BENCH_DB)


if __name__ == "__main__":
    main()
