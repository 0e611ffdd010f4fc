"""Reading the exports of the one-stop systems: .csv and .xlsx, checked by content, streamed in chunks of rows.

The kind of a file is read from its bytes, never from its name, and the name must agree with it
(a workbook renamed .csv, or an old .xls, is refused with the reason). A CSV may be UTF-8 (with or
without BOM), UTF-16 (Excel's "Unicode text") or Windows-1258; its delimiter (comma, semicolon or
tab) is read from the header line. A UTF-8 CSV is parsed by Apache Arrow (C++, every core) when it reads
it as the csv module would (``fast_survey``: no blank lines, every row as wide as the header), else by the
csv module. A workbook's first sheet is read straight from its XML with
expat, values only: some ten times faster than openpyxl's read-only mode and as frugal, so a
100,000-row export streams in seconds. The header row is the first of the first 30 rows with at
least three filled cells (exports often start with a title block).
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.parsers import expat

from flask_babel import gettext as _

from qms.errors import DomainError
from qms.files.storage import detect_kind

CHUNK_ROWS = 50_000
HEADER_SEARCH_ROWS = 30
SAMPLE_ROWS = 3
TEXT_EXTENSIONS = (".csv", ".txt", ".tsv")
_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


class ImportFileRefused(DomainError):
    """The file is not something the import reads: wrong kind, renamed, empty, without a header row."""


@dataclass
class SourceInfo:
    """What the import needs to know of a file before reading it: its kind, where the data is, its headers."""

    kind: str  # csv | xlsx
    label: str  # the sheet's name, or the file's: the prefix of every "where" (Hồ sơ!R12)
    headers: list[str]
    header_row: int  # 1-based, as a spreadsheet shows it
    encoding: str = "utf-8-sig"
    delimiter: str = ","
    sheet_path: str = ""
    date1904: bool = False
    total_rows: int | None = None  # data rows below the header, when the file says so
    size: int = 0  # bytes to read, for the progress bar
    sample: list[list[str]] = field(default_factory=list)  # the first data rows, as text, for the mapping page


@dataclass
class RowChunk:
    rows: list[int]  # the 1-based row number of each row
    values: list[list] = field(default_factory=list)  # per requested column: str, float (a workbook number) or None
    done_fraction: float = 0.0  # how far into the file, for the progress bar


def _extension(name: str) -> str:
    match = re.search(r"\.[^.]+$", name or "")
    return match.group(0).lower() if match else ""


def inspect_file(path, filename: str) -> SourceInfo:
    """Check the kind of *path* against its *filename* and find its header row; ``ImportFileRefused`` if wrong."""
    with open(path, "rb") as handle:
        head = handle.read(65536)
    if not head:
        raise ImportFileRefused(_("%(name)s is empty.", name=filename))
    extension = _extension(filename)
    if head.startswith(b"PK\x03\x04") or head.startswith((b"\xd0\xcf\x11\xe0", b"%PDF-", b"MZ", b"\x7fELF")):
        detection = detect_kind(path)
        if detection.kind != "xlsx":
            raise ImportFileRefused(_("%(name)s is refused: its content is %(what)s. Export the dossiers as .xlsx or "
                                      ".csv.", name=filename, what=detection.what or detection.kind))
        if extension != ".xlsx":
            raise ImportFileRefused(_("%(name)s is refused: its name ends in \"%(extension)s\" but its content is an "
                                      "Excel workbook (.xlsx). Rename it or upload the right file.", name=filename,
                                      extension=extension or "—"))
        return _inspect_xlsx(path, filename)
    encoding = _text_encoding(head)
    if encoding is None:
        raise ImportFileRefused(_("%(name)s is refused: its content is neither text (.csv) nor an Excel workbook "
                                  "(.xlsx).", name=filename))
    if extension not in TEXT_EXTENSIONS:
        raise ImportFileRefused(_("%(name)s is refused: its name ends in \"%(extension)s\" but its content is text "
                                  "(CSV). Rename it .csv or upload the right file.", name=filename,
                                  extension=extension or "—"))
    return _inspect_csv(path, filename, encoding)


def _text_encoding(head: bytes) -> str | None:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        return None
    try:
        head.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError as error:
        if error.start >= len(head) - 3:  # a character cut at the end of the sample
            return "utf-8-sig"
    return "cp1258"


# CSV ------------------------------------------------------------------------------------------------


def _inspect_csv(path, filename: str, encoding: str) -> SourceInfo:
    import os

    with open(path, encoding=encoding, newline="", errors="replace") as handle:
        sample = handle.read(65536)
    first_line = next((line for line in sample.splitlines() if line.strip()), "")
    delimiter = max((",", ";", "\t", "|"), key=first_line.count)
    rows = list(csv.reader(io.StringIO(sample), delimiter=delimiter))[:HEADER_SEARCH_ROWS]
    number = _header_index(rows)
    if number is None:
        raise ImportFileRefused(_("%(name)s has no header row: the first rows should name the columns (mã hồ sơ, "
                                  "thời điểm …).", name=filename))
    headers = [_clean(value, encoding) for value in rows[number]]
    sample = [[_clean(value, encoding) for value in row] for row in rows[number + 1:number + 1 + SAMPLE_ROWS] if row]
    return SourceInfo("csv", filename, headers, number + 1, encoding=encoding, delimiter=delimiter,
                      size=os.path.getsize(path), sample=sample)


def _header_index(rows: list[list]) -> int | None:
    for index, row in enumerate(rows):
        if sum(1 for value in row if value is not None and str(value).strip()) >= 3:
            return index
    return None


def _clean(value, encoding: str = "") -> str:
    text = "" if value is None else str(value).strip()
    return unicodedata.normalize("NFC", text) if encoding == "cp1258" or not text.isascii() else text


ARROW_BLOCK = 4 << 20  # bytes of text per block of the fast reader (some 18,000 rows of an export; larger blocks
# cost memory, held by Arrow's allocator and by the blocks read ahead, and are no faster)
SCAN_BYTES = 16 << 20  # bytes read at a time when looking for blank lines
_BLANK_LINE = re.compile(rb"\n\r?\n")  # a regular expression: three times as fast as bytes' "in" here


def _arrow_applies(path, info: SourceInfo) -> bool:
    """The fast reader reads *path* exactly as the csv module would: UTF-8 text without blank lines (which
    the csv module skips while counting their lines, so that every row keeps its line number in messages)."""
    if info.encoding != "utf-8-sig":
        return False
    tail = b"\n"  # a blank first line counts too
    with open(path, "rb") as raw:
        while block := raw.read(SCAN_BYTES):
            if _BLANK_LINE.search(tail + block[:2]) or _BLANK_LINE.search(block):
                return False
            tail = block[-2:] if len(block) >= 2 else (tail + block)[-2:]  # the last two bytes read
    return True


def _arrow_reader(path, info: SourceInfo, keep: list[int] | None = None):
    """Arrow's streaming CSV reader of the data rows, every cell text (*keep*: only those columns converted; every
    row is still checked for its number of cells: a row of another width raises ``pyarrow.ArrowInvalid``)."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    names = [f"c{i}" for i in range(len(info.headers))]
    return pcsv.open_csv(
        path,
        read_options=pcsv.ReadOptions(skip_rows=info.header_row, column_names=names, block_size=ARROW_BLOCK,
                                      encoding="utf8"),
        parse_options=pcsv.ParseOptions(delimiter=info.delimiter, newlines_in_values=True),
        convert_options=pcsv.ConvertOptions(
            column_types={name: pa.string() for name in names}, strings_can_be_null=False,
            quoted_strings_can_be_null=False, include_columns=[names[i] for i in keep] if keep else None))


@dataclass
class Survey:
    """What a first pass of the fast reader found: every row readable, and whether the rows of each dossier
    come together in the file (then it streams: no second reading is ever needed)."""

    grouped: bool


def fast_survey(path, info: SourceInfo, code_column: int) -> Survey | None:
    """Read a CSV once with Arrow, keeping only its dossier codes: None when the fast reader cannot read it as
    the csv module would (see ``_arrow_applies``, and rows of another width, which the csv module pads or cuts),
    else the ``Survey``. Some tenths of a second for a million rows, on every core: an import then knows how to
    read the file before it writes."""
    if info.kind != "csv" or not _arrow_applies(path, info):
        return None
    import numpy as np
    import pyarrow as pa

    parts = []
    try:
        for block in _arrow_reader(path, info, [code_column]):
            parts.append(block.column(0))
    except pa.ArrowInvalid:
        return None
    if not parts:
        return Survey(grouped=True)
    numbers = pa.chunked_array(parts).combine_chunks().dictionary_encode().indices  # in order of first appearance
    grouped = not bool((np.diff(numbers.to_numpy(zero_copy_only=False)) < 0).any())
    del parts, numbers
    pa.default_memory_pool().release_unused()  # the blocks read: back to the system before the import's own work
    return Survey(grouped=grouped)


def _arrow_chunks(path, info: SourceInfo, columns: list[int], chunk: int) -> Iterator[RowChunk]:
    """``_csv_chunks`` through Apache Arrow's CSV reader: parsed in C++ on every core, outside the interpreter
    (a third of the time of the csv module on a million rows). For files ``fast_survey`` accepted."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    reader = _arrow_reader(path, info)
    pool = pa.default_memory_pool()
    line = info.header_row  # the line the previous row ended on
    size = info.size or 1
    done = 0
    try:
        for block in reader:
            pool.release_unused()  # the blocks before this one: Arrow's allocator would keep them for reuse
            done += block.get_total_buffer_size()
            for start in range(0, block.num_rows, chunk):
                part = block.slice(start, chunk)
                breaks = np.zeros(part.num_rows, dtype=np.int64)  # line breaks inside quoted values
                for column in part.columns:
                    if pc.any(pc.match_substring(column, "\n")).as_py():
                        breaks += pc.count_substring(column, "\n").to_numpy(zero_copy_only=False)
                ends = line + np.cumsum(breaks + 1)
                line = int(ends[-1])
                yield RowChunk((ends - breaks).tolist(), [part.column(i).to_pylist() for i in columns],
                               min(done / size, 1.0))
    finally:
        reader.close()


def _csv_chunks(path, info: SourceInfo, columns: list[int], chunk: int, fast: bool = False) -> Iterator[RowChunk]:
    if fast:  # the caller knows the fast reader reads it (``fast_survey``)
        yield from _arrow_chunks(path, info, columns, chunk)
        return
    raw = open(path, "rb")
    try:
        text = io.TextIOWrapper(raw, encoding=info.encoding, newline="")
        reader = csv.reader(text, delimiter=info.delimiter)
        for _skip in range(info.header_row):
            next(reader, None)
        width = max(columns, default=0) + 1
        normalise = info.encoding == "cp1258"
        while True:
            first_line = reader.line_num
            rows = list(itertools.islice(reader, chunk))
            if not rows:
                return
            numbers = _line_numbers(rows, first_line, reader.line_num)
            if len(numbers) != len(rows):  # blank lines
                rows = [row for row in rows if row]
            if min(map(len, rows), default=width) < width:
                rows = [row + [""] * (width - len(row)) if len(row) < width else row for row in rows]
            table = list(zip(*rows))  # one pass over the rows: faster than a list per column
            values = [list(table[column]) for column in columns]
            if normalise:
                values = [[unicodedata.normalize("NFC", cell) for cell in cells] for cells in values]
            yield RowChunk(numbers, values, min(raw.tell() / info.size, 1.0) if info.size else 0.0)
    finally:
        raw.close()


def _line_numbers(rows: list[list[str]], first_line: int, last_line: int) -> list[int]:
    """The line each record starts on: consecutive unless the chunk has blank lines or quoted line breaks."""
    if last_line - first_line == len(rows) and all(rows):  # no blank line, no line break inside a value
        return list(range(first_line + 1, last_line + 1))
    numbers, line = [], first_line
    for row in rows:
        line += 1
        if row:
            numbers.append(line)
            line += sum(value.count("\n") for value in row)
    return numbers


# XLSX -----------------------------------------------------------------------------------------------


def _inspect_xlsx(path, filename: str) -> SourceInfo:
    with zipfile.ZipFile(path) as archive:
        sheet_name, sheet_path, date1904 = _first_sheet(archive)
        strings = _shared_strings(archive)
        parser = _SheetParser(None, strings, limit=HEADER_SEARCH_ROWS)
        total = parser.feed(archive, sheet_path)
        size = archive.getinfo(sheet_path).file_size
    rows = [row for _number, row in parser.rows]
    index = _header_index([list(row.values()) for row in rows])
    if index is None:
        raise ImportFileRefused(_("The sheet %(sheet)s of %(name)s has no header row: the first rows should name the "
                                  "columns (mã hồ sơ, thời điểm …).", sheet=sheet_name, name=filename))
    number, header = parser.rows[index]
    width = max(header) + 1
    headers = [_clean(header.get(column)) for column in range(width)]
    total_rows = total - number if total else None
    sample = [[_cell_text(row.get(column)) for column in range(width)]
              for _number, row in parser.rows[index + 1:index + 1 + SAMPLE_ROWS]]
    return SourceInfo("xlsx", sheet_name, headers, number, sheet_path=sheet_path, date1904=date1904,
                      total_rows=total_rows, size=size, sample=sample)


def _cell_text(value) -> str:
    """A cell of the preview: an Excel date (a serial with a time of day) as dd/mm/yyyy HH:MM."""
    if isinstance(value, float) and 20_000 < value < 80_000 and not value.is_integer():
        from datetime import datetime, timedelta

        return (datetime(1899, 12, 30) + timedelta(days=value)).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _clean(value)


def _first_sheet(archive: zipfile.ZipFile) -> tuple[str, str, bool]:
    from xml.etree import ElementTree

    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    properties = book.find(f"{_NS}workbookPr")
    date1904 = properties is not None and properties.get("date1904") in ("1", "true")
    sheet = book.find(f"{_NS}sheets/{_NS}sheet")
    if sheet is None:
        raise ImportFileRefused(_("The workbook has no sheet."))
    relation = sheet.get(f"{{{_REL_NS}}}id")
    target = "xl/worksheets/sheet1.xml"
    if "xl/_rels/workbook.xml.rels" in archive.namelist():
        relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        for item in relations:
            if item.get("Id") == relation:
                target = item.get("Target", target)
                target = target.lstrip("/") if target.startswith("/") else "xl/" + target
    return sheet.get("name", ""), target, date1904


def _shared_strings(archive: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in archive.namelist():
        return []
    strings: list[str] = []
    parts: list[str] = []
    state = {"text": False, "phonetic": False}

    def start(name, attrs):
        if name == "si":
            parts.clear()
        elif name == "t" and not state["phonetic"]:
            state["text"] = True
        elif name == "rPh":
            state["phonetic"] = True

    def end(name):
        if name == "si":
            strings.append("".join(parts))
        elif name == "t":
            state["text"] = False
        elif name == "rPh":
            state["phonetic"] = False

    def data(text):
        if state["text"]:
            parts.append(text)

    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, data
    with archive.open("xl/sharedStrings.xml") as stream:
        parser.ParseFile(stream)
    return strings


class _Enough(Exception):
    pass


def column_index(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number - 1


class _SheetParser:
    """The cells of a worksheet, row by row: all of them (``wanted`` None) or the wanted columns only."""

    def __init__(self, wanted: dict[int, int] | None, strings: list[str], limit: int | None = None, skip: int = 0):
        self.wanted, self.strings, self.limit, self.skip = wanted, strings, limit, skip
        self.rows: list[tuple[int, object]] = []
        self.total = 0
        self._columns: dict[str, int] = {}
        self._row: object = None
        self._number = 0
        self._position = -1
        self._slot = None
        self._type = None
        self._text: list[str] = []
        self._collect = False

    def start(self, name, attrs):
        if name == "c":
            reference = attrs.get("r")
            if reference:
                letters = reference.rstrip("0123456789")
                column = self._columns.get(letters)
                if column is None:
                    column = self._columns[letters] = column_index(letters)
                self._position = column
            else:
                self._position += 1
            self._slot = self._position if self.wanted is None else self.wanted.get(self._position)
            self._type = attrs.get("t")
            self._text = []
        elif name == "v" or name == "t":
            self._collect = self._slot is not None
        elif name == "row":
            number = attrs.get("r")
            self._number = int(number) if number else self._number + 1
            self._position = -1
            self._row = {} if self.wanted is None else [None] * len(self.wanted)
        elif name == "dimension":
            match = re.search(r"(\d+)$", attrs.get("ref", ""))
            self.total = int(match.group(1)) if match else 0

    def end(self, name):
        if name == "c":
            if self._slot is not None and self._text:
                self._row[self._slot] = self._value("".join(self._text))
            self._slot = None
        elif name == "v" or name == "t":
            self._collect = False
        elif name == "row":
            if self._number > self.skip and any(value is not None for value in (self._row.values() if self.wanted is None else self._row)):
                self.rows.append((self._number, self._row))
                if self.limit is not None and len(self.rows) >= self.limit:
                    raise _Enough

    def data(self, text):
        if self._collect:
            self._text.append(text)

    def _value(self, text: str):
        kind = self._type
        if kind == "s":
            return self.strings[int(text)]
        if kind in ("str", "inlineStr", "e", "d"):
            return text.strip()
        if kind == "b":
            return text == "1"
        try:
            return float(text)
        except ValueError:
            return text.strip()

    def parser(self):
        parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = \
            self.start, self.end, self.data
        return parser

    def feed(self, archive: zipfile.ZipFile, sheet_path: str) -> int:
        parser = self.parser()
        try:
            with archive.open(sheet_path) as stream:
                parser.ParseFile(stream)
        except _Enough:
            pass
        return self.total


def _xlsx_chunks(path, info: SourceInfo, columns: list[int], chunk: int) -> Iterator[RowChunk]:
    wanted = {column: slot for slot, column in enumerate(columns)}
    with zipfile.ZipFile(path) as archive:
        sheet = _SheetParser(wanted, _shared_strings(archive), skip=info.header_row)
        parser = sheet.parser()
        fed = 0
        with archive.open(info.sheet_path) as stream:
            while True:
                data = stream.read(1 << 20)
                fed += len(data)
                parser.Parse(data, not data)
                if len(sheet.rows) >= chunk or (not data and sheet.rows):
                    rows, sheet.rows = sheet.rows, []
                    yield RowChunk([number for number, _row in rows],
                                   [list(values) for values in zip(*(row for _number, row in rows))],
                                   fed / info.size if info.size else 0.0)
                if not data:
                    return


def read_chunks(path, info: SourceInfo, columns: list[int], chunk: int = CHUNK_ROWS,
                fast: bool = False) -> Iterator[RowChunk]:
    """The data rows below the header, *chunk* at a time, with the values of *columns* (0-based) only; a CSV
    through the fast reader when *fast* (``fast_survey`` said it reads it as the csv module would)."""
    if info.kind == "xlsx":
        return _xlsx_chunks(path, info, columns, chunk)
    return _csv_chunks(path, info, columns, chunk, fast)
