"""Races on real PostgreSQL: the same call from many threads at the same moment, each on its own connection."""

import threading

import pytest
from django.db import connection, connections

# Row locks, query plans and PostgreSQL's own statements: SQLite has none of them.
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)")


def race(functions):
    """Run the functions at the same moment in threads, each on its own connection."""
    barrier = threading.Barrier(len(functions))
    outcomes = [None] * len(functions)

    def run(index, function):
        try:
            barrier.wait()
            outcomes[index] = function()
        except Exception as error:  # the losers' errors are the point of the test
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes
