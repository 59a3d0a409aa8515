from django.db import transaction

from officers.models import Appointment, Person

from . import exports
from .models import ExportLog, Network


@transaction.atomic
def membership_export(*, user, network: Network, organisations, file_format: str) -> bytes:
    """The membership list `organisations` (from `Network.membership_list`, filtered) as a CSV or
    XLSX file, holding the officers' contact details only where the user may see them; logged."""
    officers = Appointment.objects.current().named().filter(organisation__in=organisations.values("pk"))
    contact_visible = set(
        Person.objects.contact_visible_to(user).filter(pk__in=officers.values("person")).values_list("pk", flat=True)
    )
    rows = exports.membership_rows(organisations, contact_visible)
    if file_format == ExportLog.Format.CSV:
        content = exports.as_csv(rows)
    elif file_format == ExportLog.Format.XLSX:
        content = exports.as_xlsx(rows, title=network.name)
    else:
        raise ValueError(f"Unknown export format: {file_format}")
    ExportLog.objects.create(user=user, network=network, format=file_format, row_count=len(rows))
    return content
