from django.db import migrations

# The values the import used when this migration was written: a migration must not follow later code.
TEAM_ROTATION = "Team rotation"
TEAM_ROTATION_KEY = "team"


def key_the_imported_rotation(apps, schema_editor):
    """Rotations imported before the key existed were found by name: give that one the key."""
    Rotation = apps.get_model("oncall", "Rotation")
    Rotation.objects.filter(name=TEAM_ROTATION, plan_key="").update(plan_key=TEAM_ROTATION_KEY)


class Migration(migrations.Migration):
    dependencies = [
        ("oncall", "0003_second_round"),
    ]

    operations = [
        migrations.RunPython(key_the_imported_rotation, migrations.RunPython.noop),
    ]
