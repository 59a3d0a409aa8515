import datetime

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Case, Q, Value, When
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from msonet.text import mid_sentence
from msonet.validators import validate_uk_phone

from . import coverage

ODS_CODE_PATTERN = r"^[A-Z0-9]{3,9}$"
ods_code_validator = RegexValidator(
    ODS_CODE_PATTERN,
    "Enter an ODS code of 3 to 9 capital letters and digits, for example RXX or FA123.",
    code="invalid_ods_code",
)


# The region filter's value (directory, dashboard) for organisations with no region recorded.
NO_REGION = "none"


class Region(models.Model):
    """One of the seven NHS England regions, keyed by its ODS code (Y56 to Y63)."""

    code = models.CharField(max_length=3, unique=True, validators=[ods_code_validator])
    name = models.CharField(max_length=100, unique=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


def open_on_condition(day: datetime.date) -> Q:
    """Opened by `day` and not yet closed on it."""
    return (Q(opened_on__isnull=True) | Q(opened_on__lte=day)) & (Q(closed_on__isnull=True) | Q(closed_on__gt=day))


# Organisations are listed by name whatever its capitals (PostgreSQL's C collation and SQLite both
# sort capitals before small letters), then by ODS code; the index on these two serves the
# directory's pages (migration 0007).
NAME_ORDER = (Lower("name"), "ods_code")


class OrganisationQuerySet(models.QuerySet):
    def open_on(self, day: datetime.date):
        """Organisations open on the given day: opened by then and not yet closed."""
        return self.filter(open_on_condition(day))

    def open(self):
        return self.open_on(timezone.localdate())

    def search(self, text: str):
        text = (text or "").strip()
        if not text:
            return self
        if "\x00" in text:  # no stored text holds a NUL byte, and PostgreSQL refuses one in a query
            return self.none()
        # ODS codes are stored in capitals, so the exact match can use the unique index;
        # on PostgreSQL a trigram index serves the name match (migration 0004).
        return self.filter(Q(ods_code=text.upper()) | Q(name__icontains=text))

    def by_name(self):
        """In the order users read names in: "Birmingham and Solihull" before "Birmingham Women's"."""
        return self.order_by(*NAME_ORDER)

    def exact_code_first(self, text: str):
        """Order by name, with the organisation whose ODS code is exactly `text` first."""
        code = (text or "").strip().upper()
        if not code:
            return self.by_name()
        exact = Case(When(ods_code=code, then=Value(0)), default=Value(1))
        return self.alias(exact_code=exact).order_by("exact_code", *NAME_ORDER)

    def visible_to(self, user):
        """Every signed-in user may see the directory; anonymous visitors see nothing."""
        if not user.is_authenticated:
            return self.none()
        return self

    # Who must name an officer: organisations.coverage states which organisations are in England
    # and which are expected to have each duty, from this app's own records; compliance.coverage
    # adds who has one in place (named officers, covers), and every page, figure, export and the
    # compliance scan ask through the two.

    def in_england(self, day: datetime.date | None = None):
        return self.filter(coverage.in_england(day or timezone.localdate()))

    def outside_england(self, day: datetime.date | None = None):
        return self.exclude(coverage.in_england(day or timezone.localdate()))

    def expected(self, duty: str, day: datetime.date | None = None):
        """Open organisations in England expected to have `duty` (a Duty) on `day` (today)."""
        return self.filter(coverage.expected(duty, day or timezone.localdate()))


class Organisation(models.Model):
    """An NHS (or NHS-commissioned) organisation, as listed by the Organisation Data Service."""

    class Kind(models.TextChoices):
        NHS_TRUST = "nhs_trust", "NHS trust"
        ICB = "icb", "Integrated care board"
        SUB_ICB = "sub_icb", "Sub-ICB location"
        PHARMACY_COMPANY = "pharmacy_company", "Community pharmacy company"
        PHARMACY = "pharmacy", "Community pharmacy"
        GP_PRACTICE = "gp_practice", "GP practice"
        INDEPENDENT = "independent", "Independent sector"
        HOSPICE = "hospice", "Hospice"
        COVERING_BODY = "covering_body", "Covering body"
        OTHER = "other", "Other"

    # Types that answer for the whole of England, with no region of their own: a covering body
    # (the National Pharmacy Association, a buying group) and a pharmacy company, which is in
    # England when it runs an open pharmacy there.
    NATIONAL_KINDS = (Kind.COVERING_BODY, Kind.PHARMACY_COMPANY)

    ods_code = models.CharField("ODS code", max_length=9, unique=True, validators=[ods_code_validator])
    name = models.CharField(max_length=255)
    kind = models.CharField("type", max_length=20, choices=Kind.choices, default=Kind.OTHER)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="organisations")
    parent_icb = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="icb_organisations",
        limit_choices_to={"kind": Kind.ICB},
        verbose_name="parent ICB",
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        help_text="The parent organisation, such as a community pharmacy's head office company.",
    )
    opened_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    successor = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="predecessors",
        help_text="The organisation that took over after a merger or closure.",
    )
    address = models.CharField(max_length=400, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    # The switchboard as ODS publishes it, read from the ODS files and never entered here: it is not
    # checked with validate_uk_phone, so that no ODS row is refused for the way it writes a number.
    phone = models.CharField("switchboard telephone", max_length=30, blank=True)
    ods_role_codes = models.CharField("ODS role codes", max_length=100, blank=True)
    generic_mailbox = models.EmailField(
        "generic MSO mailbox",
        blank=True,
        help_text="The shared mailbox that receives national medication safety communications.",
    )
    board_director_name = models.CharField("board director for medication safety", max_length=150, blank=True)
    board_director_email = models.EmailField("board director's email", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrganisationQuerySet.as_manager()
    # The history is read by organisation (its id) and by date; the copies of the code and of the
    # links to other organisations and the region are not searched, so they have no index there
    # (each would cost every imported row another index entry).
    history = HistoricalRecords(no_db_index=["ods_code", "region", "parent_icb", "parent", "successor"])

    class Meta:
        ordering = list(NAME_ORDER)
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True)
                | Q(opened_on__isnull=True)
                | Q(closed_on__gte=models.F("opened_on")),
                name="organisation_closed_not_before_opened",
                violation_error_message="An organisation cannot close before it opens.",
            ),
            models.CheckConstraint(
                condition=Q(ods_code__regex=ODS_CODE_PATTERN),
                name="organisation_ods_code_format",
                violation_error_message="The ODS code is not valid.",
            ),
            models.CheckConstraint(
                condition=~Q(successor=models.F("pk")),
                name="organisation_not_own_successor",
                violation_error_message="An organisation cannot be its own successor.",
            ),
        ]
        indexes = [
            models.Index(fields=["region", "kind"]),
            models.Index(Lower("name"), "ods_code", name="organisation_by_name_idx"),
            # The open organisations counted from the index alone (the directory's and the dashboard's counts).
            models.Index(fields=["closed_on", "opened_on"], name="organisation_open_dates_idx"),
        ]

    def __str__(self):
        return f"{self.name} ({self.ods_code})"

    def get_absolute_url(self):
        return reverse("directory:organisation", args=[self.ods_code])

    def status_on(self, day: datetime.date) -> str:
        if self.opened_on and self.opened_on > day:
            return "not yet open"
        if self.closed_on and self.closed_on <= day:
            return "closed"
        return "open"

    @property
    def status(self) -> str:
        return self.status_on(timezone.localdate())

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    def _named_appointment(self, role):
        if hasattr(self, "named_appointments"):
            return next((a for a in self.named_appointments if a.role == role), None)
        return self.appointments.current().filter(role=role).select_related("person").first()

    @property
    def named_mso(self):
        """The active named MSO appointment, or None (prefetch `officers.models.named_officers()` on lists)."""
        return self._named_appointment("mso")

    @property
    def named_mdso(self):
        """The active named MDSO appointment, or None (prefetch `officers.models.named_officers()` on lists)."""
        return self._named_appointment("mdso")

    @property
    def display_name(self) -> str:
        """The name to show: a pharmacy company known only by its code says so."""
        if self.kind == self.Kind.PHARMACY_COMPANY and self.name == self.ods_code:
            return f"Pharmacy company {self.ods_code} (name not yet imported)"
        return self.name

    def coverage_status(self, duty: str) -> str:
        """For an organisation annotated by `compliance.coverage.with_coverage`: see `coverage_status`."""
        return coverage_status(
            in_england=self.in_england,
            is_open=self.is_open,
            **{part: getattr(self, f"{duty}_{part}") for part in ("named", "covered", "cover_in_force", "expected")},
        )

    @property
    def mso_status(self) -> str:
        return self.coverage_status(Duty.MSO)

    @property
    def mdso_status(self) -> str:
        return self.coverage_status(Duty.MDSO)

    @property
    def mailbox_status(self) -> str:
        return self.coverage_status(Duty.MAILBOX)


def coverage_status(
    *, in_england: bool, is_open: bool, named: bool, covered: bool, cover_in_force: bool, expected: bool
) -> str:
    """One duty of an organisation, from its `compliance.coverage.with_coverage` annotations: "outside England",
    "closed" (closed or not yet open), "named", "covered", "cover without an officer" (a cover is in
    force but the covering organisation has no officer: the covering organisation is flagged),
    "not expected" or "missing"."""
    if not in_england:
        return "outside England"
    if not is_open:
        return "closed"
    if named:
        return "named"
    if covered:
        return "covered"
    if cover_in_force:
        return "cover without an officer"
    if not expected:
        return "not expected"
    return "missing"


class KeyContact(models.Model):
    """A named person the MSO works with at their organisation."""

    class Role(models.TextChoices):
        CHIEF_PHARMACIST = "chief_pharmacist", "Chief pharmacist"
        PATIENT_SAFETY_SPECIALIST = "patient_safety_specialist", "Patient safety specialist"
        GOVERNANCE_LEAD = "governance_lead", "Governance or risk lead"
        MEDICAL_DEVICES_LEAD = "medical_devices_lead", "Medical devices lead"
        MEDICINES_ADVICE = "medicines_advice", "Medicines advice team"
        INCIDENT_REPORTING_LEAD = "incident_reporting_lead", "Incident reporting system lead"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="key_contacts")
    role = models.CharField(max_length=40, choices=Role.choices)
    name = models.CharField(max_length=150)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True, validators=[validate_uk_phone])

    history = HistoricalRecords()

    class Meta:
        ordering = ["role"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "role"], name="one_key_contact_per_role"),
        ]

    def __str__(self):
        return f"{self.get_role_display()}: {self.name}"


class Duty(models.TextChoices):
    """What an organisation may be expected to have: a named MSO, a named MDSO, a generic mailbox."""

    MSO = "mso", "Named MSO"
    MDSO = "mdso", "Named MDSO"
    MAILBOX = "mailbox", "Generic MSO mailbox"


# The duties a named officer fills, and a cover can be for (CoverRole).
OFFICER_DUTIES = (Duty.MSO, Duty.MDSO)


class CoverRole(models.TextChoices):
    """The named officers one organisation's officer can cover for another (the values of
    Appointment.Role.MSO and MDSO)."""

    MSO = "mso", "MSO"
    MDSO = "mdso", "MDSO"


DEFAULT_PHARMACY_THRESHOLD = 50
# What each type is expected to have until the lead changes it, as the 2014 patient safety alerts
# (NHS/PSA/D/2014/005 and /006) and the network's practice set it out: (named MSO, named MDSO,
# generic mailbox). Migration 0005 wrote these rows; a type missing from the table gets its row
# after every migrate (and so after a test database is flushed), with nothing expected if it is not here.
DEFAULT_TYPE_EXPECTATIONS = {
    "nhs_trust": (True, True, True),
    "icb": (True, True, True),
    "pharmacy_company": (True, True, True),
    "independent": (True, True, True),
    "covering_body": (True, False, True),
}


class TypeExpectationQuerySet(models.QuerySet):
    def create_missing(self) -> int:
        """Write the default row of every organisation type that has none; returns how many."""
        present = set(self.values_list("kind", flat=True))
        created = 0
        for kind in Organisation.Kind.values:
            if kind in present:
                continue
            mso, mdso, mailbox = DEFAULT_TYPE_EXPECTATIONS.get(kind, (False, False, False))
            row = self.model(
                kind=kind,
                expects_mso=mso,
                expects_mdso=mdso,
                expects_mailbox=mailbox,
                own_officer_threshold=DEFAULT_PHARMACY_THRESHOLD
                if kind == Organisation.Kind.PHARMACY_COMPANY
                else None,
            )
            row._change_reason = "Default expectations"
            row.save()
            created += 1
        return created


class TypeExpectation(models.Model):
    """What every open organisation of one type in England is expected to have, set by the national
    lead. A community pharmacy company is expected to name its own officers only when it runs more
    open pharmacies in England than `own_officer_threshold`; a community pharmacy never is (its
    company answers for it). Per-organisation exceptions are ExpectationOverrides."""

    kind = models.CharField("type", max_length=20, choices=Organisation.Kind.choices, unique=True)
    expects_mso = models.BooleanField("expected to name an MSO", default=False)
    expects_mdso = models.BooleanField("expected to name an MDSO", default=False)
    expects_mailbox = models.BooleanField("expected to have a generic MSO mailbox", default=False)
    own_officer_threshold = models.IntegerField(
        "open pharmacies in England above which a company names its own officers",
        null=True,
        blank=True,
        help_text="Pharmacy companies only. A company with this many open pharmacies in England or fewer is "
        "covered by a covering body's officer instead.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = TypeExpectationQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["kind"]
        constraints = [
            models.CheckConstraint(
                condition=Q(own_officer_threshold__isnull=True) | Q(own_officer_threshold__gte=0),
                name="type_expectation_threshold_not_negative",
                violation_error_message="The number of pharmacies cannot be below 0.",
            ),
            models.CheckConstraint(
                condition=Q(kind=Organisation.Kind.PHARMACY_COMPANY, own_officer_threshold__isnull=False)
                | (~Q(kind=Organisation.Kind.PHARMACY_COMPANY) & Q(own_officer_threshold__isnull=True)),
                name="type_expectation_threshold_for_pharmacy_companies_only",
                violation_error_message="Pharmacy companies, and only they, have a threshold of pharmacies.",
            ),
            models.CheckConstraint(
                condition=~Q(kind=Organisation.Kind.PHARMACY)
                | Q(expects_mso=False, expects_mdso=False, expects_mailbox=False),
                name="type_expectation_pharmacy_expects_nothing",
                violation_error_message="A community pharmacy never names its own officers: its company does.",
            ),
        ]

    def __str__(self):
        return self.get_kind_display()

    def expects(self, duty: str) -> bool:
        return getattr(self, f"expects_{duty}")


class ExpectationOverride(models.Model):
    """An exception for one organisation to its type's expectation, with the reason: a hospice that
    chose to name an MSO, a pharmacy company under the threshold that names its own."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="expectation_overrides")
    duty = models.CharField(max_length=10, choices=Duty.choices)
    expected = models.BooleanField()
    reason = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = [Lower("organisation__name"), "organisation__ods_code", "duty"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "duty"],
                name="one_expectation_override_per_duty",
                violation_error_message="This organisation already has an exception for this.",
            ),
            models.CheckConstraint(
                condition=~Q(reason=""),
                name="expectation_override_has_reason",
                violation_error_message="Give the reason for the exception.",
            ),
        ]

    def __str__(self):
        verb = "expected" if self.expected else "not expected"
        return f"{self.organisation.name}: {mid_sentence(self.get_duty_display())} {verb}"


class CoverQuerySet(models.QuerySet):
    def in_force_on(self, day: datetime.date):
        return self.filter(starts_on__lte=day).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))

    def in_force(self):
        return self.in_force_on(timezone.localdate())


class Cover(models.Model):
    """One organisation's named officer covering another organisation, or every organisation a rule
    describes, from `starts_on` to `ends_on` (inclusive; open-ended when empty). A covered
    organisation counts as covered only while the covering organisation has an active named officer
    of the role; when it has none, the covering organisation is flagged, not those it covers."""

    class Rule(models.TextChoices):
        SMALL_PHARMACY_COMPANIES = (
            "small_pharmacy_companies",
            "Every community pharmacy company at or under the threshold",
        )

    covering = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="covers_given",
        verbose_name="covering organisation",
    )
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="covers",
        verbose_name="covered organisation",
    )
    rule = models.CharField("covered organisations", max_length=30, choices=Rule.choices, blank=True)
    role = models.CharField(max_length=10, choices=CoverRole.choices)
    starts_on = models.DateField("from")
    ends_on = models.DateField("to", null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CoverQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = [Lower("covering__name"), "covering__ods_code", "role", "starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(organisation__isnull=False, rule="") | Q(organisation__isnull=True) & ~Q(rule=""),
                name="cover_names_an_organisation_or_a_rule",
                violation_error_message="Choose either one covered organisation or a rule, not both.",
            ),
            models.CheckConstraint(
                condition=Q(organisation__isnull=True) | ~Q(organisation=models.F("covering")),
                name="cover_not_of_itself",
                violation_error_message="An organisation cannot cover itself.",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="cover_ends_not_before_it_starts",
                violation_error_message="The cover cannot end before it starts.",
            ),
            models.UniqueConstraint(
                fields=["organisation", "role"],
                condition=Q(ends_on__isnull=True, organisation__isnull=False),
                name="one_open_ended_cover_per_organisation_and_role",
                violation_error_message="This organisation already has open-ended cover for this role.",
            ),
            models.UniqueConstraint(
                fields=["rule", "role"],
                condition=Q(ends_on__isnull=True) & ~Q(rule=""),
                name="one_open_ended_cover_per_rule_and_role",
                violation_error_message="This rule already has open-ended cover for this role.",
            ),
        ]

    def __str__(self):
        covered = self.organisation.name if self.organisation_id else self.get_rule_display().lower()
        return f"{self.covering.name}'s {self.get_role_display()} covers {covered}"

    def is_in_force_on(self, day: datetime.date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or self.ends_on >= day)
