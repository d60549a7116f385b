import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("oncall", "0004_key_the_imported_rotation"),
    ]

    operations = [
        migrations.AlterField(
            model_name="historicalrotation",
            name="block_days",
            field=models.PositiveSmallIntegerField(
                default=7,
                help_text="Days each member holds the rotation (at most 91).",
                validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(91)],
            ),
        ),
        migrations.AlterField(
            model_name="historicalrotation",
            name="window_years",
            field=models.PositiveSmallIntegerField(
                default=4,
                help_text="Nobody holds the same holiday twice within this many years (at most 10).",
                validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(10)],
            ),
        ),
        migrations.AlterField(
            model_name="rotation",
            name="block_days",
            field=models.PositiveSmallIntegerField(
                default=7,
                help_text="Days each member holds the rotation (at most 91).",
                validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(91)],
            ),
        ),
        migrations.AlterField(
            model_name="rotation",
            name="window_years",
            field=models.PositiveSmallIntegerField(
                default=4,
                help_text="Nobody holds the same holiday twice within this many years (at most 10).",
                validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(10)],
            ),
        ),
    ]
