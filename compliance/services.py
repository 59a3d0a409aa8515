"""The compliance scan, acknowledging a flag, and the weekly flag digest.

The scan is set-based: for each kind of flag one query finds every open organisation where the
condition holds, one query reads the open flags, and the differences are written in bulk. The
number of queries is the same for 25 organisations or 25,000.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Min, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from emails.services import email_queue
from handovers.models import Handover
from networks.models import Membership
from officers.models import Appointment
from organisations.models import Duty, Organisation
from users.models import User

from .coverage import to_flag
from .models import Flag, ScanRun

# An MSO has this long from their start date to register with the MHRA.
MHRA_REGISTRATION_PERIOD = datetime.timedelta(days=30)
# Any number that no other advisory lock in the database uses: "MSOF" in ASCII.
SCAN_LOCK_ID = 0x4D534F46
# The scan keeps the record of this many of its latest runs (over a year of nightly runs).
SCAN_RUNS_KEPT = 500
# The digest lists at most this many flags, oldest first; the counts cover them all.
DIGEST_LIST_LIMIT = 20

# {(organisation id, kind): (handover id, appointment id)}: what a flag is about, where it is one thing.
Findings = dict[tuple[int, str], tuple[int | None, int | None]]


def year_before(day: datetime.date) -> datetime.date:
    """The same date a year earlier (28 February for 29 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


@dataclass
class ScanReport:
    opened: int = 0
    resolved: int = 0
    open: int = 0
    lapsed_handovers: int = 0

    def summary_line(self) -> str:
        return f"opened={self.opened} resolved={self.resolved} open={self.open}"


def handovers_lapse(*, today: datetime.date) -> int:
    """Mark as lapsed every open handover whose due date has passed, or whose outgoing officer has
    left with no successor named. Three queries whatever their number; the history records each."""
    outgoing_ended = Q(outgoing_appointment__status=Appointment.Status.ENDED) | Q(
        outgoing_appointment__end_date__lt=today
    )
    lapsing = list(
        Handover.objects.filter(status=Handover.Status.OPEN)
        .filter(Q(due_date__lt=today) | (outgoing_ended & Q(incoming_appointment__isnull=True)))
        .order_by()
    )
    if not lapsing:
        return 0
    Handover.objects.filter(pk__in=[handover.pk for handover in lapsing]).update(status=Handover.Status.LAPSED)
    now = timezone.now()
    for handover in lapsing:
        handover.status = Handover.Status.LAPSED
    Handover.history.bulk_history_create(lapsing, update=True, default_date=now, default_change_reason="Lapsed")
    return len(lapsing)


def flag_findings(*, today: datetime.date, organisation_ids: list[int] | None = None) -> Findings:
    """Every (organisation, kind) whose condition holds on `today`: one query per kind. With
    `organisation_ids`, only those organisations are looked at.

    Who must have a named officer or a mailbox is compliance.coverage's one definition
    (`to_flag`): an organisation not expected to name its own is never flagged for lacking one, and
    where a cover is in force but the covering organisation has no officer, the covering
    organisation is flagged. Organisations outside England are never flagged; those that are closed
    or not yet open only for officers still in post at a closed organisation, so their other flags resolve.
    """
    everyone = Organisation.objects.order_by()
    if organisation_ids is not None:
        everyone = everyone.filter(pk__in=organisation_ids)
    england = everyone.in_england(today)
    organisations = england.open_on(today)
    open_ids = organisations.values("pk")
    year_ago = year_before(today)
    findings: Findings = {}

    def add(kind: str, rows) -> None:
        for organisation_id, handover_id, appointment_id in rows:
            findings.setdefault((organisation_id, kind), (handover_id, appointment_id))

    def ids(queryset):
        return ((pk, None, None) for pk in queryset.values_list("pk", flat=True))

    add(Flag.Kind.NO_MSO, ids(organisations.filter(to_flag(Duty.MSO, today))))
    add(Flag.Kind.NO_MDSO, ids(organisations.filter(to_flag(Duty.MDSO, today))))

    lapsed = (
        Handover.objects.filter(status=Handover.Status.LAPSED, organisation__in=open_ids)
        .values("organisation")
        .annotate(first=Min("pk"))
        .order_by()
    )
    add(Flag.Kind.LAPSED_HANDOVER, ((row["organisation"], row["first"], None) for row in lapsed))

    unregistered = (
        Appointment.objects.current()
        .filter(role=Appointment.Role.MSO, organisation__in=open_ids)
        .filter(start_date__lt=today - MHRA_REGISTRATION_PERIOD, mhra_registered_on__isnull=True)
        .order_by()
    )
    add(
        Flag.Kind.MHRA_NOT_REGISTERED,
        ((organisation, None, pk) for organisation, pk in unregistered.values_list("organisation", "pk")),
    )

    unconfirmed = (
        Appointment.objects.current()
        .named()
        .filter(organisation__in=open_ids)
        .filter(
            Q(person__details_confirmed_on__lt=year_ago)
            | Q(person__details_confirmed_on__isnull=True, start_date__lt=year_ago)
        )
        .order_by("organisation", "-role")  # the MSO's ("mso") before the MDSO's ("mdso")
    )
    add(
        Flag.Kind.DETAILS_NOT_CONFIRMED,
        ((organisation, None, pk) for organisation, pk in unconfirmed.values_list("organisation", "pk")),
    )

    add(Flag.Kind.NO_MAILBOX, ids(organisations.filter(to_flag(Duty.MAILBOX, today))))

    # Officers still in post where ODS has closed the organisation: one flag per organisation,
    # about its first such appointment, until the lead moves them to the successor or ends them.
    in_post_at_closed = (
        Appointment.objects.current()
        .filter(organisation__in=england.filter(closed_on__lte=today).values("pk"))
        .values("organisation")
        .annotate(first=Min("pk"))
        .order_by()
    )
    add(Flag.Kind.OFFICERS_AT_CLOSED, ((row["organisation"], None, row["first"]) for row in in_post_at_closed))
    return findings


def _lock_scan() -> None:
    """On PostgreSQL, wait for any other scan to finish (the lock ends with the transaction).

    The second of two concurrent scans then reads the flags the first opened, opens none again and
    reports what it changed itself. The partial unique constraint stays the guarantee: a scan that
    ever raced past the lock would fail on it and roll back (the task retries), never duplicate.
    SQLite lets one writer at a time anyway.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SCAN_LOCK_ID])


def compliance_scan(*, today: datetime.date | None = None) -> ScanReport:
    """Open the flags whose condition became true, resolve those whose condition ended.

    Idempotent: a second run on the same day changes nothing. A fixed number of queries: the lock,
    the handovers that lapse (3), one per kind (7), the open flags (1), then the new flags and their
    history (2) and the resolved flags, read back, and their history (3); last, the record of the
    run and the pruning of the oldest records (2), in the same transaction, so that only a scan
    that completed is recorded (the readiness check reads when the last one finished).
    """
    today = today or timezone.localdate()
    report = ScanReport()
    started_at = timezone.now()
    with transaction.atomic():
        _lock_scan()
        report.lapsed_handovers = handovers_lapse(today=today)
        findings = flag_findings(today=today)
        now = timezone.now()
        # Only the keys of the open flags: most nights few change, so few whole rows are read.
        open_flags = {
            (organisation, kind): pk
            for pk, organisation, kind in Flag.objects.open().values_list("pk", "organisation", "kind").order_by()
        }

        new_flags = [
            Flag(organisation_id=key[0], kind=key[1], opened_at=now, handover_id=refs[0], appointment_id=refs[1])
            for key, refs in findings.items()
            if key not in open_flags
        ]
        if new_flags:
            new_flags = Flag.objects.bulk_create(new_flags)
            Flag.history.bulk_history_create(new_flags, default_date=now, default_change_reason="Opened by the scan")

        ended = [pk for key, pk in open_flags.items() if key not in findings]
        if ended:
            Flag.objects.filter(pk__in=ended).update(resolved_at=now)
            resolved = list(Flag.objects.filter(pk__in=ended))
            Flag.history.bulk_history_create(
                resolved, update=True, default_date=now, default_change_reason="Resolved by the scan"
            )

        report.opened = len(new_flags)
        report.resolved = len(ended)
        report.open = len(open_flags) - len(ended) + len(new_flags)
        scan_run_record(report=report, started_at=started_at)
    return report


def scan_run_record(*, report: ScanReport, started_at: datetime.datetime) -> ScanRun:
    """Record a completed scan and delete the records beyond the latest SCAN_RUNS_KEPT (one query
    whatever their number)."""
    run = ScanRun.objects.create(
        started_at=started_at,
        finished_at=timezone.now(),
        opened=report.opened,
        resolved=report.resolved,
        open=report.open,
        lapsed_handovers=report.lapsed_handovers,
    )
    oldest_kept = ScanRun.objects.order_by("-pk").values("pk")[SCAN_RUNS_KEPT - 1 : SCAN_RUNS_KEPT]
    ScanRun.objects.filter(pk__lt=Subquery(oldest_kept)).delete()
    return run


def organisation_flags_resolve(
    *, organisation_id: int, kinds: list[str], user=None, reason: str, today: datetime.date | None = None
) -> int:
    """Resolve now, rather than at the next scan, the open flags of `kinds` of one organisation whose
    condition no longer holds, by the scan's own rule (`flag_findings` for that organisation alone).
    Opens no flag: that stays the scan's job. Returns the number of flags resolved."""
    today = today or timezone.localdate()
    with transaction.atomic():
        flags = list(
            Flag.objects.open().select_for_update().filter(organisation_id=organisation_id, kind__in=kinds).order_by()
        )
        if not flags:
            return 0
        findings = flag_findings(today=today, organisation_ids=[organisation_id])
        now = timezone.now()
        resolved = 0
        for flag in flags:
            if (organisation_id, flag.kind) in findings:
                continue
            flag.resolved_at = now
            flag._history_user = user
            flag._change_reason = reason[:100]
            flag.save(update_fields=["resolved_at"])
            resolved += 1
    return resolved


def flag_acknowledge(*, flag_id: int, user, note: str) -> Flag:
    """Record that `user` has seen an open flag, with a note. The flag stays open until its
    condition ends; acknowledging it again replaces the note (the history keeps the earlier one)."""
    note = (note or "").strip()
    if not note:
        raise ValidationError("Say what is being done about the flag.")
    with transaction.atomic():
        flag = Flag.objects.select_for_update().get(pk=flag_id)
        if not flag.is_open:
            raise ValidationError("This flag has been resolved, so it cannot be acknowledged.")
        flag.acknowledged_at = timezone.now()
        flag.acknowledged_by = user
        flag.acknowledgement_note = note
        flag._history_user = user
        flag.save(update_fields=["acknowledged_at", "acknowledged_by", "acknowledgement_note"])
    return flag


def flag_counts(flags) -> dict:
    """Counts of `flags` by kind and by region: one grouped query each."""
    labels = dict(Flag.Kind.choices)
    by_kind = flags.order_by().values("kind").annotate(n=Count("pk")).order_by("kind")
    by_region = (
        flags.order_by()
        .values("organisation__region__name")
        .annotate(n=Count("pk"))
        .order_by("organisation__region__name")
    )
    return {
        "by_kind": [
            {"kind": row["kind"], "label": labels.get(row["kind"], row["kind"]), "n": row["n"]} for row in by_kind
        ],
        "by_region": [
            {"region": name, "label": name, "n": row["n"]}
            for row in by_region
            for name in [row["organisation__region__name"] or "No region"]
        ],
    }


def _digest_recipients():
    """Active national leads, then active chairs and vice-chairs of networks with a region."""
    chairs = Membership.objects.current().chairs().filter(network__region__isnull=False).values("person__user")
    return list(
        User.objects.filter(is_active=True)
        .filter(Q(is_national_lead=True) | Q(pk__in=chairs))
        .order_by("-is_national_lead", "email")
    )


def flag_digests_send(*, today: datetime.date | None = None) -> int:
    """Queue the weekly digest of open flags: to each national lead every open flag, to each chair
    the flags of their networks' regions (`Flag.objects.visible_to`). Once per recipient per ISO
    week, whatever the number of runs (the email's dedupe key); no email when nothing is open.
    Returns the number of emails queued."""
    today = today or timezone.localdate()
    year, week, _ = today.isocalendar()
    board_url = settings.SITE_URL + reverse("compliance:board")
    queued = 0
    for user in _digest_recipients():
        flags = Flag.objects.visible_to(user).open()
        counts = flag_counts(flags)
        total = sum(row["n"] for row in counts["by_kind"])
        if not total:
            continue
        oldest = list(flags.select_related("organisation__region").order_by("opened_at", "pk")[:DIGEST_LIST_LIMIT])
        with transaction.atomic():
            email = email_queue(
                to=[user.email],
                template="flag_digest",
                context={
                    "user": user,
                    "is_lead": user.is_national_lead,
                    "total": total,
                    "acknowledged": flags.filter(acknowledged_at__isnull=False).count(),
                    "counts": counts,
                    "oldest": oldest,
                    "more": total - len(oldest),
                    "board_url": board_url,
                    "site_url": settings.SITE_URL,
                    "week": f"{year}-W{week:02d}",
                    "today": today,
                },
                dedupe_key=f"flag-digest:{user.pk}:{year}-W{week:02d}",
            )
        queued += email is not None
    return queued
