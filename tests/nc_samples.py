"""People, units and nonconformities for the nonconformity tests, built through the real services.

``walk_to(status)`` drives a fresh nonconformity along the workflow up to *status*.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from nonconformities import services, services_actions, services_analysis
from nonconformities.models import NcStatus, Nonconformity
from qms.audit import log as audit
from qms.documents.defaults import ensure_document_types
from qms.extensions import db
from qms.org.models import Unit, UnitKind
from qms.users.models import User

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)  # Monday 09:00 in Hà Nội


def setup_people(make_user) -> dict[str, User]:
    """Secretary, the head of the BCVT office and of another office, two action owners, an internal auditor,
    the director and an external auditor."""
    ids = {
        "secretary": make_user("iso_secretary", username="huong.nt", full_name="Nguyễn Thị Hương"),
        "head": make_user("unit_head", username="quang.nv", full_name="Nguyễn Văn Quang"),
        "other_head": make_user("unit_head", username="tuan.da", full_name="Đỗ Anh Tuấn"),
        "owner": make_user("specialist", username="hoa.ltm", full_name="Lê Thị Mai Hoa"),
        "auditor": make_user("specialist", "internal_auditor", username="ngoc.vtb", full_name="Võ Thị Bích Ngọc"),
        "director": make_user("director", username="hung.lv", full_name="Lê Văn Hùng"),
        "external": make_user("external_auditor", username="thanh.hv", full_name="Hoàng Văn Thành",
                              expires_on=date.today() + timedelta(days=30)),
    }
    ensure_document_types()
    units = {code: Unit(code=code, name=name, short_name=code, kind=UnitKind.SPECIALIST)
             for code, name in (("BCVT", "Phòng Bưu chính – Viễn thông"), ("VP", "Văn phòng Sở"))}
    db.session.add_all(units.values())
    db.session.flush()
    people = {name: db.session.get(User, ident) for name, ident in ids.items()}
    for name in ("head", "owner"):
        people[name].unit_id = units["BCVT"].id
    people["other_head"].unit_id = units["VP"].id
    db.session.commit()
    return people


def bcvt() -> Unit:
    return db.session.scalar(select(Unit).where(Unit.code == "BCVT"))


def raise_one(people, *, who="owner", title="Phiếu kiểm soát thiếu chữ ký ở bước B4", **values) -> Nonconformity:
    with audit.acting_as(audit.Actor.of_user(people[who])):
        nc = services.raise_nonconformity(
            source=values.pop("source", "staff"), title=title, description="Hồ sơ 000.00.17.H99-160912-0004",
            severity=values.pop("severity", "minor"), unit=bcvt(), clause="4.2.4", actor=people[who], now=T0,
            **values)
        db.session.commit()
    return nc


def walk_to(people, status: NcStatus, nc: Nonconformity | None = None) -> Nonconformity:
    """A nonconformity moved through the real services up to *status* (one action, owned by ``owner``)."""
    nc = nc or raise_one(people)
    sec, head, owner, auditor = people["secretary"], people["head"], people["owner"], people["auditor"]
    steps = [
        (NcStatus.ANALYSIS, lambda: services.start_analysis(nc, actor=sec, now=T0)),
        (NcStatus.ACTION_PLAN, lambda: (
            services_analysis.record_correction(nc, actor=head, text="Bổ sung chữ ký ngay", now=T0),
            services_analysis.set_root_cause(nc, actor=head, text="Phiếu giấy không được ký khi lãnh đạo vắng"),
            services.finish_analysis(nc, actor=head, now=T0),
            services_actions.add_action(nc, actor=head, kind="corrective", description="Bắt buộc ký điện tử",
                                        owner=owner, working_days=10, done_criteria="Bước không đóng khi thiếu ký",
                                        now=T0))),
        (NcStatus.APPROVED, lambda: services.approve_plan(nc, actor=head, now=T0)),
        (NcStatus.IN_PROGRESS, lambda: services_actions.record_progress(nc.actions[0], actor=owner,
                                                                         text="Đã sửa biểu mẫu", now=T0)),
        (NcStatus.EFFECTIVENESS_CHECK, lambda: (
            services_actions.complete_action(nc.actions[0], actor=owner, now=T0),
            services.request_check(nc, actor=owner, now=T0))),
        (NcStatus.CLOSED, lambda: (
            services.record_check(nc, actor=auditor, is_effective=True, comment="30 hồ sơ đều đủ chữ ký", now=T0),
            services.close_nonconformity(nc, actor=auditor, now=T0))),
    ]
    for reached, step in steps:
        if nc.status == status:
            break
        with audit.acting_as(audit.Actor.system("test")):
            step()
            db.session.commit()
        assert nc.status == reached
    return nc
