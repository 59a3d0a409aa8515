"""Rules that the database itself enforces, whatever path writes the row."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from networks.models import Membership, Network
from officers.models import Appointment
from tests.factories import (
    AppointmentFactory,
    MembershipFactory,
    NetworkFactory,
    OrganisationFactory,
    PersonFactory,
    RegionFactory,
)


@pytest.mark.django_db
def test_database_refuses_second_active_named_mso():
    first = AppointmentFactory(role=Appointment.Role.MSO)
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.create(
            person=PersonFactory(),
            organisation=first.organisation,
            role=Appointment.Role.MSO,
            status=Appointment.Status.ACTIVE,
            start_date=datetime.date(2025, 1, 1),
        )
    assert first.organisation.appointments.filter(role="mso", status="active").count() == 1


@pytest.mark.django_db
def test_database_refuses_second_active_named_mdso_but_not_second_deputy():
    first = AppointmentFactory(role=Appointment.Role.MDSO)
    with pytest.raises(IntegrityError), transaction.atomic():
        AppointmentFactory(organisation=first.organisation, role=Appointment.Role.MDSO)
    AppointmentFactory(organisation=first.organisation, role=Appointment.Role.DEPUTY_MSO)
    AppointmentFactory(organisation=first.organisation, role=Appointment.Role.DEPUTY_MSO)
    assert first.organisation.appointments.filter(role="deputy_mso").count() == 2


@pytest.mark.django_db
def test_pending_and_ended_named_appointments_do_not_block_a_new_active_one():
    active = AppointmentFactory(role=Appointment.Role.MSO)
    AppointmentFactory(organisation=active.organisation, role=Appointment.Role.MSO, status=Appointment.Status.PENDING)
    AppointmentFactory(
        organisation=active.organisation,
        role=Appointment.Role.MSO,
        status=Appointment.Status.ENDED,
        end_date=datetime.date(2025, 1, 1),
    )
    assert active.organisation.appointments.count() == 3


@pytest.mark.django_db
def test_database_refuses_appointment_ending_before_it_starts():
    with pytest.raises(IntegrityError), transaction.atomic():
        AppointmentFactory(start_date=datetime.date(2025, 5, 1), end_date=datetime.date(2025, 4, 30))


@pytest.mark.django_db
def test_database_refuses_ended_appointment_without_end_date():
    with pytest.raises(IntegrityError), transaction.atomic():
        AppointmentFactory(status=Appointment.Status.ENDED, end_date=None)


@pytest.mark.django_db
def test_database_refuses_duplicate_ods_code():
    OrganisationFactory(ods_code="RXX")
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganisationFactory(ods_code="RXX")


@pytest.mark.django_db
def test_database_refuses_malformed_ods_code():
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganisationFactory(ods_code="rx x")


@pytest.mark.django_db
def test_database_refuses_organisation_closing_before_it_opens():
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganisationFactory(opened_on=datetime.date(2020, 4, 1), closed_on=datetime.date(2020, 3, 31))


@pytest.mark.django_db
def test_database_refuses_second_regional_network_for_a_region():
    region = RegionFactory(code="Y56", name="London")
    NetworkFactory(kind=Network.Kind.REGIONAL, region=region)
    with pytest.raises(IntegrityError), transaction.atomic():
        NetworkFactory(kind=Network.Kind.REGIONAL, region=region)


@pytest.mark.django_db
def test_database_refuses_regional_network_without_region():
    with pytest.raises(IntegrityError), transaction.atomic():
        NetworkFactory(kind=Network.Kind.REGIONAL, region=None)


@pytest.mark.django_db
def test_database_refuses_two_current_chairs_of_one_network():
    network = NetworkFactory()
    MembershipFactory(network=network, role=Membership.Role.CHAIR)
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(network=network, role=Membership.Role.CHAIR)


@pytest.mark.django_db
def test_model_validation_reports_second_named_mso_in_plain_words():
    from django.core.exceptions import ValidationError

    first = AppointmentFactory(role=Appointment.Role.MSO)
    second = AppointmentFactory.build(
        person=AppointmentFactory().person, organisation=first.organisation, role=Appointment.Role.MSO
    )
    with pytest.raises(ValidationError, match="already has an active named officer"):
        second.full_clean()
