
import django.core.validators
import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


APP = "sla"
MOVED = {'slareport': 'incidents', 'slareview': 'incidents', 'historicalslareview': 'incidents', 'slaescalation': 'incidents'}  # model name: the app it lived in


def move_content_types(apps, schema_editor):
    """Permissions, admin log entries and change history follow the models to their new app."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model, old_app in MOVED.items():
        if ContentType.objects.filter(app_label=old_app, model=model).exists():
            # A type the new app got before this ran is empty: the old one carries the permissions and history.
            ContentType.objects.filter(app_label=APP, model=model).delete()
            ContentType.objects.filter(app_label=old_app, model=model).update(app_label=APP)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('incidents', '0003_sla_moves_out'),
        ('oncall', '0004_key_the_imported_rotation'),
        ('pipelines', '0004_sla_policy'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables exist already (renamed by incidents 0003): only the state learns of them here.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='HistoricalSlaReview',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('history_source', models.CharField(blank=True, max_length=60)),
                        ('month', models.DateField(db_index=True)),
                        ('signed_at', models.DateTimeField()),
                        ('notes', models.TextField(blank=True, max_length=5000, validators=[django.core.validators.MaxLengthValidator(5000)])),
                        ('action_items', models.TextField(blank=True, help_text='One per line.', max_length=5000, validators=[django.core.validators.MaxLengthValidator(5000)])),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('reviewer', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='oncall.teammember')),
                    ],
                    options={
                        'verbose_name': 'historical sla review',
                        'verbose_name_plural': 'historical sla reviews',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='SlaEscalation',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('month', models.DateField()),
                        ('dimension', models.CharField(choices=[('availability', 'Availability'), ('timeliness', 'Timeliness'), ('quality', 'Data quality'), ('response', 'Incident response')], max_length=12)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('recipients', models.JSONField(default=list, help_text='The addresses emailed.')),
                        ('missing', models.CharField(blank=True, help_text='Who should have been told but has no address: the dashboard flags it.', max_length=300)),
                        ('pipeline', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='sla_escalations', to='pipelines.pipeline')),
                    ],
                    options={
                        'ordering': ['-month', 'pipeline__name', 'dimension'],
                    },
                ),
                migrations.CreateModel(
                    name='SlaReport',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('month', models.DateField(help_text='The first day of the month.')),
                        ('scheduled_runs', models.PositiveIntegerField()),
                        ('successful_runs', models.PositiveIntegerField()),
                        ('availability_pct', models.DecimalField(decimal_places=3, max_digits=7)),
                        ('availability_ok', models.BooleanField()),
                        ('error_budget', models.IntegerField()),
                        ('error_budget_left', models.IntegerField()),
                        ('business_days', models.PositiveSmallIntegerField()),
                        ('late_days', models.PositiveSmallIntegerField()),
                        ('uncommunicated_delays', models.PositiveSmallIntegerField()),
                        ('timeliness_ok', models.BooleanField()),
                        ('checked_runs', models.PositiveIntegerField()),
                        ('quality_breaches', models.PositiveIntegerField()),
                        ('unreported_runs', models.PositiveIntegerField()),
                        ('quality_ok', models.BooleanField()),
                        ('critical_incidents', models.PositiveIntegerField()),
                        ('ack_breaches', models.PositiveIntegerField()),
                        ('resolution_breaches', models.PositiveIntegerField()),
                        ('response_ok', models.BooleanField()),
                        ('compliant', models.BooleanField()),
                        ('details', models.JSONField(default=dict)),
                        ('computed_at', models.DateTimeField()),
                        ('final', models.BooleanField(default=False, help_text='Computed after the month ended.')),
                        ('changed_since_review', models.BooleanField(default=False)),
                        ('latest', models.JSONField(blank=True, default=dict, help_text='Figures computed after the sign-off, when they differ from the frozen ones.')),
                        ('pipeline', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='sla_reports', to='pipelines.pipeline')),
                    ],
                    options={
                        'ordering': ['-month', 'pipeline__name'],
                    },
                ),
                migrations.CreateModel(
                    name='SlaReview',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('month', models.DateField(unique=True)),
                        ('signed_at', models.DateTimeField()),
                        ('notes', models.TextField(blank=True, max_length=5000, validators=[django.core.validators.MaxLengthValidator(5000)])),
                        ('action_items', models.TextField(blank=True, help_text='One per line.', max_length=5000, validators=[django.core.validators.MaxLengthValidator(5000)])),
                        ('reviewer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='sla_reviews', to='oncall.teammember')),
                    ],
                    options={
                        'ordering': ['-month'],
                    },
                ),
            ],
        ),
        migrations.AddConstraint(
            model_name='slaescalation',
            constraint=models.UniqueConstraint(fields=('pipeline', 'month', 'dimension'), name='sla_slaescalation_once_per_dimension'),
        ),
        migrations.AddConstraint(
            model_name='slareport',
            constraint=models.UniqueConstraint(fields=('pipeline', 'month'), name='sla_slareport_one_per_month'),
        ),
        migrations.AddConstraint(
            model_name='slareport',
            constraint=models.CheckConstraint(condition=models.Q(('month__day', 1)), name='sla_slareport_month_starts_on_the_1st'),
        ),
        migrations.AddConstraint(
            model_name='slareview',
            constraint=models.CheckConstraint(condition=models.Q(('month__day', 1)), name='sla_slareview_month_starts_on_the_1st'),
        ),
        migrations.RunPython(move_content_types, migrations.RunPython.noop),
    ]
