"""Demo dossiers (hồ sơ TTHC) of the demo procedures, for the pages that read them (ISO 9001:2008 8.2.3, 8.4).

About 1,500 dossiers received at the one-stop shop on working days, in office hours, while their
procedure had a process map in force, up to Friday 20/11/2026: codes in the TT 01 format (agency
code, receipt date, daily sequence), Vietnamese applicants, the three channels. Each step finishes
after a plausible share of its allotment, most of them early; a few steps are chronically slow so
that the bottlenecks show: the appraisal (B3) of the postal licence, which needs nine to ten
working days and was given nine when the limit was shortened, and the director's signature (B5) of
the bulletin licence. Some dossiers wait for a supplement (Mẫu 02; the limit restarts when the
complete dossier arrives), a few are refused or withdrawn, and the last weeks' are still in
progress, some due within days, a few already late.

Deterministic (``random.Random(2026)``) and written through the bulk path, ``ingest``, in one call
with the source "demo"; a second load finds every dossier recorded and creates nothing. The
supplement requests, which the bulk path does not carry, are added afterwards to the dossiers this
load created (the due date restarts from the complete dossier and every step is measured again).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from processes.dossiers.ingest import DossierInput, StepEvent, ingest
from processes.dossiers.models import Channel, Dossier, DossierStatus, Outcome, SupplementPolicy, SupplementRequest
from processes.dossiers.rollups import refresh_rollups
from processes.dossiers.timing import appointment, clock_for, measure_dossier, measure_step
from processes.models import AdministrativeProcedure, OnlineService, ProcessVersion, StepKind
from processes.queries import ONCE_IN_FORCE
from qms.audit import log as audit
from qms.calendar import services as calendar
from qms.documents.models import Revision
from qms.extensions import db
from qms.org.services import current_agency
from qms.timeutil import agency_zone, utcnow

SOURCE = "demo"
SEED = 2026
TARGET = 1500
FIRST_DAY, LAST_DAY = date(2025, 1, 2), date(2026, 11, 20)
LAST_EVENT = (16, 30)  # the demo's "now": Friday 20/11/2026, 16:30
DEFAULT_AGENCY_CODE = "000.00.17.H99"
DAY = 480

#: How many dossiers a procedure receives, relative to the others.
WEIGHTS = {"1.004470": 3.0, "1.004461": 2.0, "1.004453": 2.5, "1.003819": 1.0, "1.005424": 1.5,
           "1.005447": 2.5, "1.003725": 1.2, "1.003711": 1.5, "1.009836": 1.0}
#: The share of its allotment a step typically uses (the median of a log-normal), by kind.
TYPICAL_SHARE = {StepKind.RECEIVE: 0.35, StepKind.ASSIGN: 0.45, StepKind.APPRAISE: 0.62, StepKind.REVIEW: 0.5,
                 StepKind.SIGN: 0.55, StepKind.ISSUE: 0.4, StepKind.RETURN: 0.55, StepKind.CONSULT: 0.6,
                 StepKind.OTHER: 0.5}
SPREAD = 0.45
#: Chronically slow steps: (procedure, step code) → the working days the work really takes (median, spread),
#: whatever the allotment; or a share of the allotment above one.
SLOW_DAYS = {("1.004470", "B3"): (9.6, 0.2)}
SLOW_SHARE = {("1.003819", "B5"): (1.3, 0.3)}
#: Of the dossiers received in the last weeks, this share is stuck in appraisal (a site visit, an opinion awaited).
STUCK = 0.15
#: The weeks around Tết are slower; handling improves after the online amendment of September 2026.
SEASON = {(2026, 2): 1.25, (2026, 9): 0.9, (2026, 10): 0.85, (2026, 11): 0.85}

STAFF = {  # unit code → {step kind → the people who do it}
    "BPMC": {None: ["Nguyễn Thu Thảo", "Rơ Châm Dũng"]},
    "BCVT": {StepKind.ASSIGN: ["Nguyễn Văn Quang"], StepKind.REVIEW: ["Nguyễn Văn Quang"],
             None: ["Lê Thị Mai Hoa", "Trần Minh Khoa", "Ksor H'Nhi"]},
    "TTBCXB": {StepKind.ASSIGN: ["Đỗ Anh Tuấn"], StepKind.REVIEW: ["Đỗ Anh Tuấn"],
               None: ["Võ Thị Bích Ngọc", "Đinh Thị Thu Hà"]},
    "CNTT": {None: ["Phan Hoàng Sơn", "Rcom Y Blốc"]},
    "LDS": {None: ["Lê Văn Hùng", "Phạm Đức Minh"]},
    "VP": {None: ["Kpă Thị Yến"]},
}
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Võ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương", "Rơ Mah",
          "Ksor", "Siu", "Rah Lan", "Kpă", "Nay"]
MIDDLE = ["Văn", "Thị", "Hữu", "Minh", "Thanh", "Quốc", "Ngọc", "Đức", "Thu", "Hoài"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng", "Khánh", "Lan", "Linh", "Long",
         "Mai", "Nam", "Nga", "Phúc", "Quân", "Sang", "Tâm", "Thảo", "Trang", "Tuấn", "Vy", "Yến", "H'Hen", "Blơi"]
TRADE = ["Tây Nguyên", "Phố Núi", "Pleiku", "Hoàng Anh", "Đức Long", "Biển Hồ", "Chư Păh", "Kon Tum", "Ayun Pa",
         "Đại Ngàn", "Minh Phát", "Thành Công", "An Khê", "Hưng Thịnh", "Sao Mai", "Việt Tín"]
COMMUNES = ["Ia Blang", "Ia Pếch", "Ia Hrú", "Kon Dơng", "Ia Ko", "Đak Jơ Ta", "Chư Don", "Ia Sol", "Ayun", "Hà Bầu",
            "Ia Mơ Nông", "Đăk Pơ", "Ia Kriêng", "Bờ Ngoong"]
SUPPLEMENT_REASONS = ["Thiếu bản sao giấy chứng nhận đăng ký doanh nghiệp có chứng thực",
                      "Đơn đề nghị chưa đúng mẫu quy định; thiếu chữ ký của người đại diện theo pháp luật",
                      "Thiếu phương án kinh doanh hoặc tài liệu kỹ thuật kèm theo",
                      "Hồ sơ trực tuyến thiếu tệp đính kèm; tệp quét không đọc được"]


@dataclass
class _Plan:
    """One generated dossier before it becomes a DossierInput, with what the bulk path cannot carry."""

    item: DossierInput
    supplement: tuple[datetime, datetime | None, str] | None = None  # requested, completed, reason


def load_dossiers_demo(directory, data: dict, password: str) -> tuple[int, int]:
    """Write the demo dossiers through ``ingest``; return (created, unchanged)."""
    now = utcnow()
    end = min(datetime(*LAST_DAY.timetuple()[:3], *LAST_EVENT, tzinfo=agency_zone()), now)
    versions = _versions_in_force()
    if not versions:
        return 0, 0
    clock = clock_for(calendar.current_rules().convention)
    agency = current_agency()
    plans = _generate(random.Random(SEED), versions, clock, end,
                      (agency.code if agency is not None and agency.code else DEFAULT_AGENCY_CODE))
    # The data is the same at every load: the dossiers already recorded are left alone (the bulk path would leave
    # them unchanged too, after checking each of them again).
    known = set(db.session.scalars(select(Dossier.code).where(Dossier.source == SOURCE)))
    new = [plan for plan in plans if plan.item.code not in known]
    if new:
        with audit.acting_as(audit.Actor.system("seed:dossiers")):
            report = ingest([plan.item for plan in new], source=SOURCE, actor_name="seed", now=now,
                            label="Dữ liệu minh hoạ")
            _add_supplements([plan for plan in new if plan.supplement], clock)
        db.session.flush()
    refresh_rollups()
    return (report.dossiers_created if new else 0), len(plans) - len(new)


def _versions_in_force() -> dict[str, list[tuple[datetime, datetime | None, ProcessVersion]]]:
    """Procedure code → the periods its versions were in force, in order."""
    rows = db.session.execute(
        select(AdministrativeProcedure.code, Revision.effective_at, Revision.ended_at, ProcessVersion)
        .join(ProcessVersion, ProcessVersion.procedure_id == AdministrativeProcedure.id)
        .join(Revision, Revision.id == ProcessVersion.revision_id)
        .where(Revision.state.in_(ONCE_IN_FORCE), Revision.effective_at.is_not(None))
        .order_by(AdministrativeProcedure.code, Revision.effective_at)).all()
    periods: dict[str, list] = {}
    for code, start, ended, version in rows:
        if version.steps:
            periods.setdefault(code, []).append((start, ended, version))
    return periods


def _in_force(periods, at: datetime) -> ProcessVersion | None:
    for start, ended, version in reversed(periods):
        if start <= at and (ended is None or ended > at):
            return version
    return None


def _generate(rnd: random.Random, versions, clock, end: datetime, agency_code: str) -> list[_Plan]:
    """Receipts day by day (a Poisson count per procedure in force), then each dossier's timeline."""
    zone = agency_zone()
    days = [FIRST_DAY + timedelta(days=n) for n in range((LAST_DAY - FIRST_DAY).days + 1)]
    days = [day for day in days if clock.is_working_day(day)]
    noon = {day: datetime(day.year, day.month, day.day, 12, tzinfo=zone) for day in days}
    codes = sorted(versions)
    slots = sum(WEIGHTS.get(code, 1.0) for day in days for code in codes if _in_force(versions[code], noon[day]))
    rate = TARGET / slots if slots else 0.0
    plans = []
    for day in days:
        start = clock.clock(datetime(day.year, day.month, day.day, tzinfo=zone))
        receipts = []
        for code in codes:
            if _in_force(versions[code], noon[day]) is None:
                continue
            for _ in range(_poisson(rnd, rate * WEIGHTS.get(code, 1.0))):
                received = _minute(clock.at(start + rnd.uniform(3, DAY - 20)))
                if received <= end:
                    receipts.append((received, code))
        for sequence, (received, code) in enumerate(sorted(receipts), start=1):
            version = _in_force(versions[code], received)
            if version is None:
                continue
            dossier_code = f"{agency_code}-{received.astimezone(zone):%y%m%d}-{sequence:04d}"
            plans.append(_dossier(rnd, dossier_code, version, received, clock, end))
    return plans


def _poisson(rnd: random.Random, mean: float) -> int:
    limit, count, product = math.exp(-mean), 0, rnd.random()
    while product > limit:
        count += 1
        product *= rnd.random()
    return count


def _minute(moment: datetime) -> datetime:
    """To the whole minute, downwards: one-stop systems record minutes, and a session's end stays inside it."""
    return moment.astimezone(timezone.utc).replace(second=0, microsecond=0)


def _dossier(rnd: random.Random, code: str, version: ProcessVersion, received: datetime, clock,
             end: datetime) -> _Plan:
    """One dossier's timeline on the working clock, cut at *end*: what has happened by then is recorded."""
    procedure = version.procedure
    item = DossierInput(code=code, where=code, procedure_code=procedure.code, received_at=received,
                        applicant_name=_applicant(rnd, procedure.code), channel=_channel(rnd, procedure))
    plan = _Plan(item)
    fate = rnd.random()
    start = received
    if fate < 0.07:  # Mẫu 02 at the receipt: the limit restarts when the complete dossier arrives
        requested = _minute(clock.add(received, rnd.uniform(20, 200)))
        completed = _minute(clock.add(requested, rnd.uniform(1, 7) * DAY))
        reason = rnd.choice(SUPPLEMENT_REASONS)
        if completed > end:
            plan.supplement = (min(requested, end), None, reason)
            return plan
        plan.supplement = (requested, completed, reason)
        item.events.append(StepEvent(activity=version.steps[0].code, at=completed, lifecycle="start"))
        start = completed
    refused, withdrawn = 0.07 <= fate < 0.095, 0.095 <= fate < 0.105
    stuck = received > end - timedelta(days=35) and rnd.random() < STUCK
    season = SEASON.get((received.year, received.month), 1.0)
    units = clock.clock(start)
    ready = None
    for index, step in enumerate(version.steps):
        if withdrawn and index >= 2:
            item.outcome = Outcome.WITHDRAWN.value
            break
        if step.kind == StepKind.RETURN:
            ready = ready or _minute(clock.at(units))
        units += _used(rnd, procedure.code, step) * season * (2.5 if stuck and step.kind == StepKind.APPRAISE else 1)
        at = _minute(clock.at(units))
        if at > end:
            break
        item.events.append(StepEvent(activity=step.code, at=at, handler=_handler(rnd, step)))
        if refused and step.kind == StepKind.APPRAISE:  # the appraisal finds the conditions unmet
            item.outcome, ready = Outcome.REFUSED.value, at
            returned = _minute(clock.add(at, rnd.uniform(30, 2 * DAY)))
            item.result_ready_at, item.returned_at = at, returned if returned <= end else None
            return plan
    else:
        item.result_ready_at, item.returned_at = ready, item.events[-1].at if item.events else None
        return plan
    if ready is not None and ready <= end and not withdrawn:
        item.result_ready_at = ready
    return plan


def _used(rnd: random.Random, procedure_code: str, step) -> float:
    """The working time (480 a day) the step takes this time."""
    slow = SLOW_DAYS.get((procedure_code, step.code))
    if slow is not None:
        return DAY * slow[0] * math.exp(rnd.gauss(0, slow[1]))
    median, spread = SLOW_SHARE.get((procedure_code, step.code), (TYPICAL_SHARE.get(step.kind, 0.5), SPREAD))
    share = min(median * math.exp(rnd.gauss(0, spread)), 3.0)
    return max(step.allotted_minutes * share, 5.0)


def _handler(rnd: random.Random, step) -> str:
    unit_code = step.unit.code if step.unit is not None else "VP"
    people = STAFF.get(unit_code, STAFF["VP"])
    return rnd.choice(people.get(step.kind, people[None]))


def _channel(rnd: random.Random, procedure: AdministrativeProcedure) -> str:
    online = {OnlineService.FULL: 0.6, OnlineService.PARTIAL: 0.35}.get(procedure.online_service, 0.0)
    post = 0.12 if procedure.accepts_post else 0.0
    draw = rnd.random()
    if draw < online:
        return Channel.ONLINE.value
    return Channel.POST.value if draw < online + post else Channel.IN_PERSON.value


def _person(rnd: random.Random) -> str:
    family = rnd.choice(FAMILY)
    middle = "" if family in ("Rơ Mah", "Ksor", "Siu", "Rah Lan", "Kpă", "Nay") else rnd.choice(MIDDLE) + " "
    return f"{family} {middle}{rnd.choice(GIVEN)}"


def _applicant(rnd: random.Random, procedure_code: str) -> str:
    """An applicant who would file this procedure: a company, an organisation, a household business, a commune."""
    trade = rnd.choice(TRADE)
    if procedure_code == "1.009836":
        return f"Ủy ban nhân dân xã {rnd.choice(COMMUNES)}"
    if procedure_code == "1.005447":
        return rnd.choice([f"Hộ kinh doanh {_person(rnd)}", f"Hộ kinh doanh Game {trade}"])
    if procedure_code == "1.003819":
        return rnd.choice([f"Hội Nông dân huyện {rnd.choice(['Chư Sê', 'Đak Đoa', 'Ia Grai', 'Mang Yang'])}",
                           "Trường Đại học Nông Lâm TP. HCM – Phân hiệu Gia Lai", f"Hiệp hội Du lịch {trade}",
                           f"Bệnh viện Đa khoa {trade}", "Liên minh Hợp tác xã tỉnh Gia Lai"])
    if procedure_code in ("1.003725", "1.003711"):
        return rnd.choice([f"Công ty TNHH In {trade}", f"Công ty Cổ phần In và Bao bì {trade}",
                           f"Cơ sở in {_person(rnd)}"])
    if procedure_code == "1.005424":
        return rnd.choice([f"Công ty Cổ phần Truyền thông {trade}", f"Công ty TNHH Công nghệ số {trade}",
                           f"Trung tâm Văn hóa – Thể thao huyện {rnd.choice(['Chư Păh', 'Kbang', 'Krông Pa'])}"])
    return rnd.choice([f"Công ty TNHH Chuyển phát nhanh {trade}", f"Công ty Cổ phần Logistics {trade}",
                       f"Công ty TNHH Thương mại và Dịch vụ {trade}", f"Chi nhánh Công ty TNHH Giao vận {trade}"])


def _add_supplements(plans: list[_Plan], clock) -> None:
    """Mẫu 02 on the dossiers just created: the request, the complete dossier, the due date restarted from it."""
    by_code = {d.code: d for d in db.session.scalars(
        select(Dossier).where(Dossier.code.in_([plan.item.code for plan in plans])))}
    for plan in plans:
        dossier = by_code.get(plan.item.code)
        if dossier is None or dossier.supplements:
            continue
        requested, completed, reason = plan.supplement
        request = SupplementRequest(requested_at=requested, reason=reason, completed_at=completed,
                                    policy=SupplementPolicy.RESTART,
                                    paused_units=clock.between(requested, completed) if completed else None)
        dossier.supplements.append(request)
        if completed is None:
            dossier.status = int(DossierStatus.SUPPLEMENT_REQUESTED)
            continue
        dossier.due_at = appointment(dossier, clock, completed)
        for run in dossier.steps:
            measure_step(dossier, run, clock)
        measure_dossier(dossier, clock)
