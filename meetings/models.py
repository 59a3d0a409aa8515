import datetime
import secrets
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from access import scopes
from networks.models import Membership, Network
from officers.models import Person

# Meetings are scheduled, shown and sent in UK time.
UK_TIME = ZoneInfo("Europe/London")

# A person is an active member of the national network when they attended at least one of the last
# this-many national webinars.
ACTIVE_MEMBER_WEBINARS = 3


class MeetingQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The meetings a user may see and manage (record, edit, mark attendance, import, export): every
        meeting for the national lead, the meetings of the networks they currently chair or vice-chair
        for a chair, none for anyone else. The one rule for every meeting page, import and export."""
        return self.filter(network__in=scopes.networks_with_membership(user))

    def national_webinars(self):
        return self.filter(kind=Meeting.Kind.NATIONAL_WEBINAR, network__kind=Network.Kind.NATIONAL)

    def last_national_webinars(self, day: datetime.date | None = None, count: int = ACTIVE_MEMBER_WEBINARS):
        """The latest `count` national webinars held on or before `day` (today by default), newest first."""
        day = day or timezone.localdate()
        return self.national_webinars().filter(held_on__lte=day).order_by("-held_on", "-pk")[:count]

    def scheduled(self):
        """Meetings with a start and end time: the ones whose invitations go out."""
        return self.filter(starts_at__isnull=False)

    def not_cancelled(self):
        return self.filter(cancelled_at__isnull=True)

    def for_audience(self, user):
        """The scheduled meetings in a user's calendar: every national webinar, and the meetings of the
        networks the user (their person record) is a current member of. The one rule for the
        "Webinars and meetings" page and the calendar feed."""
        networks = Membership.objects.current().filter(person__user=user).values("network")
        return self.scheduled().filter(Q(kind=Meeting.Kind.NATIONAL_WEBINAR) | Q(network__in=networks))

    def with_counts(self):
        """Annotate `attendee_count` and `unmatched_count` (imported attendees waiting to be matched)."""
        attendees = (
            Attendance.objects.filter(meeting=OuterRef("pk")).order_by().values("meeting").annotate(n=Count("pk"))
        )
        unmatched = (
            UnmatchedAttendee.objects.open()
            .filter(meeting=OuterRef("pk"))
            .order_by()
            .values("meeting")
            .annotate(n=Count("pk"))
        )
        return self.annotate(
            attendee_count=Coalesce(Subquery(attendees.values("n")), 0),
            unmatched_count=Coalesce(Subquery(unmatched.values("n")), 0),
        )


class Meeting(models.Model):
    """The monthly national webinar (always of the national network) or a meeting of a network.

    A database trigger keeps the rule that a national webinar is a meeting of the national network
    (migrations 0002_national_webinar_trigger); `clean()` gives it its message in forms and the admin."""

    class Kind(models.TextChoices):
        NATIONAL_WEBINAR = "national_webinar", "National webinar"
        NETWORK_MEETING = "network_meeting", "Network meeting"

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="meetings")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.NETWORK_MEETING)
    title = models.CharField(max_length=200)
    held_on = models.DateField()
    # A scheduled meeting (invitations sent) has a start and an end; a record of a meeting held may not.
    starts_at = models.DateTimeField(null=True, blank=True, help_text="When it starts (shown in UK time).")
    ends_at = models.DateTimeField(null=True, blank=True, help_text="When it ends (shown in UK time).")
    joining_link = models.URLField(
        max_length=500,
        blank=True,
        validators=[URLValidator(schemes=["http", "https"], message="Enter a joining link starting https://")],
        help_text="The address people use to join (Microsoft Teams, for example).",
    )
    agenda = models.TextField(blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The calendar invitations' SEQUENCE: 0 for the invitation, one more at each update or cancellation.
    sequence = models.PositiveIntegerField(default=0, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MeetingQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-held_on", "-pk"]
        # Named as when the model was in the networks app, so that the indexes keep their names.
        indexes = [
            models.Index(fields=["kind", "held_on"], name="networks_me_kind_204c70_idx"),
            models.Index(fields=["network", "held_on"], name="networks_me_network_77531d_idx"),
            models.Index(fields=["starts_at"], name="meetings_meeting_starts_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True, ends_at__isnull=True)
                | Q(starts_at__isnull=False, ends_at__isnull=False, ends_at__gt=F("starts_at")),
                name="meeting_ends_after_it_starts",
                violation_error_message="The end time must be after the start time.",
            ),
            models.CheckConstraint(
                condition=Q(cancelled_at__isnull=True) | Q(starts_at__isnull=False),
                name="meeting_cancelled_only_when_scheduled",
                violation_error_message="Only a scheduled meeting can be cancelled.",
            ),
            models.CheckConstraint(
                condition=Q(joining_link="")
                | Q(joining_link__startswith="https://")
                | Q(joining_link__startswith="http://"),
                name="meeting_joining_link_is_web_address",
                violation_error_message="Enter a joining link starting https://",
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.held_on:%d %b %Y})"

    def get_absolute_url(self):
        return reverse("meetings:detail", args=[self.pk])

    @property
    def is_scheduled(self) -> bool:
        return self.starts_at is not None

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def uid(self) -> str:
        """The calendar UID of the meeting, the same in every invitation, update, cancellation and feed."""
        return f"meeting-{self.pk}@{urlsplit(settings.SITE_URL).hostname}"

    @property
    def starts_uk(self) -> datetime.datetime | None:
        return self.starts_at.astimezone(UK_TIME) if self.starts_at else None

    @property
    def ends_uk(self) -> datetime.datetime | None:
        return self.ends_at.astimezone(UK_TIME) if self.ends_at else None

    def clean(self):
        super().clean()
        national = self.network_id is None or self.network.kind == Network.Kind.NATIONAL
        if self.kind == Meeting.Kind.NATIONAL_WEBINAR and not national:
            raise ValidationError(
                {"kind": "A national webinar is a meeting of the national network."}, code="webinar_not_national"
            )
        if (self.starts_at is None) != (self.ends_at is None):
            raise ValidationError(
                {"ends_at": "Enter both the start time and the end time."}, code="meeting_time_incomplete"
            )
        if self.starts_at is not None:
            if self.ends_at <= self.starts_at:
                raise ValidationError(
                    {"ends_at": "The end time must be after the start time."}, code="meeting_ends_before_start"
                )
            if self.held_on != self.starts_uk.date():
                raise ValidationError(
                    {"held_on": "The date of the meeting must be the day it starts."}, code="meeting_date_mismatch"
                )


class CalendarFeed(models.Model):
    """A user's personal calendar feed: a secret address that calendar programs subscribe to, listing
    the national webinars and the meetings of the user's networks. Resetting it makes a new token;
    the old address then answers 404. The token itself is kept out of the history."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    reset_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["token"])

    def __str__(self):
        return f"Calendar feed of {self.user}"

    def get_absolute_url(self):
        return reverse("meetings:calendar-feed", args=[self.token])

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)


class Attendance(models.Model):
    class Source(models.TextChoices):
        MARKED = "marked", "Marked on the meeting page"
        TEAMS = "teams", "Teams attendance report"
        IMPORT = "import", "Attendance file"
        MATCHED = "matched", "Matched from an imported attendee"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendances")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="attendances")
    minutes_attended = models.PositiveIntegerField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MARKED, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["meeting", "person"]
        verbose_name_plural = "attendance"
        constraints = [
            models.UniqueConstraint(fields=["meeting", "person"], name="one_attendance_per_meeting"),
        ]

    def __str__(self):
        return f"{self.person} at {self.meeting}"


class UnmatchedAttendeeQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=UnmatchedAttendee.Status.OPEN)


class UnmatchedAttendee(models.Model):
    """Someone in an imported attendance file whose email matched no person: kept on the meeting's
    page until someone matches them to a person (which records their attendance) or dismisses them.
    `key` (the email in lower case, or the name when there is none) is unique per meeting, so a
    second import of the same file lists no one twice and brings back no one dismissed."""

    class Status(models.TextChoices):
        OPEN = "open", "Waiting to be matched"
        MATCHED = "matched", "Matched"
        DISMISSED = "dismissed", "Dismissed"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="unmatched_attendees")
    name = models.CharField(max_length=200, blank=True)
    email = models.CharField(max_length=254, blank=True)
    key = models.CharField(max_length=254, editable=False)
    minutes_attended = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    person = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who they were matched to.",
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField(default=timezone.now)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    objects = UnmatchedAttendeeQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["meeting", "name", "email", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "key"],
                name="one_unmatched_attendee_per_meeting_and_key",
                violation_error_message="This attendee is already listed for this meeting.",
            ),
            models.CheckConstraint(
                condition=~Q(key=""),
                name="unmatched_attendee_has_key",
                violation_error_message="A name or email is needed.",
            ),
            models.CheckConstraint(
                condition=Q(status="matched") | Q(person__isnull=True),
                name="unmatched_attendee_person_only_when_matched",
                violation_error_message="Only a matched attendee has a person.",
            ),
            models.CheckConstraint(
                condition=Q(status="open", resolved_at__isnull=True)
                | (~Q(status="open") & Q(resolved_at__isnull=False)),
                name="unmatched_attendee_resolved_when_not_open",
                violation_error_message="A matched or dismissed attendee has a time it was resolved.",
            ),
        ]

    def __str__(self):
        return f"{self.name or self.email} at {self.meeting}"

    @staticmethod
    def key_for(*, name: str, email: str) -> str:
        """The email in lower case, or else the name in lower case with spaces collapsed."""
        email = email.strip().lower()
        if email:
            return email
        return "name:" + " ".join(name.lower().split()) if name.strip() else ""


class ExportLog(models.Model):
    """A record of each export of a network's membership list or of a meeting's attendance: who took
    it, of which network (and meeting), in which format and how many rows it held."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"

    class Content(models.TextChoices):
        MEMBERSHIP = "membership", "Membership list"
        ATTENDANCE = "attendance", "Meeting attendance"

    # The content type of each format's download.
    content = models.CharField(max_length=20, choices=Content.choices, default=Content.MEMBERSHIP)
    meeting = models.ForeignKey(Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="export_logs")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="export_logs")
    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="export_logs")
    format = models.CharField(max_length=10, choices=Format.choices)
    row_count = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.user} exported {self.network} ({self.get_format_display()}, {self.row_count} rows)"
