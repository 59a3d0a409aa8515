"""The items that do not apply to a role, as the portal starts: the national lead can change them.

Only the named MSO registers with the MHRA as the organisation's MSO; a medication safety team
member or medicines champion is introduced to the regional chair by their MSO rather than contacting
the chair themself.
"""

from django.db import migrations

DEFAULTS = [
    ("mhra_registration", "mdso"),
    ("mhra_registration", "deputy_mso"),
    ("mhra_registration", "team_member"),
    ("chair_contact", "team_member"),
    ("mhra_registration", "medicines_champion"),
    ("chair_contact", "medicines_champion"),
]


def seed(apps, schema_editor):
    NotApplicable = apps.get_model("workspace", "NotApplicable")
    for item, role in DEFAULTS:
        NotApplicable.objects.get_or_create(item=item, role=role)


def unseed(apps, schema_editor):
    NotApplicable = apps.get_model("workspace", "NotApplicable")
    for item, role in DEFAULTS:
        NotApplicable.objects.filter(item=item, role=role).delete()


class Migration(migrations.Migration):
    dependencies = [("workspace", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
