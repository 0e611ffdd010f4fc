"""Reading the process-maps workbook cell by cell for ``processes.importers``: find the sheets and their
header rows, turn cells into values, and name every problem by sheet, row, column, value and rule.

Nothing here touches the database; the messages are translated (English msgids, Vietnamese catalogue).
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from io import BytesIO

from flask_babel import gettext as _
from openpyxl import load_workbook

from processes.durations import parse_amount, to_minutes
from processes.models import TimeUnit
from processes.xlsx_layout import (NO_WORDS, WORD_ALIASES, YES_WORDS, Column, SheetLayout, match_key)

MAX_PROBLEMS = 200
MAX_ROWS = 5000  # per sheet: a catalogue of a province has a few hundred procedures
HEADER_SEARCH_ROWS = 10
_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


@dataclass(frozen=True)
class ImportProblem:
    """One broken rule: where (sheet, row, column header), the value found and the rule, for people."""

    sheet: str
    row: int | None
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        where = f"{self.sheet}!R{self.row}" if self.row else (self.sheet or "—")
        column = f" [{self.column}]" if self.column else ""
        value = f" '{self.value}'" if self.value else ""
        return f"{where}{column}{value}: {self.message}"


class TooManyProblems(Exception):
    """Raised once the problem list is full: the rest of the file is not worth reading."""


class Problems(list):
    """The problems found so far; full at ``MAX_PROBLEMS``."""

    def add(self, sheet: str, row: int | None, column: str, value, message: str) -> None:
        self.append(ImportProblem(sheet, row, column, shown(value), message))
        if len(self) >= MAX_PROBLEMS:
            self.append(ImportProblem("", None, "", "", _("Reading stopped after %(count)d errors; correct these "
                                                          "and import again.", count=MAX_PROBLEMS)))
            raise TooManyProblems


def shown(value) -> str:
    """A cell value as the error table shows it: dates as dd/mm/yyyy, numbers as written, 80 characters."""
    if value is None:
        return ""
    if isinstance(value, (datetime, date)):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    return text if len(text) <= 80 else text[:79] + "…"


class Bad(Exception):
    """A cell that breaks its column's rule; the message names the rule."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# Opening the workbook -------------------------------------------------------------------------------


def open_workbook(data: bytes):
    """The workbook read-only, formulas as their cached values; the caller closes it."""
    with warnings.catch_warnings():  # Excel's extensions openpyxl does not read (slicers, x14 lists) do not matter
        warnings.simplefilter("ignore")
        return load_workbook(BytesIO(data), read_only=True, data_only=True)


def find_sheet(workbook, layout: SheetLayout):
    wanted = match_key(layout.name)
    return next((workbook[name] for name in workbook.sheetnames if match_key(name) == wanted), None)


@dataclass
class SheetRows:
    """The data rows of one sheet: (sheet row number, {column key: cell value}), blank rows left out."""

    name: str
    columns: dict[str, Column]
    header_row: int
    rows: list[tuple[int, dict]]


def read_sheet(worksheet, layout: SheetLayout, problems: Problems) -> SheetRows | None:
    """Find the header row (within the first rows), map the columns and read the data rows.

    A missing column is a problem naming the sheet and the column; unknown columns are ignored.
    """
    if hasattr(worksheet, "reset_dimensions"):  # read-only: a wrong <dimension> in the file would cut rows off
        worksheet.reset_dimensions()
    rows = worksheet.iter_rows(values_only=True)
    header_row, positions = 0, {}
    for number, values in enumerate(rows, start=1):
        if number > HEADER_SEARCH_ROWS:
            break
        found = _positions(values, layout)
        if layout.columns[0].key in found and len(found) >= 2:
            header_row, positions = number, found
            break
    if not header_row:
        problems.add(layout.name, None, layout.columns[0].header, "",
                     _("No header row found in the first %(count)d rows: the sheet needs the column headers of the "
                       "template, starting with \"%(header)s\".", count=HEADER_SEARCH_ROWS,
                       header=layout.columns[0].header))
        return None
    missing = [c for c in layout.columns if c.key not in positions]
    for column in missing:  # a row is a whole record: a missing column would silently clear what it holds
        problems.add(layout.name, header_row, column.header, "",
                     _("This column of the template is missing from the sheet (headers are matched without regard "
                       "to case or diacritics; the order of the columns does not matter)."))
    if missing:
        return None
    result = SheetRows(worksheet.title, {c.key: c for c in layout.columns if c.key in positions}, header_row, [])
    for number, values in enumerate(rows, start=header_row + 1):
        cells = {key: clean(values[index]) if index < len(values) else None for key, index in positions.items()}
        if all(blank(v) for v in cells.values()):
            continue
        if len(result.rows) >= MAX_ROWS:
            problems.add(result.name, number, "", "", _("The sheet has more than %(count)d rows: split the file.",
                                                        count=MAX_ROWS))
            break
        result.rows.append((number, cells))
    return result


def _positions(values, layout: SheetLayout) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, value in enumerate(values or ()):
        for column in layout.columns:
            if column.key not in found and column.matches(value):
                found[column.key] = index
                break
    return found


def normal_text(text: str) -> str:
    """Text as compared and stored: NFC (a Mac may write NFD), plain spaces, LF line ends, trimmed."""
    text = unicodedata.normalize("NFC", text).replace("\u00a0", " ")
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def clean(value):
    if isinstance(value, str):
        return normal_text(value) or None
    return value


def blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# Cell converters: each returns the value or raises Bad naming the rule ------------------------------------


def text(value) -> str:
    if isinstance(value, (datetime, date)):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def code(value) -> str:
    """A code (1.004470, B1, 61/2018/NĐ-CP): a number cell loses its trailing zeros, so it is refused."""
    if isinstance(value, float) and not value.is_integer():
        raise Bad(_("The code was read as a number (its trailing zeros are lost): format the cell as text and "
                    "type the code again."))
    return text(value).strip()


def amount(value) -> Fraction:
    if isinstance(value, bool) or isinstance(value, (datetime, date)):
        raise Bad(_("Not a number: write a number of days or hours, e.g. 0,5 or 14."))
    try:
        return parse_amount(value if isinstance(value, (int, float)) else str(value))
    except (ValueError, ZeroDivisionError):
        raise Bad(_("Not a number: write a number of days or hours, e.g. 0,5 or 14.")) from None


def minutes_of(value: Fraction, unit: TimeUnit) -> int:
    """The amount in minutes, refusing a finer grain than half a day (days) or half an hour (hours)."""
    try:
        return to_minutes(value, unit)
    except (ValueError, ZeroDivisionError):
        if unit == TimeUnit.WORKING_HOURS:
            raise Bad(_("Hours are counted in half hours: write e.g. 0,5, 1 or 4.")) from None
        raise Bad(_("Days are counted in half days: write e.g. 0,5, 1 or 14.")) from None


def day(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        match = _DATE.match(value.strip())
        parts = (match.group(3), match.group(2), match.group(1)) if match else None
        iso = _ISO_DATE.match(value.strip())
        parts = parts or (iso.groups() if iso else None)
        if parts:
            try:
                return date(int(parts[0]), int(parts[1]), int(parts[2]))
            except ValueError:
                pass
    raise Bad(_("Not a date: write dd/mm/yyyy (e.g. 27/05/2022) or use a date cell."))


def mark(value) -> bool:
    if isinstance(value, bool):
        return value
    raw = text(value).strip().lower()
    key = match_key(raw)
    if raw in YES_WORDS or (key and key in YES_WORDS):
        return True
    if raw in NO_WORDS or (key and key in NO_WORDS):
        return False
    raise Bad(_("Write x for yes and leave the cell empty for no."))


def chooser(words: dict):
    """A converter reading one of *words* (an enum member → its Vietnamese word), aliases and the enum's value."""
    enum_type = type(next(iter(words)))
    table = {match_key(word): member for member, word in words.items()}
    table.update({key: member for key, member in WORD_ALIASES.items() if isinstance(member, enum_type)})
    table.update({match_key(member.value): member for member in words})
    allowed = ", ".join(words.values())

    def choose(value):
        member = table.get(match_key(value))
        if member is None:
            raise Bad(_("Not an allowed value; choose one of: %(allowed)s.", allowed=allowed))
        return member

    return choose


class RowReader:
    """Reads the cells of one row through converters, adding a problem for each bad or missing cell."""

    def __init__(self, sheet: SheetRows, number: int, cells: dict, problems: Problems):
        self.sheet, self.number, self.cells, self.problems = sheet, number, cells, problems
        self.failed = False

    def header(self, key: str) -> str:
        column = self.sheet.columns.get(key)
        return column.header if column is not None else key

    def fail(self, key: str, message: str, value=None) -> None:
        self.failed = True
        self.problems.add(self.sheet.name, self.number, self.header(key),
                          self.cells.get(key) if value is None else value, message)

    def take(self, key: str, convert=text, *, required: bool = False):
        raw = self.cells.get(key)
        if blank(raw):
            if required:
                self.fail(key, _("A value is required in this column."))
            return None
        try:
            value = convert(raw)
        except Bad as bad:
            self.fail(key, bad.message)
            return None
        column = self.sheet.columns.get(key)
        if isinstance(value, str) and column is not None and column.max_length and len(value) > column.max_length:
            self.fail(key, _("Too long: at most %(count)d characters.", count=column.max_length))
            return None
        return value
