from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token

from oncall.permissions import SERVICE_GROUP


class Command(BaseCommand):
    help = (
        "Create (or show) the API token of a service account, e.g. `airflow`: it may POST /api/runs/ "
        "and nothing else. --rotate replaces the token."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="The service's name, e.g. airflow or adf.")
        parser.add_argument("--rotate", action="store_true", help="Replace the token; the old one stops working.")

    @transaction.atomic
    def handle(self, *args, name, rotate, **options):
        username = f"service-{name.strip().lower()}"
        User = get_user_model()
        user, created = User.objects.get_or_create(username=username)
        if created:
            user.set_unusable_password()
            user.save()
        elif user.has_usable_password() or user.is_staff or hasattr(user, "team_member"):
            raise CommandError(f"{username} is a person's account, not a service account.")
        group, _ = Group.objects.get_or_create(name=SERVICE_GROUP)
        user.groups.add(group)
        if rotate:
            Token.objects.filter(user=user).delete()
        token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(f"{username}: {token.key}")
