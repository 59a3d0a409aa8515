"""The admin's import and export of network memberships (django-import-export), through the same
import as the lead's import page (networks.imports) by the portal's one bridge (msonet.import_export)."""

from msonet.import_export import ReportResource, resource_for

from . import imports as memberships


class _MembershipResource(ReportResource):
    """Network memberships (networks.imports.COLUMNS)."""

    columns = memberships.COLUMNS
    display_name = "Network memberships"

    def run_import(self, content, *, file_name, user, dry_run):
        return memberships.memberships_import(table=content, file_name=file_name, user=user, dry_run=dry_run)

    def export_rows(self, queryset):
        if queryset is None:
            return memberships.export_rows()
        return memberships.export_rows(
            queryset.select_related("person", "network").order_by(*memberships.export_queryset().query.order_by)
        )


MembershipResource = resource_for(_MembershipResource, "MembershipResource")
