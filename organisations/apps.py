from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _create_missing_type_expectations(sender, using, **kwargs):
    from .models import TypeExpectation

    TypeExpectation.objects.using(using).create_missing()


class OrganisationsConfig(AppConfig):
    name = "organisations"

    def ready(self):
        # Every organisation type has its expectations row: written by migration 0005, and after any
        # migrate for a type added since (or once a flush has emptied the table).
        post_migrate.connect(
            _create_missing_type_expectations, sender=self, dispatch_uid="organisations.type_expectations"
        )
