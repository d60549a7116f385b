from decimal import Decimal

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("pipelines", "0004_sla_policy"),
    ]

    operations = [
        migrations.AlterField(
            model_name="historicalslapolicy",
            name="availability_target",
            field=models.DecimalField(
                decimal_places=3,
                default=Decimal("99.5"),
                help_text="Percent of scheduled runs per month.",
                max_digits=6,
                validators=[
                    django.core.validators.MinValueValidator(Decimal("0")),
                    django.core.validators.MaxValueValidator(Decimal("100")),
                ],
            ),
        ),
        migrations.AlterField(
            model_name="historicalslapolicy",
            name="bad_records_pct",
            field=models.DecimalField(
                decimal_places=3,
                default=Decimal("0.1"),
                help_text="Most records dropped or invalid per run (%).",
                max_digits=6,
                validators=[
                    django.core.validators.MinValueValidator(Decimal("0")),
                    django.core.validators.MaxValueValidator(Decimal("100")),
                ],
            ),
        ),
        migrations.AlterField(
            model_name="slapolicy",
            name="availability_target",
            field=models.DecimalField(
                decimal_places=3,
                default=Decimal("99.5"),
                help_text="Percent of scheduled runs per month.",
                max_digits=6,
                validators=[
                    django.core.validators.MinValueValidator(Decimal("0")),
                    django.core.validators.MaxValueValidator(Decimal("100")),
                ],
            ),
        ),
        migrations.AlterField(
            model_name="slapolicy",
            name="bad_records_pct",
            field=models.DecimalField(
                decimal_places=3,
                default=Decimal("0.1"),
                help_text="Most records dropped or invalid per run (%).",
                max_digits=6,
                validators=[
                    django.core.validators.MinValueValidator(Decimal("0")),
                    django.core.validators.MaxValueValidator(Decimal("100")),
                ],
            ),
        ),
    ]
