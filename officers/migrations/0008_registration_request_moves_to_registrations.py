"""RegistrationRequest (and its history) moves to the registrations app.

Only Django's record of the models changes here; the tables and every row stay as they are, and
registrations.0001_initial takes them over (and renames them)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("officers", "0007_phone_validated"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="HistoricalRegistrationRequest"),
                migrations.DeleteModel(name="RegistrationRequest"),
            ],
            database_operations=[],
        ),
    ]
