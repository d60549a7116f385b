"""The plan's rotation is found again by a stable key: renaming it and re-importing makes no second rotation."""

from importlib import import_module
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from oncall.models import Rotation, RotationMembership
from oncall.services import TEAM_ROTATION, TEAM_ROTATION_KEY
from tests.conftest import SEED_PLAN

pytestmark = pytest.mark.django_db


def import_plan():
    call_command("import_runbook", str(SEED_PLAN), stdout=StringIO())


def test_reimporting_after_the_rotation_was_renamed_updates_it_in_place(imported_seed):
    rotation = Rotation.objects.get()
    assert rotation.plan_key == TEAM_ROTATION_KEY
    memberships = RotationMembership.objects.count()
    Rotation.objects.filter(pk=rotation.pk).update(name="Data platform on call", block_days=14)

    import_plan()

    assert list(Rotation.objects.values_list("pk", "name")) == [(rotation.pk, "Data platform on call")]
    assert Rotation.objects.get().block_days == 7  # the plan's figures, on the renamed rotation
    assert RotationMembership.objects.count() == memberships


def test_a_rotation_named_like_the_plans_but_made_by_hand_is_not_taken_over(imported_seed):
    Rotation.objects.update(name="Data platform on call")
    Rotation.objects.create(name=TEAM_ROTATION, block_days=3)
    import_plan()
    assert Rotation.objects.get(name=TEAM_ROTATION).block_days == 3
    assert Rotation.objects.get(plan_key=TEAM_ROTATION_KEY).name == "Data platform on call"


def test_migration_keys_the_rotation_imported_before_the_key_existed():
    migration = import_module("oncall.migrations.0004_key_the_imported_rotation")
    imported = Rotation.objects.create(name=TEAM_ROTATION)
    other = Rotation.objects.create(name="Weekend cover")
    migration.key_the_imported_rotation(apps, None)
    imported.refresh_from_db()
    other.refresh_from_db()
    assert (imported.plan_key, other.plan_key) == (TEAM_ROTATION_KEY, "")
