"""A request's signed-in user is loaded with their person record and whether they have an
authenticator app, in one query (users.backends), by either backend a session may name."""

import pytest
from django.contrib.auth import get_user
from django.test import RequestFactory
from django.urls import reverse

from tests.factories import PersonFactory, TOTPAuthenticatorFactory, UserFactory
from users.backends import AuthenticationBackend, ModelBackend

BACKENDS = [ModelBackend, AuthenticationBackend]


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_users_person_record_and_authenticator_app_come_in_the_one_query(backend, django_assert_num_queries, db):
    user = UserFactory()
    person = PersonFactory(user=user)
    TOTPAuthenticatorFactory(user=user)
    with django_assert_num_queries(1):
        loaded = backend().get_user(user.pk)
        assert loaded == user
        assert loaded.person_record == person
        assert loaded.has_authenticator_app is True


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_user_with_no_person_record_nor_app_is_loaded_as_having_neither(backend, django_assert_num_queries, db):
    user = UserFactory()
    with django_assert_num_queries(1):
        loaded = backend().get_user(user.pk)
        assert loaded.person_record is None
        assert loaded.has_authenticator_app is False


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_deactivated_or_unknown_user_is_not_loaded(backend, db):
    user = UserFactory(is_active=False)
    assert backend().get_user(user.pk) is None
    assert backend().get_user(user.pk + 1000) is None


def test_a_signed_in_requests_user_costs_one_query_for_the_header_and_the_two_factor_check(
    client, django_assert_num_queries, db
):
    user = UserFactory(is_national_lead=True)
    PersonFactory(user=user)
    TOTPAuthenticatorFactory(user=user)
    client.force_login(user)
    request = RequestFactory().get(reverse("directory:home"))
    request.session = client.session
    assert request.session["_auth_user_id"] == str(user.pk)  # the session read before counting
    with django_assert_num_queries(1):
        loaded = get_user(request)
        assert loaded.person_record is not None
        assert loaded.has_authenticator_app
