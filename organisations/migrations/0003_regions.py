"""The seven NHS England regions, keyed by their ODS codes."""

from django.db import migrations

REGIONS = [
    ("Y56", "London"),
    ("Y58", "South West"),
    ("Y59", "South East"),
    ("Y60", "Midlands"),
    ("Y61", "East of England"),
    ("Y62", "North West"),
    ("Y63", "North East and Yorkshire"),
]


def create_regions(apps, schema_editor):
    Region = apps.get_model("organisations", "Region")
    for code, name in REGIONS:
        Region.objects.update_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [
        ("organisations", "0002_initial"),
    ]

    operations = [
        # Reversing leaves the regions in place: organisations may refer to them.
        migrations.RunPython(create_regions, migrations.RunPython.noop),
    ]
