"""Schemathesis against the served schema, on the live server with a real key: requests generated
from every operation of the schema, valid and not, never get a 500, and every response is the one
the schema describes (status, headers, content type, body)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.generation.modes import GenerationMode

from tests.factories import (
    AppointmentFactory,
    CoverFactory,
    CoveringBodyFactory,
    MembershipFactory,
    OrganisationFactory,
    PartnerKeyFactory,
    PharmacyCompanyFactory,
)

# Requests generated for each operation in each mode.
EXAMPLES = 30


@pytest.fixture
def api_key(transactional_db, world, settings):
    settings.API_RATE_LIMIT = "100000/minute"
    body = CoveringBodyFactory()
    AppointmentFactory(organisation=body)
    CoverFactory(covering=body, organisation=PharmacyCompanyFactory())
    OrganisationFactory(successor=world.org_a, parent_icb=OrganisationFactory(kind="icb"))
    MembershipFactory(network=world.network_a, role="vice_chair")
    return PartnerKeyFactory(scope_contacts=True, scope_coverage=True)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_generated_request_is_answered_as_the_schema_says_and_never_500(live_server, api_key, mode):
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/schema/")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {operation.path for operation in operations} >= {"/api/v1/organisations/", "/api/v1/coverage/"}
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @hypothesis_settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
        def answered_as_the_schema_says(case):
            case.call_and_validate(headers={"X-API-Key": api_key.secret})

        answered_as_the_schema_says()
