from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from oncall.models import HolidayRecord

pytestmark = pytest.mark.django_db


def run(tmp_path, text):
    path = tmp_path / "history.csv"
    path.write_text(text)
    out = StringIO()
    call_command("import_holiday_history", str(path), stdout=out)
    return out.getvalue()


def test_import_holiday_history_records_rows_and_is_idempotent(imported_seed, tmp_path):
    text = (
        "date,holiday,member\n"
        "2025-12-25,Christmas Day,Jasmine Glancy\n"
        "2025-07-04,Independence Day,miles.lopez\n"
        "2024-11-28,Thanksgiving Day,Hudson King\n"
    )
    assert "3 records created" in run(tmp_path, text)
    assert "0 records created, 0 updated, 3 unchanged" in run(tmp_path, text)
    record = HolidayRecord.objects.get(date=date(2025, 12, 25))
    assert record.member.name == "Jasmine Glancy" and record.holiday_name == "Christmas Day"


def test_import_holiday_history_reports_every_bad_line_and_imports_nothing(imported_seed, tmp_path):
    text = (
        "date,holiday,member\n"
        "2025-12-25,Christmas Day,Jasmine Glancy\n"
        "25/12/2024,Christmas Day,Jasmine Glancy\n"
        "2024-12-25,Christmas,Jasmine Glancy\n"
        "2024-07-04,Independence Day,Nobody Atall\n"
    )
    with pytest.raises(CommandError) as error:
        run(tmp_path, text)
    message = str(error.value)
    assert "line 3" in message and "not a date" in message
    assert HolidayRecord.objects.count() == 0
    fixed = text.replace("25/12/2024", "2023-12-25")
    with pytest.raises(CommandError) as error:
        run(tmp_path, fixed)
    message = str(error.value)
    assert "line 4" in message and "'Christmas Day', not 'Christmas'" in message
    assert "line 5" in message and "not a team member" in message
    assert HolidayRecord.objects.count() == 0


def test_import_holiday_history_needs_the_columns(imported_seed, tmp_path):
    with pytest.raises(CommandError) as error:
        run(tmp_path, "day,name\n2025-12-25,Christmas Day\n")
    assert "line 1" in str(error.value) and "member" in str(error.value)
