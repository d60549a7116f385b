"""Who depends on a pipeline, directly or through others: one query walks the dependencies."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pipelines.services import downstream_pipelines
from tests.pipelines.factories import PipelineFactory

pytestmark = pytest.mark.django_db


def chain(*slugs: str):
    """Pipelines where each depends on the one before it."""
    pipelines = [PipelineFactory(name=slug, slug=slug) for slug in slugs]
    for upstream, downstream in zip(pipelines, pipelines[1:], strict=False):
        downstream.depends_on.add(upstream)
    return pipelines


def slugs(pipeline) -> list[str]:
    return [found.slug for found in downstream_pipelines(pipeline)]


def test_nearest_first_then_by_id_each_once_through_a_diamond():
    source, left = chain("source", "left")
    right = PipelineFactory(name="right", slug="right")
    right.depends_on.add(source)
    sink, deep = chain("sink", "deep")
    sink.depends_on.add(left, right)
    PipelineFactory(name="unrelated", slug="unrelated")
    assert slugs(source) == ["left", "right", "sink", "deep"]
    assert slugs(right) == ["sink", "deep"]
    assert slugs(deep) == []


def test_a_loop_made_in_the_admin_ends_where_it_started():
    first, second, third = chain("first", "second", "third")
    first.depends_on.add(third)  # the loop: first depends on third
    assert slugs(first) == ["second", "third"]
    assert slugs(third) == ["first", "second"]


def test_the_query_count_does_not_grow_with_the_chain():
    short = chain("a0", "a1", "a2")
    long = chain(*(f"b{n}" for n in range(12)))
    with CaptureQueriesContext(connection) as short_queries:
        assert slugs(short[0]) == ["a1", "a2"]
    with CaptureQueriesContext(connection) as long_queries:
        assert slugs(long[0]) == [f"b{n}" for n in range(1, 12)]
    assert len(short_queries) == len(long_queries)
