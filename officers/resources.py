"""The admin's import and export of people and their appointments (django-import-export), through
the same import as the lead's import page (officers.imports) by the portal's one bridge
(msonet.import_export)."""

from msonet.import_export import ReportResource, resource_for

from . import imports as people
from .models import Appointment, Person


class _PeopleResource(ReportResource):
    """People with their appointments, one row per appointment (officers.imports.COLUMNS)."""

    columns = people.COLUMNS
    display_name = "People and appointments"

    def run_import(self, content, *, file_name, user, dry_run):
        return people.people_import(table=content, file_name=file_name, user=user, dry_run=dry_run)

    def export_rows(self, queryset):
        if queryset is None:
            return people.export_rows()
        if queryset.model is Appointment:
            appointments = queryset.select_related("person", "organisation").order_by(
                *people.export_queryset().query.order_by
            )
            return people.export_rows(appointments=appointments, people=Person.objects.none())
        return people.export_rows(
            appointments=people.export_queryset().filter(person__in=queryset.values("pk")), people=queryset
        )


PeopleResource = resource_for(_PeopleResource, "PeopleResource")
