"""A pipeline's place among its neighbours, laid out for a small server-rendered SVG."""

from dataclasses import dataclass

BOX_WIDTH = 220
BOX_HEIGHT = 44
ROW_GAP = 14
COLUMN_GAP = 60


@dataclass(frozen=True)
class Box:
    label: str
    url: str | None
    x: int
    y: int
    current: bool = False

    @property
    def text_x(self) -> int:
        return self.x + BOX_WIDTH // 2

    @property
    def text_y(self) -> int:
        return self.y + BOX_HEIGHT // 2 + 5


@dataclass(frozen=True)
class Edge:
    """A dependency arrow from the right edge of one box to the left edge of the next."""

    x1: int
    y1: int
    x2: int
    y2: int


@dataclass(frozen=True)
class Diagram:
    """The boxes and arrows, and the size of the SVG that holds them."""

    boxes: tuple[Box, ...]
    edges: tuple[Edge, ...]
    width: int
    height: int
    box_width: int = BOX_WIDTH
    box_height: int = BOX_HEIGHT


def dependency_diagram(current: str, upstream: list[tuple[str, str]], downstream: list[tuple[str, str]]) -> Diagram:
    """Three columns: upstream pipelines → this pipeline → its dependents, each (label, url)."""
    rows = max(len(upstream), len(downstream), 1)
    height = rows * (BOX_HEIGHT + ROW_GAP) - ROW_GAP

    def column(items, x):
        top = (height - (len(items) * (BOX_HEIGHT + ROW_GAP) - ROW_GAP)) // 2
        return [Box(label, url, x, top + i * (BOX_HEIGHT + ROW_GAP)) for i, (label, url) in enumerate(items)]

    middle_x = BOX_WIDTH + COLUMN_GAP if upstream else 0
    centre = Box(current, None, middle_x, (height - BOX_HEIGHT) // 2, current=True)
    left = column(upstream, 0)
    right = column(downstream, middle_x + BOX_WIDTH + COLUMN_GAP)
    mid_y = centre.y + BOX_HEIGHT // 2
    edges = [Edge(b.x + BOX_WIDTH, b.y + BOX_HEIGHT // 2, centre.x, mid_y) for b in left]
    edges += [Edge(centre.x + BOX_WIDTH, mid_y, b.x, b.y + BOX_HEIGHT // 2) for b in right]
    width = (right[0].x if right else centre.x) + BOX_WIDTH
    return Diagram((*left, centre, *right), tuple(edges), width, height)
