from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from simple_history.models import HistoricalRecords

from officers.models import Appointment, Person, by_surname
from organisations.models import Organisation, Region


class NetworkQuerySet(models.QuerySet):
    def for_organisation(self, organisation):
        """The networks an organisation takes part in: its region's regional network and every
        network one of its officers (active appointment) currently belongs to."""
        officers = Appointment.objects.current().filter(organisation=organisation).values("person")
        return self.filter(
            Q(kind=Network.Kind.REGIONAL, region_id=organisation.region_id)
            | Q(pk__in=Membership.objects.current().filter(person__in=officers).values("network"))
        )

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
        ordering = ["kind", Lower("name")]
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
        return reverse("directory:network", args=[self.slug])

    def member_organisations(self):
        """The organisations in this network: for a regional network, the open organisations in its
        region; for any other, the organisations where a current member holds an active appointment."""
        if self.kind == Network.Kind.REGIONAL:
            return Organisation.objects.open().filter(region_id=self.region_id)
        members = Membership.objects.current().filter(network=self).values("person")
        return Organisation.objects.filter(
            pk__in=Appointment.objects.current().filter(person__in=members).values("organisation")
        )


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
        ordering = [Lower("network__name"), *by_surname("person__")]
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
