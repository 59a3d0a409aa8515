"""Load demonstration data: real organisations from the ODS files in data/ods/, fictional officers.

Safe to run again: the ODS import updates what changed, networks and accounts are only created
when missing, and the fictional officers are added once (when no demo person exists yet). The
random choices use a fixed seed and dates count from a fixed day, so every fresh database gets
the same data.

Demo accounts (one per role) sign in with DEMO_PASSWORD. The national lead account is staff
and a national lead but not a superuser, so it sees the admin exactly as a real lead does.
"""

import datetime
import random
import zoneinfo
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from access import scopes
from committees.models import Committee, CommitteeMember
from compliance.services import compliance_scan
from meetings.models import Attendance, Meeting
from networks.models import Membership, Network
from officers.models import Appointment, Person, Profession
from organisations.models import Cover, CoverRole, Organisation, Region
from registrations.models import RegistrationRequest
from registrations.services import registration_submit
from users.models import User

ODS_DIR = settings.BASE_DIR / "data" / "ods"
ODS_FILES = [
    ("icb_names_codes_dec_2024.csv", "icbs"),
    ("etr.csv", "trusts"),
    ("eccg.csv", "sub-icbs"),
    # A real extract: every 7th row of the national community pharmacy file, closed and Welsh rows included.
    ("edispensary_sample.csv", "pharmacies"),
]
# The covering body whose MSO covers every pharmacy company at or under the threshold. Covering bodies
# have no ODS code: the lead gives each a local code.
COVERING_BODY = {"ods_code": "CBNPA", "name": "National Pharmacy Association"}

RANDOM_SEED = 20261101
# Demo dates count back from this day, not from today, so the data does not change from day to day.
REFERENCE_DATE = datetime.date(2026, 11, 1)
DEMO_EMAIL_SUFFIX = ".demo@nhs.net"
DEMO_PASSWORD = "mso-network-demo"
HISTORY_REASON = "Demo data"

NATIONAL_NETWORK = {"name": "National MSO network", "slug": "national"}
DEMO_MSO_TRUST = "RAL"  # Royal Free London NHS Foundation Trust
DEMO_CHAIR_REGION = "Y56"  # London

SHARE_WITH_MSO = 0.7
SHARE_WITH_MDSO = 0.5
SHARE_WITH_DEPUTY = 0.3
SHARE_WITH_COMMITTEE = 0.35
SHARE_MSO_MHRA_REGISTERED = 0.6
SHARE_MDSO_MHRA_REGISTERED = 0.5
PENDING_REGISTRATIONS = 3
# One sign-in per role: email, (first name, last name), user flags. The chair and the MSO get a person record.
LEAD_EMAIL = "lead.demo@nhs.net"
CHAIR_EMAIL = "london.chair.demo@nhs.net"
MSO_EMAIL = "mso.demo@nhs.net"
DEMO_ACCOUNTS = [
    (LEAD_EMAIL, ("Helen", "Marsh"), {"is_national_lead": True, "is_staff": True}),
    (CHAIR_EMAIL, ("Daniel", "Okafor"), {}),
    (MSO_EMAIL, ("Priya", "Sandhu"), {}),
]
ACCOUNT_NAMES = {email: name for email, name, _ in DEMO_ACCOUNTS}
WEBINARS = [
    ("National MSO webinar: September 2026", datetime.date(2026, 9, 9), 0.55),
    ("National MSO webinar: October 2026", datetime.date(2026, 10, 14), 0.45),
]
# The next national webinar, scheduled: on the second Wednesday of next month, 14:00 to 15:00 UK time.
NEXT_WEBINAR_LINK = "https://teams.microsoft.com/l/meetup-join/mso-network-demo-webinar"
NEXT_WEBINAR_AGENDA = "Welcome and news from the national team\nInsulin safety: learning from incidents\nQuestions"


def next_webinar_day(today: datetime.date) -> datetime.date:
    """The second Wednesday of the month after `today`'s."""
    first = (today.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    first_wednesday = first + datetime.timedelta(days=(2 - first.weekday()) % 7)
    return first_wednesday + datetime.timedelta(days=7)


# Made-up people: common first names and surnames, paired at random.
# fmt: off
FIRST_NAMES = [
    "Aisha", "Alex", "Amara", "Amir", "Anna", "Ben", "Bethan", "Caroline", "Chloe", "Chidi", "Daniel", "Deepa",
    "Eilidh", "Ella", "Emeka", "Fatima", "Fiona", "Gareth", "Grace", "Hannah", "Harpreet", "Imran", "Isla", "Jack",
    "James", "Jasmine", "Joanne", "Kamal", "Karen", "Kwame", "Laura", "Leah", "Liam", "Lucy", "Mark", "Maya",
    "Mohammed", "Naomi", "Neil", "Nisha", "Oliver", "Olu", "Priya", "Rachel", "Rhys", "Rosa", "Ruth", "Sam",
    "Sanjay", "Sarah", "Sean", "Sian", "Sophie", "Tariq", "Tom", "Uchenna", "Vikram", "Yasmin", "Zainab", "Zoe",
]
LAST_NAMES = [
    "Abbott", "Achebe", "Ahmed", "Ainsworth", "Appleby", "Baxter", "Bhatt", "Blackwood", "Bradshaw", "Carver",
    "Chaudhry", "Cole", "Cunningham", "Dale", "Desai", "Doyle", "Ellison", "Evans", "Fairbairn", "Fenwick",
    "Fletcher", "Gallagher", "Garside", "Goodwin", "Hale", "Hartley", "Hussain", "Iqbal", "Jarvis", "Kapoor",
    "Kaur", "Kendrick", "Lamb", "Lindqvist", "Lockwood", "Macrae", "Marsh", "Mensah", "Merritt", "Nash", "Nwosu",
    "Okafor", "Oyelaran", "Parekh", "Pemberton", "Quinn", "Rahman", "Redfern", "Rowntree", "Sandhu", "Shaw",
    "Sinclair", "Stanton", "Tait", "Thackeray", "Thorne", "Underwood", "Varma", "Wainwright", "Whitlock",
    "Winterbottom", "Yeo",
]
# fmt: on
COMMITTEE_MEMBERS = [
    ("Chief Nurse", Profession.NURSE),
    ("Clinical Director for Medicines", Profession.DOCTOR),
    ("Deputy Chief Pharmacist", Profession.PHARMACIST),
    ("Head of Midwifery", Profession.MIDWIFE),
    ("Consultant Anaesthetist", Profession.DOCTOR),
    ("Lead Pharmacy Technician", Profession.PHARMACY_TECHNICIAN),
]


@dataclass
class DemoOfficers:
    """Fictional people, appointments, memberships, committees and webinars, built in memory and
    then written with a few bulk inserts."""

    rng: random.Random
    national: Network
    regional: dict  # region id -> that region's network
    people: list = field(default_factory=list)
    appointments: list = field(default_factory=list)
    memberships: list = field(default_factory=list)
    committee_plans: list = field(default_factory=list)
    applications: list = field(default_factory=list)  # (trust, first name, last name) of waiting requests
    used_names: set = field(default_factory=lambda: set(ACCOUNT_NAMES.values()))

    def new_name(self) -> tuple[str, str]:
        while True:
            name = (self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES))
            if name not in self.used_names:
                self.used_names.add(name)
                return name

    def person(self, job_title, profession, *, email=None):
        first_name, last_name = ACCOUNT_NAMES[email] if email else self.new_name()
        person = Person(
            first_name=first_name,
            last_name=last_name,
            job_title=job_title,
            profession=profession,
            work_email=email or f"{first_name}.{last_name}{DEMO_EMAIL_SUFFIX}".lower(),
            phone=f"020 7946 {len(self.people) % 1000:04d}",  # Ofcom's London range reserved for drama
            details_confirmed_on=REFERENCE_DATE - datetime.timedelta(days=self.rng.randint(0, 540)),
        )
        self.people.append(person)
        return person

    def appoint(self, person, organisation, role, *, status=Appointment.Status.ACTIVE, mhra_share=0.0):
        start = REFERENCE_DATE - datetime.timedelta(days=self.rng.randint(30, 6 * 365))
        appointment = Appointment(person=person, organisation=organisation, role=role, status=status, start_date=start)
        if self.rng.random() < mhra_share:
            appointment.mhra_registered_on = start + datetime.timedelta(days=self.rng.randint(3, 60))
            appointment.mhra_reference = f"MSO-DEMO-{len(self.appointments) + 1:05d}"
        self.appointments.append(appointment)
        if status == Appointment.Status.ACTIVE:
            self.join(person, self.national, start)
            if organisation.region_id in self.regional:
                self.join(person, self.regional[organisation.region_id], start)

    def join(self, person, network, joined_on, role=Membership.Role.MEMBER):
        self.memberships.append(Membership(person=person, network=network, role=role, joined_on=joined_on))

    def add_trust_officers(self, trust, *, mso_email=None) -> bool:
        """A named MSO (for about 70% of trusts), an MDSO, deputies and a committee; True if it has an MSO."""
        mso = mdso = None
        if mso_email or self.rng.random() < SHARE_WITH_MSO:
            profession = self.rng.choice([Profession.PHARMACIST] * 4 + [Profession.PHARMACY_TECHNICIAN])
            mso = self.person("Medication Safety Officer", profession, email=mso_email)
            self.appoint(mso, trust, Appointment.Role.MSO, mhra_share=SHARE_MSO_MHRA_REGISTERED)
        if self.rng.random() < SHARE_WITH_MDSO:
            profession = self.rng.choice([Profession.CLINICAL_SCIENTIST, Profession.NURSE, Profession.ALLIED_HEALTH])
            mdso = self.person("Medical Device Safety Officer", profession)
            self.appoint(mdso, trust, Appointment.Role.MDSO, mhra_share=SHARE_MDSO_MHRA_REGISTERED)
        if mso and self.rng.random() < SHARE_WITH_DEPUTY:
            deputy = self.person("Deputy Medication Safety Officer", Profession.PHARMACIST)
            self.appoint(deputy, trust, Appointment.Role.DEPUTY_MSO)
        if mso and self.rng.random() < SHARE_WITH_COMMITTEE:
            self.committee_plans.append((trust, mso, mdso))
        return mso is not None

    def add_pending_registration(self, trust):
        """Someone who has signed up and asked to be the trust's MSO: the lead's queue has it."""
        first_name, last_name = self.new_name()
        self.applications.append((trust, first_name, last_name))

    def add_chair(self, network, *, email=None):
        chair = self.person(f"Chair, {network.name}", Profession.PHARMACIST, email=email)
        joined_on = REFERENCE_DATE - datetime.timedelta(days=self.rng.randint(180, 1200))
        self.join(chair, network, joined_on, role=Membership.Role.CHAIR)
        self.join(chair, self.national, joined_on)

    def committees(self) -> tuple[list, list]:
        committees, members = [], []
        for trust, mso, mdso in self.committee_plans:
            committee = Committee(
                organisation=trust,
                name=self.rng.choice(["Medication Safety Committee", "Medicines Safety Group"]),
                chair_name="{} {}".format(*self.new_name()),
                meeting_frequency=self.rng.choice(Committee.Frequency.values[:3]),
                last_met_on=REFERENCE_DATE - datetime.timedelta(days=self.rng.randint(5, 120)),
                reports_to=self.rng.choice(Committee.ReportsTo.values),
            )
            committees.append(committee)
            for officer in filter(None, [mso, mdso]):
                members.append(
                    CommitteeMember(
                        committee=committee,
                        person=officer,
                        name=officer.full_name,
                        role=officer.job_title,
                        profession=officer.profession,
                    )
                )
            for role, profession in self.rng.sample(COMMITTEE_MEMBERS, self.rng.randint(2, 3)):
                name = "{} {}".format(*self.new_name())
                members.append(CommitteeMember(committee=committee, name=name, role=role, profession=profession))
            if self.rng.random() < 0.4:
                committee.has_patient_representation = True
                committee.patient_representation_detail = "A patient safety partner is a member."
                name = "{} {}".format(*self.new_name())
                members.append(
                    CommitteeMember(
                        committee=committee, name=name, role="Patient safety partner", is_patient_representative=True
                    )
                )
        return committees, members

    def webinars(self) -> tuple[list, list]:
        officers = [a.person for a in self.appointments if a.status == Appointment.Status.ACTIVE]
        meetings, attendance = [], []
        for title, held_on, share in WEBINARS:
            meeting = Meeting(network=self.national, kind=Meeting.Kind.NATIONAL_WEBINAR, title=title, held_on=held_on)
            meetings.append(meeting)
            attendance += [
                Attendance(meeting=meeting, person=person, minutes_attended=self.rng.randint(20, 60))
                for person in officers
                if self.rng.random() < share
            ]
        day = next_webinar_day(timezone.localdate())
        uk = zoneinfo.ZoneInfo("Europe/London")
        meetings.append(
            Meeting(
                network=self.national,
                kind=Meeting.Kind.NATIONAL_WEBINAR,
                title=f"National MSO webinar: {day:%B %Y}",
                held_on=day,
                starts_at=datetime.datetime.combine(day, datetime.time(14), tzinfo=uk),
                ends_at=datetime.datetime.combine(day, datetime.time(15), tzinfo=uk),
                joining_link=NEXT_WEBINAR_LINK,
                agenda=NEXT_WEBINAR_AGENDA,
            )
        )
        return meetings, attendance


def _bulk_create(objects: list) -> int:
    if objects:
        bulk_create_with_history(objects, type(objects[0]), batch_size=500, default_change_reason=HISTORY_REASON)
    return len(objects)


class Command(BaseCommand):
    help = (
        "Load demonstration data for development: the ODS organisations shipped in data/ods/, the national "
        "and regional networks, fictional officers, committees and webinars, and one sign-in per role. "
        "Only runs where settings.DEMO_DATA_ALLOWED is True. Running it again adds nothing."
    )

    def handle(self, *args, **options):
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError(
                "Demo data is not allowed with these settings (DEMO_DATA_ALLOWED is False). "
                "seed_demo is for development only: run it with msonet.settings.local."
            )
        self.import_organisations()
        with transaction.atomic():
            national, regional = self.create_networks()
            if Person.objects.filter(work_email__iendswith=DEMO_EMAIL_SUFFIX).exists():
                self.stdout.write("Demo officers: already loaded, nothing added")
            else:
                self.create_officers(national, regional)
                self.create_covering_body(national)
            accounts = self.create_accounts()
        self.stdout.write(f"Compliance scan: {compliance_scan().summary_line()}")
        self.print_accounts(accounts)

    def import_organisations(self):
        if "import_ods" not in get_commands():
            raise CommandError("The import_ods command is not available, so the ODS seed data cannot be loaded.")
        for filename, kind in ODS_FILES:
            self.stdout.write(f"ODS {filename} ({kind}):")
            call_command("import_ods", str(ODS_DIR / filename), kind=kind, stdout=self.stdout, stderr=self.stderr)

    def create_networks(self) -> tuple[Network, dict]:
        regions = list(Region.objects.order_by("code"))
        if not regions:
            raise CommandError("There are no NHS England regions: run `manage.py migrate` first.")
        national, created = Network.objects.get_or_create(kind=Network.Kind.NATIONAL, defaults=NATIONAL_NETWORK)
        created_count = int(created)
        regional = {}
        for region in regions:
            regional[region.pk], created = Network.objects.get_or_create(
                kind=Network.Kind.REGIONAL,
                region=region,
                defaults={"name": f"{region.name} MSO network", "slug": slugify(region.name), "parent": national},
            )
            created_count += created
        self.stdout.write(f"Networks: created={created_count} existing={len(regions) + 1 - created_count}")
        return national, regional

    def create_officers(self, national: Network, regional: dict):
        # NHS trusts and ICBs, which are expected to name an MSO and an MDSO.
        trusts = list(
            Organisation.objects.open()
            .filter(kind__in=[Organisation.Kind.NHS_TRUST, Organisation.Kind.ICB])
            .select_related("region")
            .order_by("ods_code")
        )
        if not trusts:
            raise CommandError("There are no open NHS trusts: the ODS import loaded none.")
        london_trusts = [trust for trust in trusts if trust.region and trust.region.code == DEMO_CHAIR_REGION]
        mso_trust = next((t for t in trusts if t.ods_code == DEMO_MSO_TRUST), None) or (london_trusts or trusts)[0]

        demo = DemoOfficers(rng=random.Random(RANDOM_SEED), national=national, regional=regional)
        without_mso = [
            trust
            for trust in trusts
            if not demo.add_trust_officers(trust, mso_email=MSO_EMAIL if trust == mso_trust else None)
        ]
        self.give_mailboxes([trust for trust in trusts if trust not in without_mso])
        for trust in demo.rng.sample(without_mso, min(PENDING_REGISTRATIONS, len(without_mso))):
            demo.add_pending_registration(trust)
        applicants = self.submit_applications(demo.applications)
        chair_region = Region.objects.filter(code=DEMO_CHAIR_REGION).first()
        for region_id, network in regional.items():
            demo.add_chair(network, email=CHAIR_EMAIL if chair_region and region_id == chair_region.pk else None)
        committees, committee_members = demo.committees()
        meetings, attendance = demo.webinars()

        counts = {
            "people": _bulk_create(demo.people),
            "appointments": _bulk_create(demo.appointments),
            "memberships": _bulk_create(demo.memberships),
            "committees": _bulk_create(committees),
            "committee_members": _bulk_create(committee_members),
            "webinars": _bulk_create(meetings),
            "attendance": _bulk_create(attendance),
        }
        counts["registration_requests"] = applicants
        summary = " ".join(f"{name}={count}" for name, count in counts.items())
        self.stdout.write(f"Demo officers: {summary} open_trusts={len(trusts)} trusts_without_mso={len(without_mso)}")

    def give_mailboxes(self, organisations):
        """A generic MSO mailbox for each organisation given a named MSO (ODS has none to import)."""
        for organisation in organisations:
            organisation.generic_mailbox = f"{organisation.ods_code.lower()}.medicationsafety{DEMO_EMAIL_SUFFIX}"
        bulk_update_with_history(
            organisations, Organisation, ["generic_mailbox"], batch_size=500, default_change_reason=HISTORY_REASON
        )

    def create_covering_body(self, national: Network):
        """The National Pharmacy Association, a covering body with a fictional MSO, covering every
        pharmacy company at or under the threshold of open pharmacies in England."""
        body, _ = Organisation.objects.get_or_create(
            ods_code=COVERING_BODY["ods_code"],
            defaults={
                "name": COVERING_BODY["name"],
                "kind": Organisation.Kind.COVERING_BODY,
                "generic_mailbox": "medication.safety.demo@npa.example.org",
            },
        )
        demo = DemoOfficers(rng=random.Random(RANDOM_SEED + 1), national=national, regional={})
        demo.used_names |= set(Person.objects.values_list("first_name", "last_name"))
        mso = demo.person("Medication Safety Officer, community pharmacy", Profession.PHARMACIST)
        demo.appoint(mso, body, Appointment.Role.MSO, mhra_share=1.0)
        _bulk_create(demo.people)
        _bulk_create(demo.appointments)
        _bulk_create(demo.memberships)
        Cover.objects.get_or_create(
            covering=body,
            rule=Cover.Rule.SMALL_PHARMACY_COMPANIES,
            role=CoverRole.MSO,
            defaults={"starts_on": datetime.date(2014, 3, 20), "reason": HISTORY_REASON},
        )
        self.stdout.write(f"Covering body: {body.name}, covering every pharmacy company at or under the threshold")

    def submit_applications(self, applications) -> int:
        """Registration requests through the same service as the portal's form; the last applicant
        uses an address outside the trusted NHS domains, so the queue shows the extra check."""
        for number, (trust, first_name, last_name) in enumerate(applications, start=1):
            domain = "nhs.net" if number < len(applications) else "example-healthcare.co.uk"
            email = f"{first_name}.{last_name}.applicant.demo@{domain}".lower()
            user, created = User.objects.get_or_create(email=email, defaults={"name": f"{first_name} {last_name}"})
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
                EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
            if RegistrationRequest.objects.waiting().filter(user=user).exists():
                continue
            registration_submit(
                user=user,
                organisation=trust,
                role=Appointment.Role.MSO,
                start_date=REFERENCE_DATE,
                first_name=first_name,
                last_name=last_name,
                job_title="Lead Pharmacist, Medication Safety",
                profession=Profession.PHARMACIST,
                phone="020 7946 0999",
                has_mailbox_access=bool(trust.generic_mailbox),
            )
        return len(applications)

    def create_accounts(self) -> list[tuple[User, bool]]:
        accounts = []
        password_hash = None
        for email, (first_name, last_name), flags in DEMO_ACCOUNTS:
            user = User.objects.filter(email=email).first()
            created = user is None
            if created:
                # Hashing is the slow part of creating an account: do it once for all three.
                password_hash = password_hash or make_password(DEMO_PASSWORD)
                name = f"{first_name} {last_name}"
                user = User.objects.create(email=email, name=name, password=password_hash, **flags)
            EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
            for person in Person.objects.filter(work_email=email, user__isnull=True):
                person.user = user
                person.save(update_fields=["user", "updated_at"])
            accounts.append((user, created))
        return accounts

    def print_accounts(self, accounts: list[tuple[User, bool]]):
        self.stdout.write(f"Demo sign-ins, each with the password {DEMO_PASSWORD}:")
        for user, _ in accounts:
            self.stdout.write(f"  {user.email:<27} {_describe(user)}")
        if not all(created for _, created in accounts):
            self.stdout.write("  (Accounts that already existed keep the password they have now.)")
        self.stdout.write("The lead and the chair must set up two-factor authentication at their first sign-in.")
        bypass = getattr(settings, "MFA_TOTP_INSECURE_BYPASS_CODE", None)
        if bypass:
            self.stdout.write(
                f"  In development the code {bypass} is accepted in place of one from an authenticator app."
            )


def _describe(user: User) -> str:
    if user.is_national_lead:
        return "national network lead, with the admin at /admin/"
    roles = [f"chair of the {network.name}" for network in scopes.chaired_networks(user)]
    roles += [
        f"{appointment.get_role_display().lower()}, {appointment.organisation.name}"
        for appointment in Appointment.objects.current().filter(person__user=user).select_related("organisation")
    ]
    return "; ".join(roles) or "no role"
