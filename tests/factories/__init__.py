from .meetings import MeetingFactory
from .networks import MembershipFactory, NetworkFactory
from .officers import AppointmentFactory, PersonFactory
from .organisations import OrganisationFactory, RegionFactory
from .users import TOTPAuthenticatorFactory, UserFactory

__all__ = [
    "AppointmentFactory",
    "MeetingFactory",
    "MembershipFactory",
    "NetworkFactory",
    "OrganisationFactory",
    "PersonFactory",
    "RegionFactory",
    "TOTPAuthenticatorFactory",
    "UserFactory",
]
