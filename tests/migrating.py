"""Data migrations tested on real rows: go back to before a migration, write rows, go forward."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate(targets):
    """Migrate to `targets` ((app, migration) pairs; None for "before the app's first") and return
    the models as they were there."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state([node for node in targets if node[1]]).apps


def migrate_to_the_latest():
    """Back to the schema the rest of the suite expects."""
    return migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
