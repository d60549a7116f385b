"""The dashboard's trend charts as geometry: points and bars in SVG coordinates, drawn by the templates
(the compliance chart) or, for the sparkline of every row, by `Sparkline.svg`."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

TREND_MONTHS = 12


def counted(count: int, noun: str, plural_suffix: str = "s") -> str:
    """3 → "3 late fixes", 1 → "1 late fix"."""
    return f"{count} {noun}{'' if count == 1 else plural_suffix}"


def percent_text(value: Decimal) -> str:
    """99.500 → "99.5", 100.000 → "100": the policy's numbers as people write them."""
    return f"{value.normalize():f}"


SPARK_WIDTH = 132
SPARK_HEIGHT = 30
SPARK_PAD = 3

BAR_SLOT = 52
BAR_WIDTH = 30
CHART_TOP = 18  # room for the "7/8" above each bar
CHART_PLOT = 110
CHART_HEIGHT = CHART_TOP + CHART_PLOT + 32  # and two lines of month labels below


@dataclass(frozen=True)
class SparkPoint:
    x: float
    y: float
    month: date
    pct: Decimal
    ok: bool


@dataclass(frozen=True)
class Sparkline:
    """A pipeline's availability over the trend months; a month without a report breaks the line."""

    lines: tuple[str, ...]
    dots: tuple[SparkPoint, ...]
    target_y: float
    label: str
    width: int = SPARK_WIDTH
    height: int = SPARK_HEIGHT

    @property
    def svg(self) -> SafeString:
        """The sparkline as inline SVG. Drawn here, not by a template include: a page of rows would
        spend a fifth of its time including them."""
        lines = format_html_join("", '<polyline class="sla-spark-line" points="{}"/>', ((p,) for p in self.lines))
        dots = format_html_join(
            "",
            '<circle class="sla-spark-dot{}" cx="{}" cy="{}" r="{}"/>',
            (("" if dot.ok else " sla-spark-miss", dot.x, dot.y, 2 if dot.ok else 3) for dot in self.dots),
        )
        return format_html(
            '<svg class="sla-spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
            'aria-label="{label}"><line class="sla-spark-target" x1="0" y1="{target}" x2="{width}" y2="{target}"/>'
            "{lines}{dots}</svg>",
            width=self.width,
            height=self.height,
            label=self.label,
            target=self.target_y,
            lines=lines,
            dots=dots,
        )


def availability_sparkline(months: list[date], values: dict[date, tuple[Decimal, bool]], target: Decimal) -> Sparkline:
    """Each sparkline has its own scale (from just below its lowest point, or the target, up to 100 %)
    so a dip from 100 to 99 % shows; the dashed target line keeps the scales readable."""
    reported = [(month, *values[month]) for month in months if month in values]
    low = min([target, *(pct for _, pct, _ in reported)])
    # Leave a margin below the lowest point so a dip never sits on the frame.
    low = max(Decimal(0), low - max((Decimal(100) - low) / 5, Decimal("0.1")))
    step = (SPARK_WIDTH - 2 * SPARK_PAD) / max(len(months) - 1, 1)

    def y(pct: Decimal) -> float:
        return round(SPARK_PAD + float((Decimal(100) - pct) / (Decimal(100) - low)) * (SPARK_HEIGHT - 2 * SPARK_PAD), 1)

    segments: list[list[SparkPoint]] = [[]]
    for index, month in enumerate(months):
        if month not in values:
            segments.append([])
            continue
        pct, ok = values[month]
        segments[-1].append(SparkPoint(round(SPARK_PAD + index * step, 1), y(pct), month, pct, ok))
    segments = [segment for segment in segments if segment]
    last = segments[-1][-1] if segments else None
    return Sparkline(
        lines=tuple(" ".join(f"{p.x},{p.y}" for p in segment) for segment in segments if len(segment) > 1),
        # Dots where a line alone would hide a point: lone months, misses and the latest month.
        dots=tuple(p for segment in segments for p in segment if len(segment) == 1 or not p.ok or p is last),
        target_y=y(target),
        label=_sparkline_label(months, reported, target),
    )


def _sparkline_label(months: list[date], reported: list[tuple[date, Decimal, bool]], target: Decimal) -> str:
    span = f"{months[0]:%b %Y} to {months[-1]:%b %Y}"
    if not reported:
        return f"Availability {span}: no figures."
    latest_month, latest_pct, _ = reported[-1]
    low_month, low_pct, _ = min(reported, key=lambda item: item[1])
    missed = [month for month, _, ok in reported if not ok]
    return (
        f"Availability {span}: {len(reported)} of {len(months)} months computed; "
        f"latest {latest_pct} % ({latest_month:%b %Y}), lowest {low_pct} % ({low_month:%b %Y}); "
        f"{counted(len(missed), 'month')} below the {percent_text(target)} % target"
        + (f" ({', '.join(f'{month:%b %Y}' for month in missed)})." if missed else ".")
    )


@dataclass(frozen=True)
class ComplianceBar:
    month: date
    compliant: int
    total: int
    x: int
    total_y: float
    total_height: float
    compliant_y: float
    compliant_height: float
    show_year: bool

    @property
    def centre(self) -> int:
        return self.x + BAR_WIDTH // 2

    @property
    def count_y(self) -> float:
        return round(self.total_y - 4, 1)


@dataclass(frozen=True)
class ComplianceChart:
    """Compliant pipelines per month: a pale bar for every pipeline computed, a dark one for the compliant."""

    bars: tuple[ComplianceBar, ...]
    label: str
    bar_width: int = BAR_WIDTH
    width: int = TREND_MONTHS * BAR_SLOT
    height: int = CHART_HEIGHT
    baseline: int = CHART_TOP + CHART_PLOT
    label_y: int = CHART_TOP + CHART_PLOT + 14
    year_y: int = CHART_TOP + CHART_PLOT + 28


def compliance_chart(months: list[date], counts: dict[date, tuple[int, int]]) -> ComplianceChart:
    """`counts` maps a month to (compliant, total); months not computed get no bar."""
    scale = max((total for _, total in counts.values()), default=0) or 1
    bars = []
    baseline = CHART_TOP + CHART_PLOT
    for index, month in enumerate(months):
        compliant, total = counts.get(month, (0, 0))
        total_height = round(CHART_PLOT * total / scale, 1)
        compliant_height = round(CHART_PLOT * compliant / scale, 1)
        bars.append(
            ComplianceBar(
                month=month,
                compliant=compliant,
                total=total,
                x=index * BAR_SLOT + (BAR_SLOT - BAR_WIDTH) // 2,
                total_y=baseline - total_height,
                total_height=total_height,
                compliant_y=baseline - compliant_height,
                compliant_height=compliant_height,
                show_year=index == 0 or month.month == 1,
            )
        )
    parts = [f"{bar.month:%b %Y} {bar.compliant} of {bar.total}" for bar in bars if bar.total]
    label = (
        f"Compliant pipelines per month, {months[0]:%b %Y} to {months[-1]:%b %Y}: "
        + ("; ".join(parts) if parts else "no month computed")
        + (f"; {len(months) - len(parts)} months not computed." if len(parts) < len(months) else ".")
    )
    return ComplianceChart(bars=tuple(bars), label=label)
