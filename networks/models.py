import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from officers.models import Person
from organisations.models import Region


class NetworkQuerySet(models.QuerySet):
    def for_organisation(self, organisation):
        """The networks an organisation takes part in: its region's regional network and every
        network one of its officers (active appointment) currently belongs to."""
        from officers.models import Appointment

        officers = Appointment.objects.current().filter(organisation=organisation).values("person")
        return self.filter(
            Q(kind=Network.Kind.REGIONAL, region_id=organisation.region_id)
            | Q(pk__in=Membership.objects.current().filter(person__in=officers).values("network"))
        )

    def membership_visible_to(self, user):
        """The networks whose membership list (and its export) the user may see: every network for the
        national lead, the networks they currently chair or vice-chair for a chair, none for anyone else."""
        if not user.is_authenticated:
            return self.none()
        if user.is_national_lead:
            return self
        return self.filter(pk__in=Membership.objects.current().chairs().filter(person__user=user).values("network"))

    def with_chairs(self):
        """Prefetch the current chair and vice-chairs (with their person) into `chair_memberships`."""
        return self.prefetch_related(
            models.Prefetch(
                "memberships",
                queryset=Membership.objects.current().chairs().select_related("person").order_by("role"),
                to_attr="chair_memberships",
            )
        )


class Network(models.Model):
    """The national MSO network, a regional network (one per region), a local or a specialised one."""

    class Kind(models.TextChoices):
        NATIONAL = "national", "National"
        REGIONAL = "regional", "Regional"
        LOCAL = "local", "Local"
        SPECIALISED = "specialised", "Specialised"

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="networks")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    description = models.TextField(blank=True)

    objects = NetworkQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(kind="national"),
                name="one_national_network",
                violation_error_message="There is already a national network.",
            ),
            models.UniqueConstraint(
                fields=["region"],
                condition=Q(kind="regional"),
                name="one_regional_network_per_region",
                violation_error_message="This region already has a regional network.",
            ),
            models.CheckConstraint(
                condition=~Q(kind="regional") | Q(region__isnull=False),
                name="regional_network_has_region",
                violation_error_message="A regional network needs a region.",
            ),
            models.CheckConstraint(
                condition=~Q(kind="national") | Q(parent__isnull=True),
                name="national_network_has_no_parent",
                violation_error_message="The national network has no parent network.",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("networks:detail", args=[self.slug])

    def member_organisations(self):
        """The organisations in this network: for a regional network, the open organisations in its
        region; for any other, the organisations where a current member holds an active appointment."""
        from officers.models import Appointment
        from organisations.models import Organisation

        if self.kind == Network.Kind.REGIONAL:
            return Organisation.objects.open().filter(region_id=self.region_id)
        members = Membership.objects.current().filter(network=self).values("person")
        return Organisation.objects.filter(
            pk__in=Appointment.objects.current().filter(person__in=members).values("organisation")
        )

    def membership_list(self, user):
        """The network's organisations for its membership page and export, by name: each with its
        named MSO and MDSO (and their person) prefetched, its coverage (`with_coverage`: expected,
        named, covered, for each duty) and `open_flag_count` (the open compliance flags the user may see)."""
        from compliance.models import Flag

        open_flags = (
            Flag.objects.visible_to(user)
            .open()
            .filter(organisation=OuterRef("pk"))
            .order_by()
            .values("organisation")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            self.member_organisations()
            .with_named_officers()
            .with_coverage()
            .annotate(open_flag_count=Coalesce(Subquery(open_flags), 0))
            .order_by("name", "ods_code")
        )

    def mso_coverage(self) -> dict | None:
        """For a network with a region: how many of the region's open organisations are expected to
        name an MSO, how many of them have one in place (their own or a covering organisation's) and
        how many are missing one (one query). None for a network without a region."""
        if self.region_id is None:
            return None
        from organisations.coverage import expected, in_place
        from organisations.models import Duty, Organisation

        day = timezone.localdate()
        counts = Organisation.objects.filter(region_id=self.region_id).aggregate(
            expected=Count("pk", filter=expected(Duty.MSO, day)),
            in_place=Count("pk", filter=expected(Duty.MSO, day) & in_place(Duty.MSO, day)),
        )
        return {**counts, "missing": counts["expected"] - counts["in_place"]}


class MembershipQuerySet(models.QuerySet):
    def current(self):
        return self.filter(left_on__isnull=True)

    def chairs(self):
        return self.filter(role__in=Membership.CHAIR_ROLES)


class Membership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", "Member"
        CHAIR = "chair", "Chair"
        VICE_CHAIR = "vice_chair", "Vice-chair"

    CHAIR_ROLES = (Role.CHAIR, Role.VICE_CHAIR)

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    joined_on = models.DateField()
    left_on = models.DateField(null=True, blank=True)

    objects = MembershipQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["network__name", "person__last_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "network"],
                condition=Q(left_on__isnull=True),
                name="one_current_membership_per_network",
                violation_error_message="This person is already a member of this network.",
            ),
            models.UniqueConstraint(
                fields=["network"],
                condition=Q(left_on__isnull=True, role="chair"),
                name="one_current_chair_per_network",
                violation_error_message="This network already has a chair.",
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=models.F("joined_on")),
                name="membership_left_not_before_joined",
                violation_error_message="The leaving date cannot be before the joining date.",
            ),
        ]

    def __str__(self):
        return f"{self.person} — {self.get_role_display()}, {self.network}"


# A person is an active member of the national network when they attended at least one of the last
# this-many national webinars.
ACTIVE_MEMBER_WEBINARS = 3


class MeetingQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The meetings a user may see and manage (record, edit, mark attendance, import, export): every
        meeting for the national lead, the meetings of the networks they currently chair or vice-chair
        for a chair, none for anyone else. The one rule for every meeting page, import and export."""
        return self.filter(network__in=Network.objects.membership_visible_to(user))

    def national_webinars(self):
        return self.filter(kind=Meeting.Kind.NATIONAL_WEBINAR, network__kind=Network.Kind.NATIONAL)

    def last_national_webinars(self, day: datetime.date | None = None, count: int = ACTIVE_MEMBER_WEBINARS):
        """The latest `count` national webinars held on or before `day` (today by default), newest first."""
        day = day or timezone.localdate()
        return self.national_webinars().filter(held_on__lte=day).order_by("-held_on", "-pk")[:count]

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
    """The monthly national webinar (always of the national network) or a meeting of a network."""

    class Kind(models.TextChoices):
        NATIONAL_WEBINAR = "national_webinar", "National webinar"
        NETWORK_MEETING = "network_meeting", "Network meeting"

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="meetings")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.NETWORK_MEETING)
    title = models.CharField(max_length=200)
    held_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MeetingQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-held_on", "-pk"]
        indexes = [models.Index(fields=["kind", "held_on"]), models.Index(fields=["network", "held_on"])]

    def __str__(self):
        return f"{self.title} ({self.held_on:%d %b %Y})"

    def get_absolute_url(self):
        return reverse("networks:meeting-detail", args=[self.pk])

    def clean(self):
        super().clean()
        national = self.network_id is None or self.network.kind == Network.Kind.NATIONAL
        if self.kind == Meeting.Kind.NATIONAL_WEBINAR and not national:
            raise ValidationError(
                {"kind": "A national webinar is a meeting of the national network."}, code="webinar_not_national"
            )


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
