"""Meetings, their attendance, the attendees no person matched and the export log move here from the
networks app, every row kept.

This migration only tells Django that the models are now the meetings app's (state_operations):
the tables are renamed from networks_* to meetings_* by networks/0007_meetings_move_to_meetings_app,
which runs next and then takes the models out of the networks app's state. Their indexes and
constraints keep their names. The national-webinar triggers follow in 0002_national_webinar_trigger.
"""

import django.db.models.deletion
import django.utils.timezone
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('networks', '0006_national_webinar_trigger'),
        ('officers', '0007_phone_validated'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='HistoricalMeeting',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('national_webinar', 'National webinar'), ('network_meeting', 'Network meeting')], default='network_meeting', max_length=20)),
                        ('title', models.CharField(max_length=200)),
                        ('held_on', models.DateField()),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ('updated_at', models.DateTimeField(blank=True, editable=False)),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('network', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='networks.network')),
                        ('recorded_by', models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'historical meeting',
                        'verbose_name_plural': 'historical meetings',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='Meeting',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('national_webinar', 'National webinar'), ('network_meeting', 'Network meeting')], default='network_meeting', max_length=20)),
                        ('title', models.CharField(max_length=200)),
                        ('held_on', models.DateField()),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('network', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='meetings', to='networks.network')),
                        ('recorded_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'ordering': ['-held_on', '-pk'],
                    },
                ),
                migrations.CreateModel(
                    name='HistoricalUnmatchedAttendee',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('name', models.CharField(blank=True, max_length=200)),
                        ('email', models.CharField(blank=True, max_length=254)),
                        ('key', models.CharField(editable=False, max_length=254)),
                        ('minutes_attended', models.PositiveIntegerField(blank=True, null=True)),
                        ('status', models.CharField(choices=[('open', 'Waiting to be matched'), ('matched', 'Matched'), ('dismissed', 'Dismissed')], default='open', max_length=10)),
                        ('imported_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('resolved_at', models.DateTimeField(blank=True, null=True)),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('imported_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('person', models.ForeignKey(blank=True, db_constraint=False, help_text='Who they were matched to.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='officers.person')),
                        ('resolved_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('meeting', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='meetings.meeting')),
                    ],
                    options={
                        'verbose_name': 'historical unmatched attendee',
                        'verbose_name_plural': 'historical unmatched attendees',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalAttendance',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('minutes_attended', models.PositiveIntegerField(blank=True, null=True)),
                        ('source', models.CharField(choices=[('marked', 'Marked on the meeting page'), ('teams', 'Teams attendance report'), ('import', 'Attendance file'), ('matched', 'Matched from an imported attendee')], default='marked', editable=False, max_length=10)),
                        ('recorded_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('person', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='officers.person')),
                        ('recorded_by', models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('meeting', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='meetings.meeting')),
                    ],
                    options={
                        'verbose_name': 'historical attendance',
                        'verbose_name_plural': 'historical attendance',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='ExportLog',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('content', models.CharField(choices=[('membership', 'Membership list'), ('attendance', 'Meeting attendance')], default='membership', max_length=20)),
                        ('format', models.CharField(choices=[('csv', 'CSV'), ('xlsx', 'Excel (XLSX)')], max_length=10)),
                        ('row_count', models.PositiveIntegerField()),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('network', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='export_logs', to='networks.network')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='export_logs', to=settings.AUTH_USER_MODEL)),
                        ('meeting', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='export_logs', to='meetings.meeting')),
                    ],
                    options={
                        'ordering': ['-created_at', '-pk'],
                    },
                ),
                migrations.CreateModel(
                    name='Attendance',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('minutes_attended', models.PositiveIntegerField(blank=True, null=True)),
                        ('source', models.CharField(choices=[('marked', 'Marked on the meeting page'), ('teams', 'Teams attendance report'), ('import', 'Attendance file'), ('matched', 'Matched from an imported attendee')], default='marked', editable=False, max_length=10)),
                        ('recorded_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ('person', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='attendances', to='officers.person')),
                        ('recorded_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('meeting', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='attendances', to='meetings.meeting')),
                    ],
                    options={
                        'verbose_name_plural': 'attendance',
                        'ordering': ['meeting', 'person'],
                    },
                ),
                migrations.CreateModel(
                    name='UnmatchedAttendee',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(blank=True, max_length=200)),
                        ('email', models.CharField(blank=True, max_length=254)),
                        ('key', models.CharField(editable=False, max_length=254)),
                        ('minutes_attended', models.PositiveIntegerField(blank=True, null=True)),
                        ('status', models.CharField(choices=[('open', 'Waiting to be matched'), ('matched', 'Matched'), ('dismissed', 'Dismissed')], default='open', max_length=10)),
                        ('imported_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('resolved_at', models.DateTimeField(blank=True, null=True)),
                        ('imported_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('meeting', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='unmatched_attendees', to='meetings.meeting')),
                        ('person', models.ForeignKey(blank=True, help_text='Who they were matched to.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='officers.person')),
                        ('resolved_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'ordering': ['meeting', 'name', 'email', 'pk'],
                    },
                ),
                migrations.AddIndex(
                    model_name='meeting',
                    index=models.Index(fields=['kind', 'held_on'], name='networks_me_kind_204c70_idx'),
                ),
                migrations.AddIndex(
                    model_name='meeting',
                    index=models.Index(fields=['network', 'held_on'], name='networks_me_network_77531d_idx'),
                ),
                migrations.AddConstraint(
                    model_name='attendance',
                    constraint=models.UniqueConstraint(fields=('meeting', 'person'), name='one_attendance_per_meeting'),
                ),
                migrations.AddConstraint(
                    model_name='unmatchedattendee',
                    constraint=models.UniqueConstraint(fields=('meeting', 'key'), name='one_unmatched_attendee_per_meeting_and_key', violation_error_message='This attendee is already listed for this meeting.'),
                ),
                migrations.AddConstraint(
                    model_name='unmatchedattendee',
                    constraint=models.CheckConstraint(condition=models.Q(('key', ''), _negated=True), name='unmatched_attendee_has_key', violation_error_message='A name or email is needed.'),
                ),
                migrations.AddConstraint(
                    model_name='unmatchedattendee',
                    constraint=models.CheckConstraint(condition=models.Q(('status', 'matched'), ('person__isnull', True), _connector='OR'), name='unmatched_attendee_person_only_when_matched', violation_error_message='Only a matched attendee has a person.'),
                ),
                migrations.AddConstraint(
                    model_name='unmatchedattendee',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('resolved_at__isnull', True), ('status', 'open')), models.Q(models.Q(('status', 'open'), _negated=True), ('resolved_at__isnull', False)), _connector='OR'), name='unmatched_attendee_resolved_when_not_open', violation_error_message='A matched or dismissed attendee has a time it was resolved.'),
                ),
            ],
            database_operations=[],
        ),
    ]
