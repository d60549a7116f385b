import django.db.models.deletion
from django.db import migrations, models

# The foreign key's own index repeats the first column of (pipeline, external_id) and
# (pipeline, scheduled_for). Only the index is dropped: AlterField would also drop and re-add the
# foreign key, which re-checks every run while it holds a lock on the table.
INDEX = "pipelines_run_pipeline_id_c88c7ca5"


class Migration(migrations.Migration):
    dependencies = [
        ("pipelines", "0007_runs_paged_by_schedule"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="run",
                    name="pipeline",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="runs",
                        to="pipelines.pipeline",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{INDEX}"',
                    reverse_sql=f'CREATE INDEX "{INDEX}" ON "pipelines_run" ("pipeline_id")',
                ),
            ],
        ),
    ]
