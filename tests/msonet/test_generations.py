"""Figures cached until their data changes (msonet.generations): kept while nothing is written, computed
again after a committed write to a watched table however it was made, never kept from a transaction's
own uncommitted writes, and a cache that does not answer fails nothing."""

import logging

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import TestCase
from django.utils import timezone

from compliance.coverage import GENERATION
from msonet import generations
from msonet.bulk import create_rows_with_history
from organisations.models import Organisation
from tests.factories import OrganisationFactory, RegionFactory, UserFactory
from users.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def django_capture_on_commit_callbacks():
    """Django's own, which lists every callback a transaction queues for its commit, the generations' among them."""
    return TestCase.captureOnCommitCallbacks


class Counting:
    """A figure that counts how often it is computed."""

    def __init__(self):
        self.computed = 0

    def __call__(self):
        self.computed += 1
        return Organisation.objects.count()


def cached(figure, key="figure"):
    return generations.cached(GENERATION, key, figure)


class Boom(Exception):
    pass


def test_a_figure_is_computed_once_while_nothing_is_written():
    figure = Counting()
    assert cached(figure) == cached(figure) == 0
    assert figure.computed == 1


def test_a_committed_write_to_a_watched_table_computes_the_figure_again(django_capture_on_commit_callbacks):
    figure = Counting()
    cached(figure)
    with django_capture_on_commit_callbacks(execute=True):
        OrganisationFactory()
    assert cached(figure) == 1
    assert figure.computed == 2


def test_the_generation_moves_on_at_the_commit_not_before(django_capture_on_commit_callbacks):
    before = generations.current(GENERATION)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        OrganisationFactory()
        assert generations.current(GENERATION) == before
    assert len(callbacks) == 1
    callbacks[0]()
    assert generations.current(GENERATION) == before + 1


def test_many_writes_in_one_transaction_move_the_generation_on_once(django_capture_on_commit_callbacks):
    region = RegionFactory()
    before = generations.current(GENERATION)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        OrganisationFactory.create_batch(5, region=region)
        Organisation.objects.filter(region=region).update(name="Renamed")
    assert len(callbacks) == 1
    assert generations.current(GENERATION) == before + 1


def test_a_figure_is_not_kept_from_the_connections_own_uncommitted_write(django_capture_on_commit_callbacks):
    figure = Counting()
    with django_capture_on_commit_callbacks(execute=True):
        OrganisationFactory()
        assert cached(figure) == 1
        assert cached(figure) == 1
        assert figure.computed == 2  # computed each time while the write waits for its commit
    assert cached(figure) == cached(figure) == 1
    assert figure.computed == 3


def test_a_rolled_back_write_leaves_no_trace_and_the_next_commit_still_moves_the_generation_on(
    django_capture_on_commit_callbacks,
):
    before = generations.current(GENERATION)
    with pytest.raises(Boom), transaction.atomic():
        OrganisationFactory()
        raise Boom
    assert not generations.waiting_for_commit(GENERATION)
    assert generations.current(GENERATION) == before
    with django_capture_on_commit_callbacks(execute=True):
        OrganisationFactory()
    assert generations.current(GENERATION) == before + 1


def test_a_write_to_a_table_not_watched_leaves_the_generation(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user = UserFactory()
    before = generations.current(GENERATION)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    assert callbacks == []
    assert generations.current(GENERATION) == before
    assert not generations.waiting_for_commit(GENERATION)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY and TRUNCATE are PostgreSQL's")
def test_rows_copied_in_bulk_move_the_generation_on(django_capture_on_commit_callbacks):
    region = RegionFactory()
    before = generations.current(GENERATION)
    with django_capture_on_commit_callbacks(execute=True):
        create_rows_with_history(
            Organisation, ("ods_code", "name", "kind", "region_id"), [("ZZ001", "Copied", "other", region.pk)]
        )
    assert generations.current(GENERATION) == before + 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY and TRUNCATE are PostgreSQL's")
def test_a_truncate_of_a_watched_table_moves_the_generation_on(django_capture_on_commit_callbacks):
    before = generations.current(GENERATION)
    with django_capture_on_commit_callbacks(execute=True), connection.cursor() as cursor:
        cursor.execute('TRUNCATE "compliance_flag", "committees_committee" CASCADE')
    assert generations.current(GENERATION) == before + 1


def test_raw_sql_through_a_cursor_is_seen(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        organisation = OrganisationFactory()
    figure = Counting()
    cached(figure)
    before = generations.current(GENERATION)
    with django_capture_on_commit_callbacks(execute=True), connection.cursor() as cursor:
        cursor.execute(f"  delete from {Organisation._meta.db_table} where id = %s", [organisation.pk])
    assert generations.current(GENERATION) == before + 1
    assert cached(figure) == 0


def test_a_generation_the_cache_lost_starts_above_every_number_it_had():
    before = generations.current(GENERATION)
    cache.clear()
    assert generations.current(GENERATION) > before


def test_a_cache_that_does_not_answer_computes_the_figure_and_fails_no_write(
    settings, django_capture_on_commit_callbacks, caplog
):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    figure = Counting()
    with caplog.at_level(logging.WARNING, logger="msonet.generations"):
        assert cached(figure) == cached(figure) == 0
        with django_capture_on_commit_callbacks(execute=True):
            OrganisationFactory()
    assert figure.computed == 2
    assert "was not moved on" in caplog.text
