import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _content_type_to_users(apps, schema_editor):
    """Keep the content type (and the permissions that point at it) of the moved model."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label="users", model="usersession").exists():
        ContentType.objects.using(db).filter(app_label="audit", model="usersession").update(app_label="users")


def _content_type_to_audit(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    ContentType.objects.using(db).filter(app_label="users", model="usersession").update(app_label="audit")


class Migration(migrations.Migration):
    """UserSession comes from the audit app (audit 0002 renamed its table); no row is copied."""

    dependencies = [
        ("users", "0003_trustedemaildomain"),
        ("audit", "0002_usersession_to_users"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="UserSession",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("session_key", models.CharField(max_length=40, unique=True)),
                        ("signed_in_at", models.DateTimeField()),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="sessions",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={"ordering": ["-signed_in_at"]},
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(_content_type_to_users, _content_type_to_audit),
    ]
