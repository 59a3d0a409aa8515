"""RegistrationRequest and its history, moved from the officers app with every row.

The models are taken over as they are, on their old tables (officers_registrationrequest and
officers_historicalregistrationrequest, so no table is created); the tables are then renamed to this
app's, their constraints keeping their names. The content types move too, so that admin permissions
and the admin's log keep pointing at the same model."""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models

import msonet.validators

MODELS = ("registrationrequest", "historicalregistrationrequest")

ROLES = [
    ("mso", "Medication safety officer"),
    ("mdso", "Medical device safety officer"),
    ("deputy_mso", "Deputy medication safety officer"),
    ("team_member", "Medication safety team member"),
    ("medicines_champion", "Medicines champion"),
]
PROFESSIONS = [
    ("pharmacist", "Pharmacist"),
    ("pharmacy_technician", "Pharmacy technician"),
    ("nurse", "Nurse"),
    ("midwife", "Midwife"),
    ("doctor", "Doctor"),
    ("allied_health", "Allied health professional"),
    ("clinical_scientist", "Clinical scientist or engineer"),
    ("other", "Other"),
]
STATUSES = [
    ("submitted", "Waiting for review"),
    ("approved", "Approved"),
    ("rejected", "Rejected"),
    ("withdrawn", "Withdrawn"),
]


def _move_content_types(apps, schema_editor, *, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_types = ContentType.objects.using(schema_editor.connection.alias)
    for model in MODELS:
        if not content_types.filter(app_label=target, model=model).exists():
            content_types.filter(app_label=source, model=model).update(app_label=target)


def content_types_forwards(apps, schema_editor):
    _move_content_types(apps, schema_editor, source="officers", target="registrations")


def content_types_backwards(apps, schema_editor):
    _move_content_types(apps, schema_editor, source="registrations", target="officers")


def request_fields():
    """The fields RegistrationRequest and its history share."""
    return [
        ("role", models.CharField(choices=ROLES, max_length=20)),
        ("start_date", models.DateField()),
        ("first_name", models.CharField(max_length=100)),
        ("last_name", models.CharField(max_length=100)),
        ("job_title", models.CharField(max_length=200)),
        ("profession", models.CharField(choices=PROFESSIONS, max_length=30)),
        (
            "registration_number",
            models.CharField(blank=True, max_length=30, verbose_name="professional registration number"),
        ),
        (
            "phone",
            models.CharField(
                blank=True,
                max_length=30,
                validators=[msonet.validators.validate_uk_phone],
                verbose_name="work telephone",
            ),
        ),
        (
            "mhra_registered_on",
            models.DateField(blank=True, null=True, verbose_name="registered with the MHRA as the named officer on"),
        ),
        (
            "has_mailbox_access",
            models.BooleanField(default=False, verbose_name="has access to the generic MSO mailbox"),
        ),
        (
            "proposed_mailbox",
            models.EmailField(
                blank=True,
                help_text="Given when the organisation has no mailbox on record.",
                max_length=254,
                verbose_name="generic MSO mailbox",
            ),
        ),
        (
            "email_domain_trusted",
            models.BooleanField(
                default=True, help_text="False when the applicant's email domain needs extra checking."
            ),
        ),
        ("status", models.CharField(choices=STATUSES, default="submitted", max_length=10)),
    ]


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("officers", "0008_registration_request_moves_to_registrations"),
        ("organisations", "0004_directory_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="RegistrationRequest",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"),
                        ),
                        *request_fields(),
                        ("submitted_at", models.DateTimeField(auto_now_add=True)),
                        ("reviewed_at", models.DateTimeField(blank=True, null=True)),
                        ("review_reason", models.TextField(blank=True)),
                        (
                            "appointment",
                            models.OneToOneField(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="registration_request",
                                to="officers.appointment",
                            ),
                        ),
                        (
                            "organisation",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="registration_requests",
                                to="organisations.organisation",
                            ),
                        ),
                        (
                            "reviewed_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="registration_requests",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "officers_registrationrequest",
                        "ordering": ["submitted_at"],
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("status", "submitted")),
                                fields=("user", "organisation", "role"),
                                name="one_waiting_registration_per_role",
                                violation_error_message="You have already asked for this role at this organisation.",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(("status", "submitted"), ("reviewed_at__isnull", False), _connector="OR"),
                                name="reviewed_registration_has_review_time",
                                violation_error_message="A decided request needs the time of the decision.",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    models.Q(("status", "rejected"), _negated=True),
                                    models.Q(("review_reason", ""), _negated=True),
                                    _connector="OR",
                                ),
                                name="rejected_registration_has_reason",
                                violation_error_message="Give the reason for rejecting the request.",
                            ),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="HistoricalRegistrationRequest",
                    fields=[
                        ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                        *request_fields(),
                        ("submitted_at", models.DateTimeField(blank=True, editable=False)),
                        ("reviewed_at", models.DateTimeField(blank=True, null=True)),
                        ("review_reason", models.TextField(blank=True)),
                        ("history_id", models.AutoField(primary_key=True, serialize=False)),
                        ("history_date", models.DateTimeField(db_index=True)),
                        ("history_change_reason", models.CharField(max_length=100, null=True)),
                        (
                            "history_type",
                            models.CharField(
                                choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1
                            ),
                        ),
                        (
                            "appointment",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="officers.appointment",
                            ),
                        ),
                        (
                            "history_user",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "organisation",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="organisations.organisation",
                            ),
                        ),
                        (
                            "reviewed_by",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "officers_historicalregistrationrequest",
                        "verbose_name": "historical registration request",
                        "verbose_name_plural": "historical registration requests",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
            ],
            database_operations=[],
        ),
        # The tables take this app's names (the rows, ids and constraint names stay as they are).
        migrations.AlterModelTable(name="registrationrequest", table=None),
        migrations.AlterModelTable(name="historicalregistrationrequest", table=None),
        migrations.RunPython(content_types_forwards, content_types_backwards),
    ]
