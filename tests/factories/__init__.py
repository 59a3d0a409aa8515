"""One factory per model, each in the module of its app (tests/factories/<app>.py); all of them
importable from here. Files to upload are built by tests/factories/files.py."""

from .api import PartnerKeyFactory
from .committees import CommitteeFactory, CommitteeMemberFactory
from .compliance import FlagFactory, ScanRunFactory
from .emails import OutboundEmailFactory
from .handovers import HandoverFactory
from .imports import ImportJobFactory, ImportRowFactory
from .mailings import MessageFactory, RecipientFactory
from .meetings import (
    AttendanceFactory,
    CalendarFeedFactory,
    MeetingFactory,
    ScheduledMeetingFactory,
    ScheduledWebinarFactory,
    UnmatchedAttendeeFactory,
    WebinarFactory,
)
from .networks import MembershipFactory, NetworkFactory
from .officers import AppointmentFactory, ChangeRequestFactory, PersonFactory, TeamProposalFactory
from .organisations import (
    CoverFactory,
    CoveringBodyFactory,
    ExpectationOverrideFactory,
    KeyContactFactory,
    OrganisationFactory,
    PharmacyCompanyFactory,
    PharmacyFactory,
    RegionFactory,
)
from .presentations import OfferFactory
from .registrations import RegistrationRequestFactory
from .users import TOTPAuthenticatorFactory, UserFactory
from .workspace import ChecklistHiddenFactory, ProgressFactory, seed_default_applicability

__all__ = [
    "PartnerKeyFactory",
    "AppointmentFactory",
    "AttendanceFactory",
    "CalendarFeedFactory",
    "ChangeRequestFactory",
    "ChecklistHiddenFactory",
    "CommitteeFactory",
    "CommitteeMemberFactory",
    "CoverFactory",
    "CoveringBodyFactory",
    "ExpectationOverrideFactory",
    "FlagFactory",
    "HandoverFactory",
    "ImportJobFactory",
    "ImportRowFactory",
    "KeyContactFactory",
    "MeetingFactory",
    "MembershipFactory",
    "MessageFactory",
    "NetworkFactory",
    "OfferFactory",
    "OrganisationFactory",
    "OutboundEmailFactory",
    "PersonFactory",
    "PharmacyCompanyFactory",
    "PharmacyFactory",
    "ProgressFactory",
    "RecipientFactory",
    "RegionFactory",
    "RegistrationRequestFactory",
    "ScanRunFactory",
    "ScheduledMeetingFactory",
    "ScheduledWebinarFactory",
    "TOTPAuthenticatorFactory",
    "TeamProposalFactory",
    "UnmatchedAttendeeFactory",
    "UserFactory",
    "WebinarFactory",
    "seed_default_applicability",
]
