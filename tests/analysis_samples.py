"""Dossiers with their measured figures written as rows, for the tests of the timeliness analysis.

Five measured dossiers of the postal licence (DOMAIN.md 9.3: B3 has 14 working days, B5 two), so that
every aggregate can be checked by hand (a working day is 480 units):

    B3 used 10, 12, 14, 16, 20 days (the last two late): mean 14.4, median 14, p90 16 + 0.6 × 4 = 18.4
    B5 used 1 and 3 days (the second late): mean 2, median 2, p90 1 + 0.9 × 2 = 2.8
    dossiers used 12, 15, 20, 22, 25 days: 2 early in May, 1 on time and 2 late in June
"""

from __future__ import annotations

from datetime import datetime

from processes.dossiers.analysis import DAY
from processes.dossiers.models import Channel, Dossier, DossierStatus, StepRun, Timeliness
from processes.models import ProcessStep
from qms.calendar.models import CountingConvention, TimelinessPoint
from qms.extensions import db
from qms.timeutil import agency_zone


def local(*parts):
    return datetime(*parts, tzinfo=agency_zone())


def step(version, code: str) -> ProcessStep:
    return next(s for s in version.steps if s.code == code)


def add_dossier(version, code: str, *, ready: datetime | None, used_days: float | None, timeliness: str | None,
                channel: str = "in_person", status: int = DossierStatus.RESULT_READY, due: datetime | None = None,
                runs=()) -> Dossier:
    """A dossier with its measured figures and its step runs: (step code, finished, used days, result, handler)."""
    received = local(2024, 4, 22, 9, 0)
    dossier = Dossier(code=code, procedure_id=version.procedure_id, version_id=version.id, applicant_name="Công ty A",
                      channel=Channel(channel), received_at=received, convention=CountingConvention.HOURS,
                      timeliness_point=TimelinessPoint.RESULT_READY, limit_minutes=version.total_minutes,
                      due_at=due or local(2024, 5, 20, 9, 0), original_due_at=due or local(2024, 5, 20, 9, 0),
                      result_ready_at=ready, status=int(status), source="test",
                      used_units=None if used_days is None else used_days * DAY,
                      timeliness=Timeliness(timeliness) if timeliness else None)
    db.session.add(dossier)
    db.session.flush()
    for position, (step_code, finished, used, result, handler) in enumerate(runs):
        s = step(version, step_code)
        db.session.add(StepRun(dossier_id=dossier.id, position=position, step_id=s.id, step_code=s.code,
                               activity=s.name, unit_id=s.unit_id, handler=handler, started_at=received,
                               finished_at=finished, allotted_units=float(s.allotted_minutes),
                               used_units=None if used is None else used * DAY,
                               result=Timeliness(result) if result else None, event_key=f"{step_code}:{position}"))
    db.session.flush()
    return dossier


def add_sample_dossiers(version) -> None:
    """D1-D5 measured in May and June 2024, D6 withdrawn (see the module docstring)."""
    hoa, khoa = "Lê Thị Mai Hoa", "Trần Minh Khoa"
    may, june = local(2024, 5, 15, 10, 0), local(2024, 6, 5, 10, 0)
    add_dossier(version, "D1", ready=local(2024, 5, 20, 10, 0), used_days=12, timeliness="early",
                runs=[("B1", may, 0.25, "early", "Thảo"), ("B3", may, 10, "early", hoa)])
    add_dossier(version, "D2", ready=local(2024, 5, 27, 10, 0), used_days=15, timeliness="early",
                runs=[("B1", may, 0.25, "early", "Thảo"), ("B3", may, 12, "early", khoa)])
    add_dossier(version, "D3", ready=local(2024, 6, 10, 10, 0), used_days=20, timeliness="on_time",
                runs=[("B1", june, 0.25, "early", "Thảo"), ("B3", june, 14, "on_time", hoa)])
    add_dossier(version, "D4", ready=local(2024, 6, 14, 10, 0), used_days=22, timeliness="late", channel="online",
                runs=[("B1", june, 0.25, "early", "Thảo"), ("B3", june, 16, "late", khoa),
                      ("B5", june, 1, "early", "Hùng")])
    add_dossier(version, "D5", ready=local(2024, 6, 20, 10, 0), used_days=25, timeliness="late", channel="post",
                runs=[("B1", june, 0.25, "early", "Thảo"), ("B3", june, 20, "late", hoa),
                      ("B5", june, 3, "late", "Hùng")])
    add_dossier(version, "D6", ready=None, used_days=None, timeliness=None, status=DossierStatus.WITHDRAWN,
                runs=[("B1", may, 0.25, "early", "Thảo")])
