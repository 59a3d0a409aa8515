from django.db import transaction
from django.urls import reverse

from audit.services import contact_views_record
from msonet import spreadsheets
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
    organisations = list(organisations)
    rows = exports.membership_rows(organisations, contact_visible)
    shown = [
        appointment.person
        for organisation in organisations
        for appointment in (organisation.named_mso, organisation.named_mdso)
        if appointment is not None and appointment.person_id in contact_visible
    ]
    contact_views_record(
        viewer=user, people=shown, path=reverse("networks:membership-export", args=[network.slug, file_format])
    )
    content = spreadsheets.write_table(file_format, exports.HEADERS, rows, title=network.name)
    ExportLog.objects.create(user=user, network=network, format=file_format, row_count=len(rows))
    return content
