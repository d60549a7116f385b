"""Delay-contact notifications name their pipeline by id, not by the pipeline's name.

Their keys were `delay-contact-<rule id>-<day>:<email>` and the runbook page found them by a prefix of
their `about` text, the pipeline's name: renaming a pipeline lost its history. They become
`delay-contact-pipeline-<pipeline id>-rule-<rule id>-<day>:<email>`, the key the service now writes,
so a message already sent is still not sent twice. The pipeline is the rule's; for a rule deleted
since, the one its change history names, else the pipeline whose current name the text starts with.
A message matching none keeps its key.
"""

import re

from django.db import migrations

KIND = "pipelines.delay-contact"
OLD_KEY = re.compile(r"delay-contact-(?P<rule>\d+)-(?P<day>\d{4}-\d{2}-\d{2}):")
NEW_KEY = re.compile(r"delay-contact-pipeline-(?P<pipeline>\d+)-rule-(?P<rule>\d+)-(?P<day>\d{4}-\d{2}-\d{2}):")


def key(event: str, recipient: str) -> str:
    return f"{event}:{recipient}"[:255]  # as `oncall.notifications.notify` makes it


def by_pipeline_id(apps, schema_editor):
    Notification = apps.get_model("oncall", "Notification")
    DelayRule = apps.get_model("pipelines", "DelayRule")
    HistoricalDelayRule = apps.get_model("pipelines", "HistoricalDelayRule")
    Pipeline = apps.get_model("pipelines", "Pipeline")
    pipeline_of_rule = dict(HistoricalDelayRule.objects.order_by("history_date").values_list("id", "pipeline_id"))
    pipeline_of_rule.update(DelayRule.objects.values_list("id", "pipeline_id"))
    # Longest name first, so "Sales EU" is not taken for "Sales".
    names = sorted(Pipeline.objects.values_list("name", "pk"), key=lambda pair: -len(pair[0]))
    changed = []
    for notification in Notification.objects.filter(kind=KIND):
        match = OLD_KEY.match(notification.key)
        if match is None:
            continue
        rule = int(match["rule"])
        pipeline = pipeline_of_rule.get(rule) or next(
            (pk for name, pk in names if notification.about.startswith(f"{name}: delay contact ")), None
        )
        if pipeline is None:
            continue
        event = f"delay-contact-pipeline-{pipeline}-rule-{rule}-{match['day']}"
        notification.key = key(event, notification.recipient)
        changed.append(notification)
    Notification.objects.bulk_update(changed, ["key"], batch_size=500)


def by_rule_id(apps, schema_editor):
    Notification = apps.get_model("oncall", "Notification")
    changed = []
    for notification in Notification.objects.filter(kind=KIND):
        match = NEW_KEY.match(notification.key)
        if match is None:
            continue
        notification.key = key(f"delay-contact-{match['rule']}-{match['day']}", notification.recipient)
        changed.append(notification)
    Notification.objects.bulk_update(changed, ["key"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("oncall", "0004_key_the_imported_rotation"),
        ("pipelines", "0005_sla_percentages_bounded"),
    ]

    operations = [migrations.RunPython(by_pipeline_id, by_rule_id)]
