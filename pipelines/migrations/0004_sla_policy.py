
import datetime
import django.core.validators
import django.db.models.deletion
import pipelines.models
import simple_history.models
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


APP = "pipelines"
MOVED = {'slapolicy': 'incidents', 'historicalslapolicy': 'incidents'}  # model name: the app it lived in


def move_content_types(apps, schema_editor):
    """Permissions, admin log entries and change history follow the models to their new app."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model, old_app in MOVED.items():
        if ContentType.objects.filter(app_label=old_app, model=model).exists():
            # A type the new app got before this ran is empty: the old one carries the permissions and history.
            ContentType.objects.filter(app_label=APP, model=model).delete()
            ContentType.objects.filter(app_label=old_app, model=model).update(app_label=APP)


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('incidents', '0003_sla_moves_out'),
        ('pipelines', '0003_second_round'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables exist already (renamed by incidents 0003): only the state learns of them here.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='HistoricalSlaPolicy',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('history_source', models.CharField(blank=True, max_length=60)),
                        ('availability_target', models.DecimalField(decimal_places=3, default=Decimal('99.5'), help_text='Percent of scheduled runs per month.', max_digits=6)),
                        ('deadline', models.TimeField(default=datetime.time(8, 0), help_text='Data available by this time each business day.')),
                        ('deadline_timezone', models.CharField(default='UTC', max_length=64)),
                        ('delay_threshold', models.DurationField(default=datetime.timedelta(seconds=3600), help_text='Delays longer than this are communicated to all stakeholders (at most 7 days).', validators=[django.core.validators.MinValueValidator(datetime.timedelta(0)), django.core.validators.MaxValueValidator(datetime.timedelta(days=7))])),
                        ('bad_records_pct', models.DecimalField(decimal_places=3, default=Decimal('0.1'), help_text='Most records dropped or invalid per run (%).', max_digits=6)),
                        ('critical_fields', models.JSONField(default=pipelines.models.default_critical_fields)),
                        ('acknowledge_minutes', models.PositiveSmallIntegerField(default=15, help_text='Critical incidents acknowledged within this many business minutes (at most 2400).', validators=[django.core.validators.MaxValueValidator(2400)])),
                        ('resolution', models.DurationField(default=datetime.timedelta(seconds=10800), help_text='Workaround or fix within this long of detection, wall time (at most 30 days).', validators=[django.core.validators.MinValueValidator(datetime.timedelta(0)), django.core.validators.MaxValueValidator(datetime.timedelta(days=30))])),
                        ('business_opens', models.TimeField(default=datetime.time(9, 0))),
                        ('business_closes', models.TimeField(default=datetime.time(17, 0))),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'historical SLA policy',
                        'verbose_name_plural': 'historical SLA policy',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='SlaPolicy',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('availability_target', models.DecimalField(decimal_places=3, default=Decimal('99.5'), help_text='Percent of scheduled runs per month.', max_digits=6)),
                        ('deadline', models.TimeField(default=datetime.time(8, 0), help_text='Data available by this time each business day.')),
                        ('deadline_timezone', models.CharField(default='UTC', max_length=64)),
                        ('delay_threshold', models.DurationField(default=datetime.timedelta(seconds=3600), help_text='Delays longer than this are communicated to all stakeholders (at most 7 days).', validators=[django.core.validators.MinValueValidator(datetime.timedelta(0)), django.core.validators.MaxValueValidator(datetime.timedelta(days=7))])),
                        ('bad_records_pct', models.DecimalField(decimal_places=3, default=Decimal('0.1'), help_text='Most records dropped or invalid per run (%).', max_digits=6)),
                        ('critical_fields', models.JSONField(default=pipelines.models.default_critical_fields)),
                        ('acknowledge_minutes', models.PositiveSmallIntegerField(default=15, help_text='Critical incidents acknowledged within this many business minutes (at most 2400).', validators=[django.core.validators.MaxValueValidator(2400)])),
                        ('resolution', models.DurationField(default=datetime.timedelta(seconds=10800), help_text='Workaround or fix within this long of detection, wall time (at most 30 days).', validators=[django.core.validators.MinValueValidator(datetime.timedelta(0)), django.core.validators.MaxValueValidator(datetime.timedelta(days=30))])),
                        ('business_opens', models.TimeField(default=datetime.time(9, 0))),
                        ('business_closes', models.TimeField(default=datetime.time(17, 0))),
                    ],
                    options={
                        'verbose_name': 'SLA policy',
                        'verbose_name_plural': 'SLA policy',
                    },
                ),
            ],
        ),
        migrations.AddConstraint(
            model_name='slapolicy',
            constraint=models.CheckConstraint(condition=models.Q(('availability_target__gte', 0), ('availability_target__lte', 100)), name='pipelines_slapolicy_target_is_a_percentage'),
        ),
        migrations.AddConstraint(
            model_name='slapolicy',
            constraint=models.CheckConstraint(condition=models.Q(('bad_records_pct__gte', 0), ('bad_records_pct__lte', 100)), name='pipelines_slapolicy_bad_records_is_a_percentage'),
        ),
        migrations.AddConstraint(
            model_name='slapolicy',
            constraint=models.CheckConstraint(condition=models.Q(('business_closes__gt', models.F('business_opens'))), name='pipelines_slapolicy_business_hours_ordered'),
        ),
        migrations.AddConstraint(
            model_name='slapolicy',
            constraint=models.CheckConstraint(condition=models.Q(('delay_threshold__gte', datetime.timedelta(0)), ('delay_threshold__lte', datetime.timedelta(days=7))), name='pipelines_slapolicy_delay_threshold_bounded'),
        ),
        migrations.AddConstraint(
            model_name='slapolicy',
            constraint=models.CheckConstraint(condition=models.Q(('acknowledge_minutes__lte', 2400)), name='pipelines_slapolicy_acknowledge_minutes_bounded'),
        ),
        migrations.AddConstraint(
            model_name='slapolicy',
            constraint=models.CheckConstraint(condition=models.Q(('resolution__gte', datetime.timedelta(0)), ('resolution__lte', datetime.timedelta(days=30))), name='pipelines_slapolicy_resolution_bounded'),
        ),
        migrations.RunPython(move_content_types, migrations.RunPython.noop),
    ]
