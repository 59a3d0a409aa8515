from django.db import migrations


class Migration(migrations.Migration):
    """UserSession moves to the users app: its table is renamed, its rows stay."""

    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.AlterModelTable("UserSession", "users_usersession")],
            state_operations=[migrations.DeleteModel("UserSession")],
        ),
    ]
