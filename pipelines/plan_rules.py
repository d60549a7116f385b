"""The plan's sentences that carry figures: delay rules, on-call rules and the SLA.

Each reader takes the plain text of the plan's paragraphs and list items with their line numbers,
and either reads a figure exactly or raises `PlanError` naming the line; a figure the text does
not state keeps its default, and the import says so.
"""

import re
from datetime import time, timedelta
from decimal import Decimal
from functools import cache
from zoneinfo import available_timezones

from .plan import DelayRuleSpec, OnCallRules, PlanError, SlaFigures

Units = list[tuple[int, str]]  # (line, plain text) of each paragraph or list item
Notes = list[tuple[int, str]]

_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fourteen": 14, "thirty": 30,
}  # fmt: skip
_NUMBER = r"(?:\d+|(?i:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fourteen|thirty|an?))"


def _number(text: str) -> int:
    text = text.strip().lower()
    return int(text) if text.isdigit() else _NUMBER_WORDS[text]


def sentences(units: Units) -> list[tuple[int, str]]:
    """Each unit split into sentences, each with its unit's line."""
    return [(line, s) for line, text in units for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", text) if s.strip()]


# --- delay rules ---------------------------------------------------------------------------------

_PERSON = r"[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*)*"
_ORGANISATION = r"[A-Z][\w&.'’-]*(?:\s+(?:&\s+)?[A-Z][\w&.'’-]*)*"
_NOT_RECEIVED = (
    r"(?i:(?:is|are|has|have|was|were)(?:n['’]t|\s+not)(?:\s+been)?\s+(?:received|delivered)"
    r"|(?:does|do)(?:n['’]t|\s+not)\s+arrive)"
)
_LATE_BY = (
    rf"(?i:by|within)?\s*(?P<days>{_NUMBER})\s+(?i:days?)\s+"
    r"(?i:after|past|beyond)\s+(?i:the\s+)?(?i:expected\s+)?(?i:deadline)"
)
_ORG_WORD = r"(?i:with|from|at|in|of)"
_DELAY_RULES = [
    # "Contact Ray Charley with Sales if sales data isn't received by 2 days after the expected deadline",
    # also the plan's garbled "Contact Ray Charley if with Sales sales data isn't received …".
    re.compile(
        rf"(?i:contact)\s+(?P<name>{_PERSON})\s+"
        rf"(?:{_ORG_WORD}\s+(?P<org>{_ORGANISATION})\s+(?i:if)|(?i:if)\s+{_ORG_WORD}\s+(?P<org2>{_ORGANISATION}))\s+"
        rf"(?P<data>.+?)\s+{_NOT_RECEIVED}\s+{_LATE_BY}"
    ),
    # "If sales data isn't received by 2 days after the expected deadline, contact Ray Charley with Sales"
    re.compile(
        rf"(?i:if)\s+(?P<data>.+?)\s+{_NOT_RECEIVED}\s+{_LATE_BY},?\s+(?i:then\s+)?(?i:contact)\s+"
        rf"(?P<name>{_PERSON})\s+{_ORG_WORD}\s+(?P<org>{_ORGANISATION})"
    ),
]


def delay_rules(units: Units, pipeline: str) -> tuple[DelayRuleSpec, ...]:
    """One rule per contact (the database allows no more); a sentence that looks like one must read as one."""
    rules: dict[str, DelayRuleSpec] = {}
    for line, text in units:
        matched = False
        for pattern in _DELAY_RULES:
            for match in pattern.finditer(text):
                matched = True
                rule = DelayRuleSpec(
                    contact_name=match["name"],
                    organisation=match["org"] or match.groupdict().get("org2") or "",
                    days_after_deadline=_number(match["days"]),
                    data_description=match["data"].strip(" ,"),
                    line=line,
                )
                if rule.days_after_deadline < 1:
                    raise PlanError(line, f"{pipeline}: a delay rule needs at least one day after the deadline")
                first = rules.setdefault(rule.contact_name, rule)
                if first is not rule and _differs(first, rule):
                    raise PlanError(
                        line,
                        f"{pipeline}: a second, different delay rule for {rule.contact_name} (see line {first.line})",
                    )
        if not matched and re.search(r"\bcontact\b", text, re.I) and re.search(r"\bdeadline\b", text, re.I):
            raise PlanError(
                line,
                f'{pipeline}: this looks like a delay rule but could not be read: "{text}" (write it as "Contact '
                "<Name> with <Organisation> if <data> isn't received by <N> days after the expected deadline\")",
            )
    return tuple(rules.values())


def _differs(first: DelayRuleSpec, rule: DelayRuleSpec) -> bool:
    return (first.organisation, first.days_after_deadline, first.data_description) != (
        rule.organisation,
        rule.days_after_deadline,
        rule.data_description,
    )


# --- on-call rules -------------------------------------------------------------------------------

_CLOCK = r"(?:midnight|noon|midday|\d{1,2}(?::\d{2})?(?:\s*[ap]\.?\s?m\.?)?)"
# Policies the portal applies on its own; a sentence stating one is understood, not skipped.
_ONCALL_POLICIES = re.compile(r"\btrade|\binherit|\bturn\s*over|\bswap", re.I)


def clock(text: str) -> time | None:
    """ "midnight", "noon", "09:00", "9 AM", "9:30 p.m." → a time; None when it is not one."""
    text = text.strip().lower()
    if text == "midnight":
        return time(0, 0)
    if text in ("noon", "midday"):
        return time(12, 0)
    match = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?\s*(?:([ap])\.?\s?m\.?)?", text)
    if not match:
        return None
    hour, minute, half = int(match[1]), int(match[2] or 0), match[3]
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "p" else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def oncall_rules(units: Units, heading_line: int, notes: Notes) -> OnCallRules:
    """Shift length (the portal's shifts are whole days), start, rotation and holiday window."""
    defaults = OnCallRules()
    found: dict[str, tuple[object, int]] = {}

    def state(key: str, value: object, line: int) -> None:
        if key in found and found[key][0] != value:
            raise PlanError(
                line, f"the on-call section states {key.replace('_', ' ')} twice (also on line {found[key][1]})"
            )
        found.setdefault(key, (value, line))

    for line, sentence in sentences(units):
        understood = False
        if re.search(r"\b(?:on[\s-]?call|shifts?|schedule)\b", sentence, re.I) and (
            hours := re.search(rf"\b({_NUMBER})[\s-]*(?:hours?|h)\b", sentence, re.I)
        ):
            if _number(hours[1]) != 24:
                raise PlanError(
                    line,
                    f"on-call shifts of {hours[1]} hours cannot be stored: the portal's shifts last a whole day "
                    "(24 hours, one person per day)",
                )
            state("shift_hours", 24, line)
            understood = True
        if start := re.search(
            rf"\b(?:start(?:s|ing)?|begin(?:s|ning)?)\s+at\s+({_CLOCK})(?:\s+([A-Z]\S+))?", sentence, re.I
        ):
            if clock(start[1]) is None:
                raise PlanError(line, f'"{start[1]}" is not a time of day')
            if start[2] and start[2].rstrip(".,") not in ("UTC",):
                raise PlanError(
                    line, f"on-call shifts start in UTC in the plan; {start[2].rstrip('.,')} cannot be stored"
                )
            state("shift_start", clock(start[1]), line)
            understood = True
        if re.search(r"\brotat", sentence, re.I):
            if every := re.search(rf"\bevery\s+({_NUMBER}\s+)?(days?|weeks?)\b", sentence, re.I):
                count = _number(every[1]) if every[1] else 1
                state("rotation_days", count * (7 if every[2].lower().startswith("week") else 1), line)
                understood = True
            elif re.search(r"\bweekly\b", sentence, re.I):
                state("rotation_days", 7, line)
                understood = True
            elif re.search(r"\bdaily\b", sentence, re.I):
                state("rotation_days", 1, line)
                understood = True
        if re.search(r"\bholiday", sentence, re.I) and (
            years := re.search(rf"\bevery\s+({_NUMBER})\s+years?\b", sentence, re.I)
        ):
            state("holiday_window_years", _number(years[1]), line)
            understood = True
        if not understood and not _ONCALL_POLICIES.search(sentence):
            notes.append((line, f'on-call sentence not understood; skipped: "{sentence}"'))

    what = {
        "shift_hours": "the length of an on-call shift",
        "shift_start": "when an on-call shift starts",
        "rotation_days": "how often on-call rotates",
        "holiday_window_years": "how often the same holiday may fall to the same person",
    }
    values = {}
    for key, description in what.items():
        if key in found:
            values[key] = found[key][0]
        else:
            notes.append(
                (
                    heading_line,
                    f"the on-call section does not say {description}; the default {getattr(defaults, key)} is used",
                )
            )
    return OnCallRules(**values)


# --- SLA -----------------------------------------------------------------------------------------

_DECIMAL = r"\d+(?:\.\d+)?"
# Case-sensitive inside re.I patterns, so that "by 8 AM each day" has no time zone "each".
_TIMEZONE = (
    r"(?P<tz>(?-i:UTC(?:[+-]\d{1,2}(?::?\d{2})?)?|GMT|[A-Z]{2,5}\d?[A-Z]{0,3}|[A-Z][A-Za-z_]+/[A-Z][A-Za-z_/]+))"
)
ZONE_SUGGESTIONS = {
    "PST": "America/Los_Angeles", "PDT": "America/Los_Angeles", "PT": "America/Los_Angeles",
    "MDT": "America/Denver", "CST": "America/Chicago", "CDT": "America/Chicago", "EDT": "America/New_York",
    "ET": "America/New_York", "BST": "Europe/London", "CEST": "Europe/Paris", "IST": "Asia/Kolkata",
}  # fmt: skip

# figure: (the phrase that states it, what it is for the "not stated" note)
_SLA_FIGURES = {
    "availability_pct": (
        rf"({_DECIMAL})\s*%\s*of\s+(?:all\s+)?(?:the\s+)?scheduled\s+runs",
        'the availability ("N% of scheduled runs")',
    ),
    "deadline": (
        r"\bby\s+(?P<clock>\d{1,2}(?::\d{2})?\s*[ap]\.?\s?m\.?|\d{1,2}:\d{2}|noon|midnight)"
        rf"(?:\s+{_TIMEZONE}\b)?",
        'the daily deadline ("by 8:00 AM UTC")',
    ),
    "delay_threshold": (
        rf"\bdelays?\s+(?:greater|longer|more)\s+than\s+({_DECIMAL}|{_NUMBER})\s*(hours?|hrs?|h|minutes?|mins?)\b",
        'the delay to report ("delays greater than 1 hour")',
    ),
    "bad_records_pct": (
        rf"({_DECIMAL})\s*%\s*of\s+(?:the\s+)?records",
        'the share of records that may fail ("0.1% of records")',
    ),
    "critical_fields": (
        r"\bcritical\s+fields\s*(?:\(\s*(?:e\.g\.|i\.e\.|such\s+as|like)?,?\s*(?P<listed>[^)]*)\)|:\s*(?P<after>[^.]*))",
        'the critical fields ("critical fields (e.g., a, b)")',
    ),
    "acknowledge_minutes": (
        rf"\backnowledged\s+within\s+({_NUMBER})\s*(minutes?|mins?|hours?|hrs?)\b",
        'the time to acknowledge ("acknowledged within 15 minutes")',
    ),
    "resolution_hours": (
        rf"\b(?:resolution|resolved|workaround)\b[^.]*?\bwithin\s+({_NUMBER})\s*(hours?|hrs?|days?)\b",
        'the time to resolve ("within 3 hours of incident detection")',
    ),
}


def _sla_value(key: str, match: re.Match[str], line: int):
    if key in ("availability_pct", "bad_records_pct"):
        return Decimal(match[1])
    if key == "deadline":
        return clock(match["clock"])
    if key == "delay_threshold":
        amount = Decimal(match[1]) if match[1][0].isdigit() else Decimal(_number(match[1]))
        return timedelta(**{"minutes" if match[2].lower().startswith("m") else "hours": float(amount)})
    if key == "critical_fields":
        names = re.split(r",|\band\b|\bor\b", match["listed"] or match["after"] or "")
        fields = tuple(n for n in (name.strip(" `'\"") for name in names) if n and n.lower() not in ("etc", "etc."))
        if not fields or not all(re.fullmatch(r"[A-Za-z_][\w.]*", f) for f in fields):
            raise PlanError(line, f'the critical fields must be column names separated by commas: "{match[0]}"')
        return fields
    if key == "acknowledge_minutes":
        return _number(match[1]) * (60 if match[2].lower().startswith("h") else 1)
    return _number(match[1]) * (24 if match[2].lower().startswith("d") else 1)


_zones = cache(available_timezones)  # reading the zone database takes a while


def _deadline_zone(zone: str, line: int) -> str:
    if zone in _zones():
        return zone
    hint = f" (for {zone}, write {ZONE_SUGGESTIONS[zone]})" if zone in ZONE_SUGGESTIONS else ""
    raise PlanError(
        line, f'"{zone}" is not a time zone name the portal knows; use UTC or a name such as Europe/Paris{hint}'
    )


def sla_figures(units: Units, heading_line: int, notes: Notes) -> SlaFigures:
    """Each figure from the phrase that states it; stated twice with different values is refused."""
    defaults = SlaFigures()
    found: dict[str, tuple[object, int]] = {}
    for line, text in units:
        for key, (pattern, _what) in _SLA_FIGURES.items():
            for match in re.finditer(pattern, text, re.I):
                value = _sla_value(key, match, line)
                if value is None:
                    raise PlanError(line, f'"{match["clock"]}" is not a time of day')
                if key in found and found[key][0] != value:
                    raise PlanError(
                        line, f"the SLA states {_what_of(key)} twice, differently (also on line {found[key][1]})"
                    )
                found.setdefault(key, (value, line))
                if key == "deadline":
                    if match["tz"]:
                        found.setdefault("deadline_timezone", (_deadline_zone(match["tz"], line), line))
                    else:
                        notes.append((line, "the SLA deadline names no time zone; UTC is used"))
    values = {}
    for key, (_pattern, what) in _SLA_FIGURES.items():
        if key in found:
            values[key] = found[key][0]
        else:
            notes.append(
                (heading_line, f"the SLA section does not state {what}; the default {getattr(defaults, key)} is used")
            )
    if "deadline_timezone" in found:
        values["deadline_timezone"] = found["deadline_timezone"][0]
    return SlaFigures(**values)


def _what_of(key: str) -> str:
    return _SLA_FIGURES[key][1].split(" (")[0]
