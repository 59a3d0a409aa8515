"""Scheduled meetings (start and end, joining link, agenda, cancellation, the invitations' sequence)
and each user's calendar feed.

Adding the check constraints makes SQLite rebuild the meetings table, which its triggers (0002's
national-webinar rule) do not survive, so on SQLite they are dropped first and made again afterwards
(PostgreSQL keeps them as they are)."""

import importlib

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
import simple_history.models
from django.conf import settings
from django.db import migrations, models

triggers = importlib.import_module("meetings.migrations.0002_national_webinar_trigger")


def drop_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        triggers.drop_triggers(apps, schema_editor)


def create_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        triggers.create_triggers(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0002_national_webinar_trigger"),
        ("networks", "0008_names_in_reading_order"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(drop_sqlite_triggers, create_sqlite_triggers),
        migrations.CreateModel(
            name="CalendarFeed",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("token", models.CharField(editable=False, max_length=64, unique=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ("reset_at", models.DateTimeField(blank=True, editable=False, null=True)),
            ],
        ),
        migrations.CreateModel(
            name="HistoricalCalendarFeed",
            fields=[
                ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ("reset_at", models.DateTimeField(blank=True, editable=False, null=True)),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1),
                ),
            ],
            options={
                "verbose_name": "historical calendar feed",
                "verbose_name_plural": "historical calendar feeds",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.AddField(
            model_name="historicalmeeting",
            name="agenda",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="historicalmeeting",
            name="cancelled_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="historicalmeeting",
            name="ends_at",
            field=models.DateTimeField(blank=True, help_text="When it ends (shown in UK time).", null=True),
        ),
        migrations.AddField(
            model_name="historicalmeeting",
            name="joining_link",
            field=models.URLField(
                blank=True,
                help_text="The address people use to join (Microsoft Teams, for example).",
                max_length=500,
                validators=[
                    django.core.validators.URLValidator(
                        message="Enter a joining link starting https://", schemes=["http", "https"]
                    )
                ],
            ),
        ),
        migrations.AddField(
            model_name="historicalmeeting",
            name="sequence",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="historicalmeeting",
            name="starts_at",
            field=models.DateTimeField(blank=True, help_text="When it starts (shown in UK time).", null=True),
        ),
        migrations.AddField(
            model_name="meeting",
            name="agenda",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="meeting",
            name="cancelled_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="meeting",
            name="ends_at",
            field=models.DateTimeField(blank=True, help_text="When it ends (shown in UK time).", null=True),
        ),
        migrations.AddField(
            model_name="meeting",
            name="joining_link",
            field=models.URLField(
                blank=True,
                help_text="The address people use to join (Microsoft Teams, for example).",
                max_length=500,
                validators=[
                    django.core.validators.URLValidator(
                        message="Enter a joining link starting https://", schemes=["http", "https"]
                    )
                ],
            ),
        ),
        migrations.AddField(
            model_name="meeting",
            name="sequence",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="meeting",
            name="starts_at",
            field=models.DateTimeField(blank=True, help_text="When it starts (shown in UK time).", null=True),
        ),
        migrations.AddIndex(
            model_name="meeting",
            index=models.Index(fields=["starts_at"], name="meetings_meeting_starts_idx"),
        ),
        migrations.AddConstraint(
            model_name="meeting",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("ends_at__isnull", True), ("starts_at__isnull", True)),
                    models.Q(
                        ("ends_at__gt", models.F("starts_at")), ("ends_at__isnull", False), ("starts_at__isnull", False)
                    ),
                    _connector="OR",
                ),
                name="meeting_ends_after_it_starts",
                violation_error_message="The end time must be after the start time.",
            ),
        ),
        migrations.AddConstraint(
            model_name="meeting",
            constraint=models.CheckConstraint(
                condition=models.Q(("cancelled_at__isnull", True), ("starts_at__isnull", False), _connector="OR"),
                name="meeting_cancelled_only_when_scheduled",
                violation_error_message="Only a scheduled meeting can be cancelled.",
            ),
        ),
        migrations.AddConstraint(
            model_name="meeting",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("joining_link", ""),
                    ("joining_link__startswith", "https://"),
                    ("joining_link__startswith", "http://"),
                    _connector="OR",
                ),
                name="meeting_joining_link_is_web_address",
                violation_error_message="Enter a joining link starting https://",
            ),
        ),
        migrations.AddField(
            model_name="calendarfeed",
            name="user",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE, related_name="calendar_feed", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddField(
            model_name="historicalcalendarfeed",
            name="history_user",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddField(
            model_name="historicalcalendarfeed",
            name="user",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(create_sqlite_triggers, drop_sqlite_triggers),
    ]
