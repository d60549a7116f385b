import secrets

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from oncall.models import TeamMember


class Command(BaseCommand):
    help = (
        "Give the team leader a password for a local portal and print the sign-in. The password is kept in "
        "var/<username>-password.txt so every `make run` prints the same one; never use this in production."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", help="Another member's username (default: the first team leader).")

    @transaction.atomic
    def handle(self, *args, username=None, **options):
        members = TeamMember.objects.select_related("user").active()
        member = (
            members.filter(user__username=username).first() if username else members.managers().order_by("pk").first()
        )
        if member is None:
            raise CommandError("No such active member." if username else "The plan names no team leader.")
        secret_file = settings.VAR_DIR / f"{member.user.username}-password.txt"
        if secret_file.exists():
            password = secret_file.read_text().strip()
        else:
            password = secrets.token_urlsafe(12)
            secret_file.parent.mkdir(parents=True, exist_ok=True)
            secret_file.write_text(password + "\n")
            secret_file.chmod(0o600)
        user = member.user
        if not user.check_password(password):
            user.set_password(password)
        user.is_staff = user.is_superuser = True  # on a local portal the leader also runs the admin
        user.save()
        self.stdout.write(self.style.SUCCESS(f"Sign in as {user.username} with password {password}"))
