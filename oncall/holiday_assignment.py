"""The holiday rule's solver: each calendar year's free holidays shared out as a min-cost assignment.

`oncall.scheduling.plan_shifts` walks the years and calls `assign_year`; this module decides who
holds each holiday of one year (see `assign_year` for the order of the rules), with scipy's
`linear_sum_assignment` for the year itself and a small integer program (`milp`) looking ahead so
that a choice made now does not make a later year impossible to balance.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import date

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linear_sum_assignment, milp
from scipy.sparse import coo_array

# Costs are exact integers handed to a float64 solver; staying below 2**53 keeps every sum
# exact, so the lexicographic layering below is never blurred by rounding.
_MAX_EXACT_COST = 2**53
# "Held longest ago" compares gaps up to this many years; longer ago counts as never. A fixed
# horizon (rather than the oldest year in the history) keeps the preference independent of how
# much history the caller passes.
_RECENCY_YEARS = 100


class Ledger:
    """Who held which holiday when: history, fixed shifts and what has been planned so far."""

    def __init__(self) -> None:
        self.by_day: dict[date, tuple[str, int]] = {}
        self._days: dict[tuple[str, int], list[date]] = defaultdict(list)

    def hold(self, day: date, name: str, member: int) -> None:
        previous = self.by_day.get(day)
        if previous is not None:
            self._days[previous].remove(day)
        self.by_day[day] = (name, member)
        bisect.insort(self._days[(name, member)], day)

    def days_held(self, name: str, member: int) -> list[date]:
        return self._days.get((name, member), [])


# --------------------------------------------------------------------------- the holiday rule


class YearContext:
    """What the holiday rule needs to know while `year` is being assigned."""

    def __init__(
        self,
        year: int,
        order: list[int],
        holidays: Mapping[date, str],
        ledger: Ledger,
        window_years: int,
        *,
        running_since: int,
    ) -> None:
        self.year = year
        self.order = order
        self.holidays = holidays
        self.ledger = ledger
        self.window_years = window_years
        self.running_since = running_since
        index = {member: i for i, member in enumerate(order)}
        # Known holidays per year per member (history, fixed days, earlier years' results);
        # people no longer in the rotation take no part in the balance.
        self._counts: dict[int, np.ndarray] = {}
        for day, (_, member) in ledger.by_day.items():
            i = index.get(member)
            if i is not None:
                self._counts.setdefault(day.year, np.zeros(len(order), dtype=np.int64))[i] += 1
        self.running_before = np.zeros(len(order), dtype=np.int64)
        for held_year, counts in self._counts.items():
            if running_since <= held_year < year:
                self.running_before += counts

    def counts(self, year: int) -> np.ndarray:
        counts = self._counts.get(year)
        return np.zeros(len(self.order), dtype=np.int64) if counts is None else counts.copy()

    def severity(self, name: str, year: int, i: int) -> int:
        """0 when member i may hold `name` in `year`; otherwise window - distance to the nearest clash."""
        closest = min(
            (abs(year - day.year) for day in self.ledger.days_held(name, self.order[i])), default=self.window_years
        )
        return max(0, self.window_years - closest)

    def recency(self, name: str, i: int) -> int:
        """0 for never held; otherwise larger the more recently member i held `name`."""
        held = [day.year for day in self.ledger.days_held(name, self.order[i]) if day.year < self.year]
        return max(0, _RECENCY_YEARS - (self.year - max(held))) if held else 0

    def preference(self, days: list[date], calendar: list[date]) -> tuple[np.ndarray, int]:
        """The recency-then-rotation cost of giving each of `days` to each member (rows x members).

        The rotation term is the member's rank times the holiday's weight (earlier in the
        calendar = heavier), so that, all else being equal, earlier holidays go to earlier
        members; a flat rank would cost the same for every assignment with the same counts.
        Returns the costs and an upper bound of their sum over one assignment.
        """
        n = len(self.order)
        position = {day: p for p, day in enumerate(calendar)}
        weight = np.array([len(calendar) - position[day] for day in days], dtype=np.int64)
        tie = weight[:, None] * np.arange(n, dtype=np.int64)[None, :]
        recency = np.array([[self.recency(self.holidays[day], i) for i in range(n)] for day in days], dtype=np.int64)
        recency_scale = len(days) * int(tie.max(initial=0)) + 1
        cost = recency_scale * recency.reshape(len(days), n) + tie
        return cost, len(days) * int(cost.max(initial=0)) + 1

    def is_clean(self, assignment: Mapping[date, int]) -> bool:
        """True when `assignment` breaks no window and keeps both balances."""
        index = {member: i for i, member in enumerate(self.order)}
        counts = self.counts(self.year)
        taken: set[tuple[str, int]] = set()
        for day, member in assignment.items():
            name, i = self.holidays[day], index[member]
            if self.severity(name, self.year, i) or (name, i) in taken:
                return False
            taken.add((name, i))
            counts[i] += 1
        if counts.max() - counts.min() > 1:
            return False
        if self.year >= self.running_since:
            running = self.running_before + counts
            return bool(running.max() - running.min() <= 1)
        return True


def assign_year(
    context: YearContext,
    free: list[date],
    calendar_by_year: Mapping[int, list[date]],
    free_days: Callable[[int], list[date]],
) -> dict[date, int]:
    """Assign one calendar year's free holidays.

    1. Solve the year on its own as a min-cost assignment (`_Matching`). If even that cannot
       respect the window and keep both balances, its answer (balance relaxed first, then the
       window) is final.
    2. Otherwise make sure the choice leaves the next `window_years - 1` years solvable
       (`_Lookahead`): a per-year matching is blind to what it forces later, and with a team
       about the size of the window an innocent choice of who gets this year's extra holiday
       can make a later year impossible to balance. If the matching's answer does not, take
       the best answer that does; failing that, look less far ahead.

    Either way the answer is the canonical one: among equally good answers, the holidays in
    date order go to the earliest possible member in rotation order. That makes re-planning
    with part of the year fixed return the rest unchanged.
    """
    year, calendar = context.year, calendar_by_year[context.year]
    answer = _Matching(context, free, calendar, all_slots=False).canonical()
    if not context.is_clean(answer):
        # No balanced answer respects the window: let members take as many as they must.
        return _Matching(context, free, calendar, all_slots=True).canonical()
    for lookahead in range(context.window_years - 1, 0, -1):
        horizon = {y: free_days(y) for y in range(year, year + lookahead + 1) if y in calendar_by_year}
        if not any(horizon[y] for y in horizon if y != year):
            return answer  # nothing later to keep solvable
        program = _Lookahead(context, free, horizon, calendar)
        if not program.possible:
            continue
        if program.admits(answer):
            return answer
        better = program.canonical()
        if better is not None:
            return better
    return answer


class _Matching:
    """One year's free holidays as a min-cost assignment, solved with `linear_sum_assignment`.

    Rows are the free holiday dates; columns are numbered slots per member (a member's j-th
    holiday this year). The cost is lexicographic, most important first:

    1. window: holding the same holiday fewer than `window_years` years apart; graded by how
       close the clash is, so when nobody is eligible the least recent holder is taken;
    2. yearly balance: the j-th slot costs the member's resulting count for the year, a convex
       cost, so counts end within one of each other whenever eligibility allows;
    3. running balance: the same on totals since the rotation's first year, so the extra
       holidays of an uneven year go to the members with the lowest running totals;
    4. recency: whoever held this holiday longest ago (never = longest) is cheapest;
    5. rotation order (see `YearContext.preference`).

    Balance sits below the window, so an unbalanced year is preferred over breaking the rule.
    """

    def __init__(self, context: YearContext, free: list[date], calendar: list[date], *, all_slots: bool) -> None:
        self.free = free
        self.order = context.order
        self.names = [context.holidays[day] for day in free]
        rows, n, year = len(free), len(context.order), context.year
        self.rows = rows
        severity = np.array(
            [[context.severity(name, year, i) for i in range(n)] for name in self.names], dtype=np.int64
        ).reshape(rows, n)
        preference, preference_bound = context.preference(free, calendar)

        year_count = context.counts(year)
        running = context.running_before + (year_count if year >= context.running_since else 0)
        if all_slots:
            self.slots = rows
        else:
            # Only as many slots as a balanced year can give anyone: far smaller costs (so large
            # teams and long calendars stay exact) and a smaller matrix. Every balanced answer
            # fits, so when one exists this finds the same optimum as the full matrix.
            ceiling = -(-(int(year_count.sum()) + rows) // n)
            self.slots = max(1, min(rows, ceiling - int(year_count.min())))
        levels = np.arange(1, self.slots + 1, dtype=np.int64)
        year_level = year_count[:, None] + levels[None, :] - year_count.min()
        running_level = running[:, None] + levels[None, :] - running.min()

        # Each layer's scale exceeds the largest possible sum of every layer below it.
        running_scale = preference_bound
        year_scale = running_scale * (rows * int(running_level.max()) + 1)
        self.window_penalty = year_scale * (rows * int(year_level.max()) + 1) * context.window_years
        # The factor 2 leaves room for the same-year clash penalties added in `canonical`.
        if self.window_penalty * (2 * rows + 1) >= _MAX_EXACT_COST:
            raise ValueError(f"{year}: too many holidays or members for an exact assignment")

        edge = (self.window_penalty // context.window_years) * severity + preference  # (rows, n)
        slot = year_scale * year_level + running_scale * running_level  # (n, slots)
        # Column c is member c // slots, that member's (c % slots + 1)-th new holiday this year.
        self.cost = np.repeat(edge, self.slots, axis=1) + slot.reshape(1, n * self.slots)

    def _solve(self, cost: np.ndarray) -> tuple[list[int], int | None]:
        try:
            row_ind, col_ind = linear_sum_assignment(cost)
        except ValueError:  # a trial pinned a row to a member with no slot left
            return [], None
        members = [0] * self.rows
        for r, c in zip(row_ind.tolist(), col_ind.tolist(), strict=True):
            members[r] = c // self.slots
        return members, int(self.cost[row_ind, col_ind].sum())

    def _clash(self, members: list[int]) -> int | None:
        """A row giving a member the same holiday twice this year (a lunar holiday falling twice)."""
        seen: set[tuple[str, int]] = set()
        for r, i in enumerate(members):
            if (self.names[r], i) in seen:
                return r
            seen.add((self.names[r], i))
        return None

    def canonical(self) -> dict[date, int]:
        """The optimum whose holidays, in date order, go to the earliest possible members."""
        while True:
            members = self._canonical()
            r = self._clash(members)
            # The matching cannot see a same-year repeat; forbid it like any clash and solve again.
            block = slice(members[r] * self.slots, (members[r] + 1) * self.slots) if r is not None else None
            if block is None or self.cost[r, block].min() >= self.window_penalty:
                return {self.free[r]: self.order[i] for r, i in enumerate(members)}
            self.cost[r, block] += self.window_penalty

    def _canonical(self) -> list[int]:
        cost = self.cost.astype(np.float64)
        members, best = self._solve(cost)
        for r in range(self.rows):
            for i in range(members[r]):
                trial = cost.copy()
                trial[r, : i * self.slots] = np.inf
                trial[r, (i + 1) * self.slots :] = np.inf
                candidate, total = self._solve(trial)
                if total is not None and total == best:
                    members = candidate
                    break
            # Pin this row to its member before looking at the next one.
            cost[r, : members[r] * self.slots] = np.inf
            cost[r, (members[r] + 1) * self.slots :] = np.inf
        return members


class _Lookahead:
    """This year plus the next ones of `horizon` as a small integer program (HiGHS via `milp`).

    The window and both balance rules are hard constraints here; only this year's holidays are
    priced (recency, then rotation order, as in the matching), the later years only have to
    stay solvable. Later holidays nobody can take are left out: they will be forced anyway.
    """

    def __init__(
        self, context: YearContext, free: list[date], horizon: Mapping[int, list[date]], calendar: list[date]
    ) -> None:
        self.free = free
        self.order = context.order
        n, year = len(context.order), context.year
        self.possible = True
        rows: list[tuple[date, int]] = []
        self.variables: list[tuple[int, int]] = []
        for t in sorted(horizon):
            for day in horizon[t]:
                eligible = [i for i in range(n) if context.severity(context.holidays[day], t, i) == 0]
                if not eligible and t == year:
                    self.possible = False
                    return
                if eligible:
                    self.variables.extend((len(rows), i) for i in eligible)
                    rows.append((day, t))
        self.rows = rows
        self.index = {pair: v for v, pair in enumerate(self.variables)}

        by_row: dict[int, list[int]] = defaultdict(list)
        by_name: dict[tuple[str, int], list[int]] = defaultdict(list)
        by_year: dict[tuple[int, int], list[int]] = defaultdict(list)
        for v, (r, i) in enumerate(self.variables):
            day, t = rows[r]
            by_row[r].append(v)
            by_name[(context.holidays[day], i)].append(v)
            by_year[(t, i)].append(v)

        constraints = _Constraints()
        for r in range(len(rows)):
            constraints.add(by_row[r], 1, 1)
        # At most one copy of a holiday per member in any `window_years` consecutive years.
        windows: set[tuple[int, ...]] = set()
        for columns in by_name.values():
            for v in columns:
                first = rows[self.variables[v][0]][1]
                window = tuple(
                    c for c in columns if first <= rows[self.variables[c][0]][1] < first + context.window_years
                )
                if len(window) > 1:
                    windows.add(window)
        for window in sorted(windows):
            constraints.add(list(window), 0, 1)
        # Both balances, year by year: every count within floor/ceil of the mean.
        rows_in: dict[int, int] = defaultdict(int)
        for _, t in rows:
            rows_in[t] += 1
        running = context.running_before.copy()
        running_rows = 0
        running_columns: dict[int, list[int]] = defaultdict(list)
        for t in sorted(horizon):
            known = context.counts(t)
            total = int(known.sum()) + rows_in[t]
            low, high = total // n, -(-total // n)
            if known.max() > high:
                self.possible = False  # fixed or past holidays already unbalance that year
                return
            counted = t >= context.running_since
            if counted:
                running += known
                running_rows += rows_in[t]
            run_total = int(running.sum()) + running_rows
            run_low, run_high = run_total // n, -(-run_total // n)
            for i in range(n):
                constraints.add(by_year[(t, i)], low - int(known[i]), high - int(known[i]))
                if counted:
                    running_columns[i].extend(by_year[(t, i)])
                    constraints.add(running_columns[i], run_low - int(running[i]), run_high - int(running[i]))
        self.constraints = constraints

        preference, _ = context.preference(free, calendar)
        self.cost = np.zeros(len(self.variables))
        for v, (r, i) in enumerate(self.variables):
            if rows[r][1] == year:
                self.cost[v] = preference[r, i]  # this year's rows come first, in `free` order
        self.this_year = [r for r, (_, t) in enumerate(rows) if t == year]
        self._this_year = set(self.this_year)

    def _solve(
        self, objective: np.ndarray, pinned: Mapping[int, int], extra: _Constraints | None = None
    ) -> np.ndarray | None:
        lower = np.zeros(len(self.variables))
        upper = np.ones(len(self.variables))
        for r, i in pinned.items():
            for j in range(len(self.order)):
                v = self.index.get((r, j))
                if v is not None:
                    upper[v] = 1.0 if j == i else 0.0
                    lower[v] = upper[v]
        constraints = self.constraints if extra is None else self.constraints.merged(extra)
        result = milp(
            objective,
            integrality=np.ones(len(self.variables)),
            bounds=Bounds(lower, upper),
            constraints=constraints.linear(len(self.variables)),
            # No relative gap: the optimum must not depend on solver luck. The node cap is a
            # deterministic safety net, unlike a time limit.
            options={"mip_rel_gap": 0, "node_limit": 10_000},
        )
        return None if result.x is None else result.x

    def _members(self, x: np.ndarray) -> dict[int, int]:
        return {r: i for v, (r, i) in enumerate(self.variables) if x[v] > 0.5 and r in self._this_year}

    def admits(self, assignment: Mapping[date, int]) -> bool:
        """Whether this year's `assignment` leaves the later years solvable."""
        rank = {member: i for i, member in enumerate(self.order)}
        pinned = {r: rank[assignment[self.free[r]]] for r in self.this_year}
        if any((r, i) not in self.index for r, i in pinned.items()):
            return False
        return self._solve(np.zeros(len(self.variables)), pinned) is not None

    def canonical(self) -> dict[date, int] | None:
        """The cheapest solvable answer for this year, made canonical row by row (or None)."""
        x = self._solve(self.cost, {})
        if x is None:
            return None
        best = float(self.cost @ np.round(x))
        members = self._members(x)
        at_best = _Constraints()
        at_best.add_weighted(list(range(len(self.variables))), self.cost.tolist(), -np.inf, best + 0.5)
        pinned: dict[int, int] = {}
        for r in self.this_year:
            if any((r, i) in self.index for i in range(members[r])):
                # Earliest member for this row among the optimal answers that keep earlier rows.
                rank = np.zeros(len(self.variables))
                for v, (row, i) in enumerate(self.variables):
                    if row == r:
                        rank[v] = i
                x = self._solve(rank, pinned, at_best)
                if x is not None:  # None only if the solver hit its node cap: keep what we have
                    members = self._members(x)
            pinned[r] = members[r]
        return {self.free[r]: self.order[i] for r, i in members.items()}


class _Constraints:
    """Rows of a sparse constraint matrix with their bounds."""

    def __init__(self) -> None:
        self.data: list[float] = []
        self.rows: list[int] = []
        self.columns: list[int] = []
        self.lower: list[float] = []
        self.upper: list[float] = []

    def add(self, columns: list[int], lower: float, upper: float) -> None:
        self.add_weighted(columns, [1.0] * len(columns), lower, upper)

    def add_weighted(self, columns: list[int], weights: list[float], lower: float, upper: float) -> None:
        k = len(self.lower)
        self.rows.extend([k] * len(columns))
        self.columns.extend(columns)
        self.data.extend(weights)
        self.lower.append(lower)
        self.upper.append(upper)

    def merged(self, other: _Constraints) -> _Constraints:
        merged = _Constraints()
        for part in (self, other):
            offset = len(merged.lower)
            merged.data.extend(part.data)
            merged.rows.extend(row + offset for row in part.rows)
            merged.columns.extend(part.columns)
            merged.lower.extend(part.lower)
            merged.upper.extend(part.upper)
        return merged

    def linear(self, width: int) -> LinearConstraint:
        matrix = coo_array((self.data, (self.rows, self.columns)), shape=(len(self.lower), width)).tocsc()
        return LinearConstraint(matrix, self.lower, self.upper)
