"""The maintenance plan as plain data: what `parse_plan` reads and the import services store.

No ORM here: the parser turns a Markdown document into these values, and each app's
services store its own part (members and the rotation in `oncall`, pipelines in `pipelines`,
the SLA policy in `sla`). The on-call rules' value type lives with the app that stores them
(`oncall.plan_rules.OnCallRules`), since oncall cannot import this module.
"""

from dataclasses import dataclass, field
from datetime import time, timedelta
from decimal import Decimal

from oncall.plan_rules import OnCallRules


class PlanError(ValueError):
    """A plan the import refuses; `line` is 1-based (0 when the problem is the whole file)."""

    def __init__(self, line: int, message: str):
        self.line = line
        self.message = message
        super().__init__(f"line {line}: {message}" if line else message)


@dataclass(frozen=True)
class OwnershipClaim:
    """A team-section line such as "Primary owner of the [Profit Pipeline](#profit-pipeline)"."""

    role: str  # "primary" | "secondary"
    pipeline_slug: str
    line: int


@dataclass(frozen=True)
class MemberSpec:
    name: str
    area: str
    expertise: str
    is_manager: bool
    claims: tuple[OwnershipClaim, ...]
    line: int


@dataclass(frozen=True)
class CommonIssue:
    text: str  # Markdown, without the "*Known Issue*:" marker
    known_issue: bool


@dataclass(frozen=True)
class DelayRuleSpec:
    """“Contact Ray Charley with Sales if sales data isn't received by 2 days after the expected deadline.”"""

    contact_name: str
    organisation: str
    days_after_deadline: int
    data_description: str
    line: int


@dataclass(frozen=True)
class PipelineSpec:
    name: str
    slug: str
    line: int
    description: str = ""
    common_issues: tuple[CommonIssue, ...] = ()
    standard_procedures: str = ""  # Markdown
    column_aliases: tuple[str, ...] = ()
    primary_owner: str | None = None
    primary_owner_line: int = 0
    secondary_owner: str | None = None
    secondary_owner_line: int = 0
    downstream_team: str | None = None  # "Profit" for "Profit team"
    depends_on: tuple[str, ...] = ()  # slugs of pipelines linked from this pipeline's sections
    delay_rules: tuple[DelayRuleSpec, ...] = ()
    schedule: str | None = None  # cron, when the plan states one ("**Schedule:** `0 6 * * *`")
    critical_fields: tuple[str, ...] | None = None  # when the plan states the pipeline's own


@dataclass(frozen=True)
class SlaFigures:
    availability_pct: Decimal = Decimal("99.5")
    deadline: time = time(8, 0)
    deadline_timezone: str = "UTC"
    delay_threshold: timedelta = timedelta(hours=1)
    bad_records_pct: Decimal = Decimal("0.1")
    critical_fields: tuple[str, ...] = ("transaction_id", "date", "amount")
    acknowledge_minutes: int = 15
    resolution_hours: int = 3


@dataclass(frozen=True)
class Plan:
    members: tuple[MemberSpec, ...]
    pipelines: tuple[PipelineSpec, ...]
    oncall: OnCallRules
    sla: SlaFigures
    unparsed: tuple[str, ...] = field(default=())  # "line N: what was skipped and why", reported, not fatal
