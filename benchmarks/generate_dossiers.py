"""Realistic dossier records of the demo procedures, as the one-stop information systems export them.

The procedures, their process maps and the dates their versions took effect come from the demo data
(``seed_data/demo/*.toml``, what ``qms seed --demo`` loads), so a fresh database seeded with the demo
imports every generated dossier. Dossiers get TT 01 codes (``000.20.17.H21-yymmdd-nnnn``), are
received in office hours (Monday to Friday, 07:30-11:30 and 13:30-17:00, Vietnam's public holidays
off) while a version of their map was in force within the last two years, and go through the
steps of that version with plausible working times (most well within the allotment, about one step
in ten late); the most recent ones are still in progress. About half of the steps also have a start
event (the handler takes the dossier up a while after it was handed over).

Two layouts: ``events`` (one row per step event, about ten per dossier) and ``dossiers`` (one row
per dossier, one column per step with its completion time), as .csv (dd/mm/yyyy HH:MM:SS) or .xlsx
(real Excel dates). Usable as a module (``generate``, ``write_events_csv`` …) or from the shell::

    python -m benchmarks.generate_dossiers --dossiers 100000 --format csv --out /tmp/events.csv
    python -m benchmarks.generate_dossiers --dossiers 100000 --format xlsx --out /tmp/dossiers.xlsx
"""

from __future__ import annotations

import argparse
import csv
import sys
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import numpy as np

from qms.calendar.engine import Weighting, WorkingClock

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
SEED_DIR = Path(__file__).resolve().parent.parent / "seed_data" / "demo"
SESSIONS = ((7 * 60 + 30, 11 * 60 + 30), (13 * 60 + 30, 17 * 60))
AGENCY_CODE = "000.20.17.H21"  # TT 01/2018 Art. 19: the receiving unit (not the demo dossiers' 000.00.17.H21)
UNITS = {"days": 480, "hours": 60}
#: Relative number of dossiers a year: the postal and printing procedures are the busy ones.
WEIGHTS = {"1.004470": 3.0, "1.004461": 2.0, "1.004453": 3.0, "1.003819": 1.0, "1.005424": 1.0,
           "1.005447": 2.0, "1.003725": 1.5, "1.003711": 2.0, "1.009836": 1.0}
HANDLERS = ["Nguyễn Thị Thảo", "Rơ Chăm Dũng", "Lê Thị Mai Hoa", "Nguyễn Văn Quang", "Lê Văn Hùng",
            "Phạm Đức Minh", "Võ Thị Bích Ngọc", "Đặng Anh Tuấn", "Ksor Yến", "Trần Văn Sơn", "Hoàng Thị Lan",
            "Văn thư Sở"]
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Rơ Mah",
            "Ksor", "Siu"]
GIVEN = ["Văn An", "Thị Bình", "Minh Châu", "Quốc Dũng", "Thị Hạnh", "Văn Hùng", "Thị Lan", "Đức Long", "Thị Mai",
         "Văn Nam", "Thị Nga", "Hữu Phước", "Thanh Sơn", "Thị Thu", "Văn Toàn", "Thị Vân", "H'Blin", "Hyang"]
COMPANIES = ["Công ty TNHH Chuyển phát Nhanh An Phú", "Công ty CP In Gia Lai", "Công ty TNHH Truyền thông Phố Núi",
             "Công ty CP Bưu chính Tây Nguyên", "Hợp tác xã Dịch vụ Ia Grai", "Công ty TNHH Game Net Pleiku",
             "Trường Cao đẳng Gia Lai", "Hội Nông dân tỉnh Gia Lai", "Công ty TNHH Quảng cáo Hoa Lư",
             "Công ty CP Viễn thông Đak Đoa"]
CHANNELS = ["Trực tiếp", "Qua bưu chính công ích", "Trực tuyến"]
EVENT_HEADERS = ["STT", "Mã hồ sơ", "Mã TTHC", "Chủ hồ sơ", "Kênh tiếp nhận", "Ngày tiếp nhận", "Ngày có kết quả",
                 "Ngày trả kết quả", "Mã bước", "Tên bước", "Loại sự kiện", "Thời điểm", "Người xử lý"]
LIFECYCLE_TEXT = {"start": "Bắt đầu xử lý", "complete": "Hoàn thành"}


@dataclass
class StepSpec:
    code: str
    name: str
    minutes: int  # allotted working time, 480 a working day
    kind: str


@dataclass
class VersionSpec:
    effective: date
    steps: list[StepSpec]


@dataclass
class ProcedureSpec:
    code: str
    name: str
    versions: list[VersionSpec] = field(default_factory=list)
    ends_at: datetime | None = None  # withdrawn or abolished


@dataclass
class Dossier:
    code: str
    procedure: ProcedureSpec
    applicant: str
    channel: str
    received_at: datetime  # aware, local zone
    steps: list[tuple[StepSpec, datetime | None, datetime, str]]  # (step, start event or None, completed, handler)
    result_ready_at: datetime | None = None
    returned_at: datetime | None = None


def demo_procedures(directory: Path = SEED_DIR) -> list[ProcedureSpec]:
    """The procedures of the demo data with the versions of their process maps (amendments applied)."""
    names, ends, procedures = {}, {}, {}
    for path in sorted(directory.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for spec in data.get("procedures", []):
            names[spec["code"]] = spec["name"]
            if spec.get("abolished"):
                _end(ends, spec["code"], datetime.combine(spec["abolished"]["on"], time(0), tzinfo=ZONE))
        for document in data.get("documents", []):
            withdrawn = document.get("withdrawn")
            for revision in document.get("revisions", []):
                process = revision.get("process")
                if not process:
                    continue
                code = process["procedure"]
                procedure = procedures.setdefault(code, ProcedureSpec(code, ""))
                steps = _steps_of(process, procedure.versions[-1].steps if procedure.versions else [])
                procedure.versions.append(VersionSpec(date.fromisoformat(revision["effective"]), steps))
                if withdrawn:
                    _end(ends, code, datetime.strptime(withdrawn["at"], "%Y-%m-%d %H:%M").replace(tzinfo=ZONE))
    for code, procedure in procedures.items():
        procedure.name = names.get(code, code)
        procedure.ends_at = ends.get(code)
    return [procedures[code] for code in sorted(procedures)]


def _end(ends: dict, code: str, moment: datetime) -> None:
    """The earliest of a procedure's ends: its map withdrawn, the procedure abolished."""
    ends[code] = min(ends.get(code, moment), moment)


def _steps_of(process: dict, previous: list[StepSpec]) -> list[StepSpec]:
    def minutes(spec: dict, default: int) -> int:
        for key, weight in UNITS.items():
            if key in spec:
                return int(round(float(spec[key]) * weight))
        return default

    if process.get("steps"):
        return [StepSpec(s["code"], s["name"], minutes(s, 240), s.get("kind", "other")) for s in process["steps"]]
    amended = {spec["code"]: spec for spec in process.get("amend", [])}
    return [StepSpec(step.code, amended.get(step.code, {}).get("name", step.name),
                     minutes(amended.get(step.code, {}), step.minutes), step.kind) for step in previous]


def working_clock(first: date, last: date, directory: Path = SEED_DIR) -> WorkingClock:
    """Monday to Friday in office hours, Vietnam's public holidays off, the demo's announced swaps applied."""
    official = holidays.country_holidays("VN", years=range(first.year, last.year + 1))
    calendar = tomllib.loads((directory / "15_calendar.toml").read_text(encoding="utf-8"))
    exceptions = {date.fromisoformat(str(row["day"])): row["is_working"]
                  for row in calendar.get("calendar_exceptions", [])}

    def sessions_of(day: date):
        if day in exceptions:
            return SESSIONS if exceptions[day] else ()
        return SESSIONS if day.weekday() < 5 and day not in official else ()

    return WorkingClock(first, last, sessions_of, zone=ZONE, weighting=Weighting.DAY)


def generate(count: int, *, seed: int = 2026, until: datetime | None = None, years: float = 2.0,
             procedures: list[ProcedureSpec] | None = None) -> list[Dossier]:
    """*count* dossiers received over the *years* before *until* (default: now), in order of receipt."""
    rng = np.random.default_rng(seed)
    until = (until or datetime.now(timezone.utc)).astimezone(ZONE).replace(microsecond=0)
    since = until - timedelta(days=365.25 * years)
    procedures = procedures or demo_procedures()
    clock = working_clock(date(since.year - 1, 1, 1), date(until.year + 2, 12, 31))
    windows = []  # (procedure, version, first clock reading, last clock reading)
    for procedure in procedures:
        for index, version in enumerate(procedure.versions):
            start = datetime.combine(version.effective + timedelta(days=1), time(0), tzinfo=ZONE)
            following = procedure.versions[index + 1].effective if index + 1 < len(procedure.versions) else None
            end = datetime.combine(following + timedelta(days=1), time(0), tzinfo=ZONE) if following else until
            end = min(end, until, procedure.ends_at or until)
            start = max(start, since)
            if end > start:
                windows.append((procedure, version, clock.clock(start), clock.clock(end)))
    if not windows:
        raise ValueError("no process version in force in the period")
    weights = np.array([WEIGHTS.get(p.code, 1.0) * (c1 - c0) for p, _v, c0, c1 in windows])
    chosen = rng.choice(len(windows), size=count, p=weights / weights.sum())
    readings = np.array([rng.uniform(windows[w][2], windows[w][3]) for w in chosen.tolist()])
    order = np.argsort(readings)
    chosen, readings = chosen[order], readings[order]
    received = clock.at_many(readings)
    now = until.timestamp()
    dossiers, sequence = [], {}
    for w, reading, moment in zip(chosen.tolist(), readings.tolist(), received.tolist()):
        procedure, version = windows[w][0], windows[w][1]
        local = datetime.fromtimestamp(round(moment), ZONE)
        day = local.strftime("%y%m%d")
        sequence[day] = sequence.get(day, 0) + 1
        dossiers.append(_dossier(rng, clock, procedure, version, f"{AGENCY_CODE}-{day}-{sequence[day]:04d}", local,
                                 reading, now))
    return dossiers


def _dossier(rng, clock, procedure: ProcedureSpec, version: VersionSpec, code: str, received: datetime,
             reading: float, now: float) -> Dossier:
    steps = version.steps
    late = rng.random(len(steps)) < 0.08
    factors = np.where(late, rng.uniform(1.05, 1.8, len(steps)), rng.beta(2.0, 3.5, len(steps)) * 0.95 + 0.03)
    used = np.array([step.minutes for step in steps], dtype=np.float64) * factors
    waits = np.where(rng.random(len(steps)) < 0.5, used * rng.uniform(0.02, 0.25, len(steps)), np.nan)
    ends = reading + np.cumsum(used)
    starts = ends - used + np.nan_to_num(waits, nan=0.0)
    end_times = clock.at_many(ends)
    start_times = clock.at_many(starts)
    if rng.random() < 0.3:
        applicant = COMPANIES[int(rng.integers(len(COMPANIES)))]
    else:
        applicant = f"{SURNAMES[int(rng.integers(len(SURNAMES)))]} {GIVEN[int(rng.integers(len(GIVEN)))]}"
    dossier = Dossier(code, procedure, applicant, CHANNELS[int(rng.choice(3, p=[0.55, 0.15, 0.3]))], received, [])
    for index, step in enumerate(steps):
        if end_times[index] > now:
            break  # still in progress
        began = None if np.isnan(waits[index]) else datetime.fromtimestamp(round(start_times[index]), ZONE)
        handler = HANDLERS[(3 * index + int(rng.integers(3))) % len(HANDLERS)]
        dossier.steps.append((step, began, datetime.fromtimestamp(round(end_times[index]), ZONE), handler))
        if step.kind == "return" or index == len(steps) - 1:
            dossier.returned_at = dossier.steps[-1][2]
        elif index + 1 < len(steps) and steps[index + 1].kind == "return":
            dossier.result_ready_at = dossier.steps[-1][2]
    return dossier


# Writing ------------------------------------------------------------------------------------------------


def _text(moment: datetime | None) -> str:
    return moment.strftime("%d/%m/%Y %H:%M:%S") if moment is not None else ""


def event_rows(dossiers: list[Dossier]):
    """The rows of the events layout (after ``EVENT_HEADERS``), one per start or completion of a step."""
    number = 0
    for dossier in dossiers:
        head = [dossier.code, dossier.procedure.code, dossier.applicant, dossier.channel, _text(dossier.received_at),
                _text(dossier.result_ready_at), _text(dossier.returned_at)]
        for step, began, completed, handler in dossier.steps:
            for lifecycle, moment in (("start", began), ("complete", completed)):
                if moment is None:
                    continue
                number += 1
                yield [number, *head, step.code, step.name, LIFECYCLE_TEXT[lifecycle], _text(moment), handler]


def step_codes(dossiers: list[Dossier]) -> list[str]:
    most = max((len(version.steps) for d in dossiers for version in d.procedure.versions), default=0)
    return [f"B{n}" for n in range(1, most + 1)]


def dossier_headers(codes: list[str]) -> list[str]:
    return ["STT", "Mã hồ sơ", "Mã TTHC", "Tên thủ tục", "Chủ hồ sơ", "Kênh tiếp nhận", "Ngày tiếp nhận",
            "Ngày có kết quả", "Ngày trả kết quả"] + [f"Hoàn thành {code}" for code in codes]


def dossier_rows(dossiers: list[Dossier], codes: list[str], as_text: bool = True):
    """The rows of the dossiers layout: one per dossier, the completion time of each step in its column."""
    show = _text if as_text else (lambda m: m.replace(tzinfo=None) if m is not None else None)
    for number, dossier in enumerate(dossiers, start=1):
        done = {step.code: completed for step, _began, completed, _handler in dossier.steps}
        yield [number, dossier.code, dossier.procedure.code, dossier.procedure.name, dossier.applicant,
               dossier.channel, show(dossier.received_at), show(dossier.result_ready_at),
               show(dossier.returned_at)] + [show(done.get(code)) for code in codes]


def write_events_csv(dossiers: list[Dossier], path: Path) -> int:
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(EVENT_HEADERS)
        count = 0
        for count, row in enumerate(event_rows(dossiers), start=1):
            writer.writerow(row)
    return count


def write_dossiers_csv(dossiers: list[Dossier], path: Path) -> int:
    codes = step_codes(dossiers)
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(dossier_headers(codes))
        writer.writerows(dossier_rows(dossiers, codes))
    return len(dossiers)


def write_dossiers_xlsx(dossiers: list[Dossier], path: Path, sheet: str = "Hồ sơ") -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    codes = step_codes(dossiers)
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    worksheet.append(dossier_headers(codes))
    for row in dossier_rows(dossiers, codes, as_text=False):
        cells = []
        for value in row:
            if isinstance(value, datetime):
                value = WriteOnlyCell(worksheet, value)
                value.number_format = "dd/mm/yyyy hh:mm:ss"
            cells.append(value)
        worksheet.append(cells)
    workbook.save(path)
    return len(dossiers)


def write_events_xlsx(dossiers: list[Dossier], path: Path, sheet: str = "Sự kiện") -> int:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    worksheet.append(EVENT_HEADERS)
    count = 0
    for count, row in enumerate(event_rows(dossiers), start=1):
        worksheet.append(row)
    workbook.save(path)
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    parser.add_argument("--layout", choices=("events", "dossiers"),
                        help="default: events for csv (one row per step event), dossiers for xlsx")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--until", help="the last instant (ISO, local time; default now): nothing happens after it")
    parser.add_argument("--years", type=float, default=2.0)
    args = parser.parse_args(argv)
    until = datetime.fromisoformat(args.until).replace(tzinfo=ZONE) if args.until else None
    dossiers = generate(args.dossiers, seed=args.seed, until=until, years=args.years)
    layout = args.layout or ("events" if args.format == "csv" else "dossiers")
    writer = {("csv", "events"): write_events_csv, ("csv", "dossiers"): write_dossiers_csv,
              ("xlsx", "events"): write_events_xlsx, ("xlsx", "dossiers"): write_dossiers_xlsx}[args.format, layout]
    rows = writer(dossiers, args.out)
    first, last = dossiers[0].received_at, dossiers[-1].received_at
    print(f"{args.out}: {len(dossiers)} dossiers, {rows} rows ({layout}), received {first:%d/%m/%Y} – {last:%d/%m/%Y}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
