from datetime import date

from django.core.management.base import BaseCommand, CommandError

from oncall.models import Rotation
from oncall.services import rotation_generate


class Command(BaseCommand):
    help = "Fill every rotation with shifts from today through 31 December of next year (or --until)."

    def add_arguments(self, parser):
        parser.add_argument("--until", type=date.fromisoformat, help="Last day to fill, YYYY-MM-DD.")
        parser.add_argument("--rotation", help="Only this rotation (by name).")

    def handle(self, *args, until=None, rotation=None, **options):
        rotations = Rotation.objects.order_by("pk")
        if rotation:
            rotations = rotations.filter(name=rotation)
            if not rotations.exists():
                raise CommandError(f"No rotation is called {rotation!r}.")
        for item in rotations:
            result = rotation_generate(rotation_id=item.pk, until=until)
            if result.first_day is None:
                self.stdout.write(f"{item.name}: no members, nothing to generate.")
                continue
            self.stdout.write(
                f"{item.name}: {result.created} shifts created, {result.updated} updated "
                f"({result.first_day} to {result.last_day})."
            )
