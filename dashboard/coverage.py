"""What "covered" means for an organisation: one definition of each measure, used both by the
dashboard's counts and by the organisation directory's filter, so that every figure on the
dashboard and the list it links to count the same organisations.

An organisation's own officers and committee are counted (a community pharmacy's parent company's
officers cover it for the compliance flags, but the directory shows each organisation's own).
"""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q

from committees.models import Committee
from officers.models import Appointment


def _named_officer(role: str, **conditions) -> Exists:
    return Exists(Appointment.objects.current().filter(organisation=OuterRef("pk"), role=role, **conditions).order_by())


@dataclass(frozen=True)
class Measure:
    key: str
    label: str  # a column heading: "With a named MSO"
    short_label: str  # a chart's heading: "named MSO"

    def condition(self):
        """A boolean expression on an Organisation queryset: true when the measure is met."""
        return _CONDITIONS[self.key]()


_CONDITIONS = {
    "mso": lambda: _named_officer(Appointment.Role.MSO),
    "mdso": lambda: _named_officer(Appointment.Role.MDSO),
    "committee": lambda: Exists(Committee.objects.filter(organisation=OuterRef("pk")).order_by()),
    "mso_mhra": lambda: _named_officer(Appointment.Role.MSO, mhra_registered_on__isnull=False),
}

MEASURES = [
    Measure("mso", "With a named MSO", "a named MSO"),
    Measure("mdso", "With a named MDSO", "a named MDSO"),
    Measure("committee", "With a committee recorded", "a medication safety committee recorded"),
    Measure("mso_mhra", "MSO registered with the MHRA", "a named MSO registered with the MHRA"),
]
MEASURES_BY_KEY = {measure.key: measure for measure in MEASURES}

# The directory's "Show" filter: each measure and its gap. The dashboard links to these values.
FILTER_CHOICES = [
    ("", "All organisations"),
    ("mso", "With a named MSO"),
    ("no_mso", "With no named MSO"),
    ("mdso", "With a named MDSO"),
    ("no_mdso", "With no named MDSO"),
    ("committee", "With a committee recorded"),
    ("no_committee", "With no committee recorded"),
    ("mso_mhra", "With a named MSO registered with the MHRA"),
    ("mso_not_mhra", "With a named MSO not registered with the MHRA"),
]


def filter_condition(value: str) -> Q | Exists | None:
    """The condition for one of FILTER_CHOICES' values (None for all organisations)."""
    if not value:
        return None
    if value == "mso_not_mhra":
        return MEASURES_BY_KEY["mso"].condition() & ~MEASURES_BY_KEY["mso_mhra"].condition()
    if value.startswith("no_"):
        return ~MEASURES_BY_KEY[value.removeprefix("no_")].condition()
    return MEASURES_BY_KEY[value].condition()
