import csv
from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from oncall.services import HolidayHistoryRow, holiday_history_import

COLUMNS = ("date", "holiday", "member")


class Command(BaseCommand):
    help = (
        "Record who held which holiday before the portal, from a CSV with the columns date (YYYY-MM-DD), "
        "holiday (its name in the rotation's calendar, e.g. Christmas Day) and member (name or username). "
        "All rows or none."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path, **options):
        try:
            with open(path, newline="", encoding="utf-8-sig") as handle:
                rows, problems = read_rows(handle)
        except (OSError, UnicodeDecodeError, csv.Error) as error:
            raise CommandError(f"{path}: {error}") from error
        if problems:
            raise CommandError(f"{path}: nothing imported:\n" + "\n".join(problems))
        try:
            summary = holiday_history_import(rows=rows)
        except ValidationError as error:
            raise CommandError(f"{path}: nothing imported:\n" + "\n".join(error.messages)) from error
        created = len(summary.created.get("holiday record", []))
        updated = len(summary.updated.get("holiday record", []))
        unchanged = len(summary.unchanged.get("holiday record", []))
        self.stdout.write(self.style.SUCCESS(f"{created} records created, {updated} updated, {unchanged} unchanged."))


def read_rows(handle) -> tuple[list[HolidayHistoryRow], list[str]]:
    reader = csv.DictReader(handle)
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        return [], [f"line 1: the header needs the columns {', '.join(COLUMNS)} (missing: {', '.join(missing)})"]
    reader.fieldnames = header
    rows, problems = [], []
    for record in reader:
        line = reader.line_num
        values = {column: (record.get(column) or "").strip() for column in COLUMNS}
        if not any(values.values()):
            continue
        try:
            day = date.fromisoformat(values["date"])
        except ValueError:
            problems.append(f"line {line}: {values['date']!r} is not a date like 2024-12-25")
            continue
        if not values["holiday"] or not values["member"]:
            problems.append(f"line {line}: the holiday and the member are both needed")
            continue
        rows.append(HolidayHistoryRow(line=line, date=day, holiday_name=values["holiday"], member=values["member"]))
    if not rows and not problems:
        problems.append("the file has no rows")
    return rows, problems
