from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.mixins import UserPassesTestMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.generic import FormView, TemplateView, View

from . import services, trades
from .calendar import rotation_holidays, week_start
from .choices import TradeStatus
from .exceptions import TradeError, TradeNeedsConfirmation
from .filtersets import ShiftFilterSet
from .forms import CalendarMonthForm, HolidayTradeForm, HolidayYearsForm, MemberOffboardForm, shift_label
from .history import history_of
from .models import HolidayRecord, HolidayTrade, Rotation, Shift, TeamMember
from .months import add_months, first_of_month
from .notifications import absolute_url
from .permissions import acting_member, is_manager, team_member_or_403
from .selectors import current_order, holiday_trades

# "My upcoming shifts" looks this far ahead and lists at most this many runs of days.
UPCOMING_DAYS = 120
UPCOMING_RUNS = 8


# --- who is on call ------------------------------------------------------------------------------


# --- calendar feeds ------------------------------------------------------------------------------


def feed_url(name: str, token: str) -> str:
    """A feed's full URL, as a calendar application subscribes to it."""
    return absolute_url(reverse(name, kwargs={"token": token}))


class MemberFeedResetView(View):
    """POST `/oncall/my-feed-link/`: a new secret link for the signed-in member's feed; the old one stops working."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        services.member_feed_token_reset(member=team_member_or_403(request.user))
        messages.success(request, "Your calendar feed has a new link; the old link no longer works. Subscribe again.")
        return HttpResponseRedirect(reverse("oncall:calendar") + "#feeds-heading")


class RotationFeedResetView(View):
    """POST `/oncall/rotations/<pk>/feed-link/`: a manager gives a rotation's feed a new secret link."""

    http_method_names = ["post"]

    def post(self, request, pk: int, *args, **kwargs):
        if not is_manager(request.user):
            raise PermissionDenied("Only managers give a rotation's feed a new link.")
        rotation = get_object_or_404(Rotation, pk=pk)
        services.rotation_feed_token_reset(rotation=rotation)
        messages.success(request, f"The {rotation.name} feed has a new link; the old link no longer works.")
        return HttpResponseRedirect(reverse("oncall:calendar") + "#feeds-heading")


# --- month calendar ------------------------------------------------------------------------------


@dataclass
class CalendarDay:
    day: date
    in_month: bool
    is_today: bool
    shifts: list[Shift] = field(default_factory=list)
    holidays: list[str] = field(default_factory=list)


def month_weeks(first: date) -> list[date]:
    """The Mondays of the weeks (Monday to Sunday) that cover the month starting on `first`."""
    next_month = add_months(first, 1)
    monday = week_start(first)
    mondays = []
    while monday < next_month:
        mondays.append(monday)
        monday += timedelta(days=7)
    return mondays


@dataclass
class ShiftRun:
    """Consecutive regular days one member holds in one rotation, or a single holiday shift."""

    first: Shift
    last: Shift

    @property
    def days(self) -> int:
        return (self.last.date - self.first.date).days + 1


def shift_runs(shifts: list[Shift]) -> list[ShiftRun]:
    """`shifts` (one member's, ordered by rotation then date) as runs of days, earliest first."""
    runs: list[ShiftRun] = []
    for shift in shifts:
        last = runs[-1].last if runs else None
        if (
            last
            and last.rotation_id == shift.rotation_id
            and last.date + timedelta(days=1) == shift.date
            and not last.is_holiday
            and not shift.is_holiday
        ):
            runs[-1].last = shift
        else:
            runs.append(ShiftRun(shift, shift))
    return sorted(runs, key=lambda run: run.first.start)


def month_grid(
    first: date, today: date, shifts: list[Shift], holidays: dict[date, list[str]]
) -> list[list[CalendarDay]]:
    """The weeks (Monday to Sunday) covering the month that starts on `first`, each day with its shifts."""
    weeks = []
    by_day = defaultdict(list)
    for shift in shifts:
        by_day[shift.date].append(shift)
    for monday in month_weeks(first):
        week = []
        for offset in range(7):
            day = monday + timedelta(days=offset)
            week.append(CalendarDay(day, day.month == first.month, day == today, by_day[day], holidays.get(day, [])))
        weeks.append(week)
    return weeks


class OnCallCalendarView(TemplateView):
    """`/oncall/`: a month of shifts, Monday to Sunday, with holidays, trades and warnings marked."""

    template_name = "oncall/calendar.html"

    def get_context_data(self, **kwargs):
        query = self.request.GET
        today = timezone.localdate()
        month_form = CalendarMonthForm(query or None)
        first = month_form.first_day(today)
        mondays = month_weeks(first)
        grid_first, grid_last = mondays[0], mondays[-1] + timedelta(days=6)

        filterset = ShiftFilterSet(
            {
                "start": grid_first,
                "end": grid_last,
                "member": query.get("member", ""),
                "rotation": query.get("rotation", ""),
            },
            queryset=Shift.objects.select_related("member", "rotation").order_by("date", "rotation__name"),
        )
        shifts = list(filterset.qs)
        chosen = filterset.form.cleaned_data  # the valid filters only: a bad one is shown, not applied
        rotations = list(Rotation.objects.prefetch_related("custom_holidays", current_order()))
        shown = [r for r in rotations if chosen.get("rotation") in (None, r)]
        holidays: dict[date, list[str]] = defaultdict(list)
        for rotation in shown:
            for day, name in rotation_holidays(rotation, {grid_first.year, grid_last.year}).items():
                if name not in holidays[day]:
                    holidays[day].append(name)

        me = TeamMember.objects.select_related("user").filter(user=self.request.user).first()
        return super().get_context_data(
            month=first,
            month_form=month_form,
            filterset=filterset,
            weeks=month_grid(first, today, shifts, holidays),
            previous_query=self.query_for(add_months(first, -1)),
            next_query=self.query_for(add_months(first, 1)),
            this_month_query=self.query_for(first_of_month(today)),
            rotations=rotations,
            shown_rotations=shown,
            changes=history_of({"rotation": [r.pk for r in shown]}) if shown else [],
            several_rotations=len(rotations) > 1,
            filtered_member=chosen.get("member"),
            me=me,
            my_query=self.query_for(first, member=me.user.username) if me else "",
            my_runs=self.upcoming_runs(me, today) if me else [],
            can_offboard=is_manager(self.request.user),
            my_feed_url=feed_url("feeds:member-feed", me.calendar_token) if me else "",
            rotation_feeds=[(r, feed_url("feeds:rotation-feed", r.feed_token)) for r in shown],
            **kwargs,
        )

    @staticmethod
    def upcoming_runs(me: TeamMember, today: date) -> list[ShiftRun]:
        shifts = (
            Shift.objects.filter(member=me, end__gt=timezone.now(), date__lte=today + timedelta(days=UPCOMING_DAYS))
            .select_related("rotation")
            .order_by("rotation_id", "date")
        )
        return shift_runs(list(shifts))[:UPCOMING_RUNS]

    def query_for(self, month: date, **changes: str) -> str:
        """This page's query string for another month (or member), keeping the other filters."""
        query = self.request.GET.copy()
        query["month"] = f"{month:%Y-%m}"
        for key, value in changes.items():
            query[key] = value
        return query.urlencode()


# --- holiday matrix ------------------------------------------------------------------------------


@dataclass
class HolidayCell:
    """Who held (or holds) one holiday in one year; `recorded` marks history from before the portal."""

    day: date | None = None
    member: TeamMember | None = None
    traded: bool = False
    warning: str = ""
    recorded: bool = False


HolidayKey = tuple[str, int]  # (holiday name, year)


def holiday_cells(
    calendar: dict[date, str], records: list[HolidayRecord], shifts: list[Shift]
) -> dict[HolidayKey, HolidayCell]:
    """Who held each holiday in each year: the portal's own shifts win over recorded history."""
    cells: dict[HolidayKey, HolidayCell] = defaultdict(HolidayCell)
    for day, name in calendar.items():
        cells[(name, day.year)].day = day
    for record in records:
        cells[(record.holiday_name, record.date.year)] = HolidayCell(
            day=record.date, member=record.member, recorded=True
        )
    for shift in shifts:
        cells[(shift.holiday_name, shift.date.year)] = HolidayCell(
            day=shift.date, member=shift.member, traded=shift.traded, warning=shift.warning
        )
    return cells


def holiday_rows(cells: dict[HolidayKey, HolidayCell], years: range) -> list[tuple[str, list[HolidayCell]]]:
    """One row per holiday in calendar order (New Year's Day first), one cell per year."""
    first_seen: dict[str, tuple[int, int]] = {}
    for (name, _year), cell in cells.items():
        if cell.day:
            first_seen[name] = min(first_seen.get(name, (13, 32)), (cell.day.month, cell.day.day))
    names = sorted(first_seen, key=lambda name: (first_seen[name], name))
    return [(name, [cells.get((name, year), HolidayCell()) for year in years]) for name in names]


def holiday_counts(
    cells: dict[HolidayKey, HolidayCell], years: range, members: list[TeamMember]
) -> list[tuple[TeamMember, list[int], int]]:
    """Each member's holidays per year and in total: `members` and everyone else who held one."""
    counts: dict[int, Counter] = defaultdict(Counter)
    everyone = {member.pk: member for member in members}
    for (_name, year), cell in cells.items():
        if cell.member:
            counts[cell.member.pk][year] += 1
            everyone.setdefault(cell.member.pk, cell.member)
    return [
        (member, [counts[member.pk][year] for year in years], sum(counts[member.pk].values()))
        for member in sorted(everyone.values(), key=lambda m: m.name)
    ]


class HolidayMatrixView(TemplateView):
    """`/oncall/holidays/`: each holiday against the years, with who held it and each member's count per year."""

    template_name = "oncall/holiday_matrix.html"

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        years_form = HolidayYearsForm(self.request.GET or None, today=today)
        years = years_form.years()
        rotations = list(Rotation.objects.prefetch_related("custom_holidays", current_order()))
        rotation = self.chosen_rotation(rotations, self.request.GET.get("rotation", ""))
        in_years = {"date__year__gte": years[0], "date__year__lte": years[-1]}
        cells = holiday_cells(
            calendar=rotation_holidays(rotation, years) if rotation else {},
            records=list(HolidayRecord.objects.filter(**in_years).select_related("member")),
            shifts=list(rotation.shifts.holidays().filter(**in_years).select_related("member")) if rotation else [],
        )
        members = [m.member for m in rotation.current_memberships] if rotation else []
        return super().get_context_data(
            years_form=years_form,
            years=years,
            today=today,
            this_year=today.year,
            rotations=rotations,
            rotation=rotation,
            rows=holiday_rows(cells, years),
            member_counts=holiday_counts(cells, years, members),
            **kwargs,
        )

    @staticmethod
    def chosen_rotation(rotations: list[Rotation], value: str) -> Rotation | None:
        """The rotation asked for by id, else the first one."""
        return next((r for r in rotations if str(r.pk) == value), rotations[0] if rotations else None)


# --- turnover ------------------------------------------------------------------------------------


class MemberOffboardView(UserPassesTestMixin, FormView):
    """`/oncall/members/<username>/offboard/`: a manager records that a member leaves, and who takes over."""

    template_name = "oncall/member_offboard.html"
    form_class = MemberOffboardForm
    raise_exception = True  # signed-in non-managers get 403, not a second sign-in page

    def test_func(self) -> bool:
        return is_manager(self.request.user)

    @cached_property
    def member(self) -> TeamMember:
        return get_object_or_404(TeamMember.objects.select_related("user"), user__username=self.kwargs["username"])

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "member": self.member}

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        later = Shift.objects.filter(member=self.member, date__gte=today)
        return super().get_context_data(
            member=self.member,
            rotations=Rotation.objects.filter(
                memberships__member=self.member, memberships__ends_on__isnull=True
            ).distinct(),
            later_shift_count=later.count(),
            later_holidays=list(later.holidays().select_related("rotation").order_by("date")),
            **kwargs,
        )

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            # One transaction: a new successor is never left behind by an offboarding that failed.
            with transaction.atomic():
                successor = data["successor"]
                if form.wants_new_member:
                    successor = services.team_member_create(
                        name=data["new_name"].strip(), email=data["new_email"], joined_on=data["effective_date"]
                    )
                services.member_offboard(member=self.member, effective_date=data["effective_date"], successor=successor)
        except ValidationError as error:
            form.add_service_errors(error)
            return self.form_invalid(form)
        who = f"{successor.name} takes over their place and shifts" if successor else "the others close the gap"
        messages.success(
            self.request, f"{self.member.name} leaves the rotation on {data['effective_date']:%d %B %Y}; {who}."
        )
        return HttpResponseRedirect(reverse("oncall:calendar"))


# --- holiday trades ------------------------------------------------------------------------------


class HolidayTradeListView(TemplateView):
    """`/trades/`: offers waiting for my answer, my own open offers, and my decided trades, newest first."""

    template_name = "oncall/trade_list.html"

    def get_context_data(self, **kwargs):
        me = acting_member(self.request.user)
        trades = list(holiday_trades().filter(Q(requested_by=me) | Q(counterparty=me))) if me else []
        pending = [trade for trade in trades if trade.status == TradeStatus.PENDING]
        decided = [trade for trade in trades if trade.status != TradeStatus.PENDING]
        return super().get_context_data(
            me=me,
            incoming=[trade for trade in pending if trade.counterparty_id == me.pk],
            outgoing=[trade for trade in pending if trade.requested_by_id == me.pk],
            history=sorted(decided, key=lambda trade: (trade.decided_at, trade.pk), reverse=True),
            changes=history_of({"trade": [trade.pk for trade in trades]}) if trades else [],
            **kwargs,
        )


class HolidayTradeCreateView(FormView):
    """`/trades/new/`: offer one of my future holiday shifts to a colleague, as a swap or a give-away.

    Without JavaScript it takes two steps: "Show their holidays" re-displays the form with the chosen
    colleague's holidays, keeping what was entered. A trade that breaks the holiday window comes back
    with the warning and a box to tick before it is sent.
    """

    template_name = "oncall/trade_form.html"
    form_class = HolidayTradeForm
    CHOOSE_COLLEAGUE = "colleague"

    @cached_property
    def member(self) -> TeamMember | None:
        return acting_member(self.request.user)

    def dispatch(self, request, *args, **kwargs):
        if request.method == "POST":
            team_member_or_403(request.user)
        elif self.member is None:
            return self.render_to_response({"me": None})  # the page says why there is nothing to trade
        return super().dispatch(request, *args, **kwargs)

    @property
    def choosing_colleague(self) -> bool:
        return self.request.method == "POST" and self.request.POST.get("step") == self.CHOOSE_COLLEAGUE

    def get_initial(self) -> dict:
        # A link may pick the shift or the colleague (`?shift=12&counterparty=bob.dylan`).
        source = self.request.POST if self.choosing_colleague else self.request.GET
        fields = ("shift", "counterparty", "counterparty_shift", "message")
        return {name: source[name] for name in fields if name in source}

    def get_form_kwargs(self):
        kwargs = {**super().get_form_kwargs(), "member": self.member, "now": timezone.now()}
        if self.choosing_colleague:
            # Not a submission yet: show the colleague's holidays without complaining about empty fields.
            kwargs.pop("data", None)
            kwargs.pop("files", None)
        return kwargs

    def get_context_data(self, **kwargs):
        return super().get_context_data(me=self.member, **kwargs)

    def post(self, request, *args, **kwargs):
        if self.choosing_colleague:
            return self.render_to_response(self.get_context_data())
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            trade = trades.holiday_trade_request(
                requester=self.member,
                shift=data["shift"],
                counterparty=data["counterparty"],
                counterparty_shift=data["counterparty_shift"],
                message=data["message"],
                confirmed=form.is_confirmed,
            )
        except TradeNeedsConfirmation as needs:
            form.ask_confirmation(needs.warning)
            return self.form_invalid(form)
        except TradeError as error:
            form.add_service_errors(error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            f"Your offer of {shift_label(trade.shift)} went to {trade.counterparty.name}; "
            "they are emailed and answer it on their Trades page.",
        )
        return HttpResponseRedirect(reverse("oncall:trade-list"))


def trade_answered(trade: HolidayTrade, action: str) -> str:
    """What the person who just acted on a trade is told."""
    offer = shift_label(trade.shift)
    if action == "accept":
        swap = f"; {trade.requested_by.name} holds {shift_label(trade.counterparty_shift)}" if trade.is_swap else ""
        return f"Trade done: you hold {offer}{swap}."
    if action == "decline":
        return f"You declined {trade.requested_by.name}’s offer of {offer}."
    return f"You withdrew your offer of {offer} to {trade.counterparty.name}."


class HolidayTradeAnswerView(View):
    """POST `/trades/<id>/accept/`, `decline/` or `cancel/`: the service decides who may; then back to the list."""

    http_method_names = ["post"]
    action = ""  # accept, decline or cancel: set in the URLconf
    answers = {
        "accept": trades.holiday_trade_accept,
        "decline": trades.holiday_trade_decline,
        "cancel": trades.holiday_trade_cancel,
    }

    def post(self, request, pk: int):
        member = team_member_or_403(request.user)
        try:
            trade = self.answers[self.action](trade_id=pk, member=member)
        except HolidayTrade.DoesNotExist as error:
            raise Http404("No such trade.") from error
        except TradeError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, trade_answered(trade, self.action))
        return HttpResponseRedirect(reverse("oncall:trade-list"))
