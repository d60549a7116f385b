
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('incidents', '0002_second_round'),
    ]

    operations = [
        # Constraint names carry the app's name: the new apps add them back under theirs.
        migrations.RemoveConstraint(model_name='slapolicy', name='incidents_slapolicy_target_is_a_percentage'),
        migrations.RemoveConstraint(model_name='slapolicy', name='incidents_slapolicy_bad_records_is_a_percentage'),
        migrations.RemoveConstraint(model_name='slapolicy', name='incidents_slapolicy_business_hours_ordered'),
        migrations.RemoveConstraint(model_name='slapolicy', name='incidents_slapolicy_delay_threshold_bounded'),
        migrations.RemoveConstraint(model_name='slapolicy', name='incidents_slapolicy_acknowledge_minutes_bounded'),
        migrations.RemoveConstraint(model_name='slapolicy', name='incidents_slapolicy_resolution_bounded'),
        migrations.RemoveConstraint(model_name='slareport', name='incidents_slareport_one_per_month'),
        migrations.RemoveConstraint(model_name='slareport', name='incidents_slareport_month_starts_on_the_1st'),
        migrations.RemoveConstraint(model_name='slareview', name='incidents_slareview_month_starts_on_the_1st'),
        migrations.RemoveConstraint(model_name='slaescalation', name='incidents_slaescalation_once_per_dimension'),
        # The SLA policy now lives in pipelines (incidents and deliveries read it), the rest in sla;
        # the rows stay where they are and only the tables' names change.
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AlterModelTable(name='slapolicy', table='pipelines_slapolicy'),
                migrations.AlterModelTable(name='historicalslapolicy', table='pipelines_historicalslapolicy'),
                migrations.AlterModelTable(name='slareport', table='sla_slareport'),
                migrations.AlterModelTable(name='slareview', table='sla_slareview'),
                migrations.AlterModelTable(name='historicalslareview', table='sla_historicalslareview'),
                migrations.AlterModelTable(name='slaescalation', table='sla_slaescalation'),
            ],
            state_operations=[
                migrations.RemoveField(
                    model_name='historicalslapolicy',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='historicalslareview',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='historicalslareview',
                    name='reviewer',
                ),
                migrations.RemoveField(
                    model_name='slaescalation',
                    name='pipeline',
                ),
                migrations.DeleteModel(
                    name='SlaPolicy',
                ),
                migrations.RemoveField(
                    model_name='slareport',
                    name='pipeline',
                ),
                migrations.RemoveField(
                    model_name='slareview',
                    name='reviewer',
                ),
                migrations.DeleteModel(
                    name='HistoricalSlaPolicy',
                ),
                migrations.DeleteModel(
                    name='HistoricalSlaReview',
                ),
                migrations.DeleteModel(
                    name='SlaEscalation',
                ),
                migrations.DeleteModel(
                    name='SlaReport',
                ),
                migrations.DeleteModel(
                    name='SlaReview',
                ),
            ],
        ),
    ]
