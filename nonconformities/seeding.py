"""Demo nonconformities (ISO 9001:2008 clause 8.5.2) in Vietnamese, driven through the real services: one
closed with a verified-effective check, one in progress with an overdue action (step B3 of 1.004470), one new
from a complaint; then the demo's late dossiers raise theirs by the agency's rules, one per procedure and step.

Idempotent: a demo nonconformity is known by its title, a late dossier is attached once; a second load creates
nothing.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from nonconformities import services, services_actions, services_analysis
from nonconformities.models import Nonconformity
from qms.audit import log as audit
from qms.extensions import db
from qms.org.models import Unit
from qms.timeutil import utcnow
from qms.users.models import User

TITLES = (
    "Phiếu kiểm soát hồ sơ thiếu chữ ký người nhận ở bước B4",
    "Bước thẩm định hồ sơ cấp giấy phép bưu chính vượt thời gian quy định",
    "Người dân phản ánh không được hướng dẫn bổ sung hồ sơ một lần",
)


def _user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def _unit(code: str) -> Unit | None:
    return db.session.scalar(select(Unit).where(Unit.code == code))


def load_nonconformities_demo(directory, data: dict, password: str) -> tuple[int, int]:
    """Create the three demo nonconformities that do not exist yet; return (created, unchanged)."""
    known = set(db.session.scalars(select(Nonconformity.title).where(Nonconformity.title.in_(TITLES))))
    people = {name: _user(name) for name in ("huong.nt", "quang.nv", "hoa.ltm", "ngoc.vtb", "thao.nt", "lan.tt")}
    bcvt, bpmc = _unit("BCVT"), _unit("BPMC")
    if None in people.values() or bcvt is None or bpmc is None:
        return 0, len(known)
    created = 0
    now = utcnow()
    with audit.acting_as(audit.Actor.system("seed:nonconformities")):
        if TITLES[0] not in known:
            _closed(people, bcvt, now - timedelta(days=75))
            created += 1
        if TITLES[1] not in known:
            _in_progress(people, bcvt, now - timedelta(days=20))
            created += 1
        if TITLES[2] not in known:
            services.raise_nonconformity(
                source="complaint", title=TITLES[2], severity="minor", unit=bpmc, clause="7.2.3",
                source_ref="Phản ánh số 12/PA-2026",
                description="Bà Nguyễn Thị B phản ánh phải đi lại ba lần để bổ sung hồ sơ vì mỗi lần chỉ được "
                            "hướng dẫn một phần (trái với yêu cầu hướng dẫn một lần, đầy đủ).",
                actor=people["thao.nt"], now=now - timedelta(days=2))
            created += 1
    db.session.flush()
    return created, len(known)


def _closed(p, unit, start) -> None:
    nc = services.raise_nonconformity(
        source="audit_finding", title=TITLES[0], severity="minor", unit=unit, clause="4.2.4",
        source_ref="ĐGNB-2026/BCVT-03",
        description="Phiếu kiểm soát quá trình giải quyết hồ sơ 000.00.17.H99-260112-0004 không có chữ ký người "
                    "nhận ở bước B4 (Xem xét, trình ký).", actor=p["ngoc.vtb"], now=start)
    services.start_analysis(nc, actor=p["huong.nt"], now=start + timedelta(days=1))
    services_analysis.record_correction(nc, actor=p["quang.nv"], text="Bổ sung chữ ký vào phiếu ngay trong ngày.",
                                        now=start + timedelta(days=1))
    services_analysis.save_whys(nc, [("Tại sao phiếu thiếu chữ ký?", "Lãnh đạo phòng đi công tác."),
                                     ("Tại sao không có người ký thay?", "Chưa có quy định ký thay trên phiếu giấy.")],
                                actor=p["quang.nv"])
    services_analysis.add_cause(nc, actor=p["quang.nv"], category="method", is_root=True,
                                text="Không có quy định ký thay khi lãnh đạo vắng")
    services_analysis.add_cause(nc, actor=p["quang.nv"], category="documents_inputs", text="Phiếu giấy điền tay")
    services_analysis.set_root_cause(nc, actor=p["quang.nv"], text="Phiếu giấy không được ký khi lãnh đạo vắng.")
    services.finish_analysis(nc, actor=p["quang.nv"], now=start + timedelta(days=2))
    action = services_actions.add_action(
        nc, actor=p["quang.nv"], kind="corrective", description="Bắt buộc ký điện tử trước khi đóng bước",
        owner=p["hoa.ltm"], working_days=10, done_criteria="Bước không đóng được khi thiếu chữ ký",
        now=start + timedelta(days=2))
    services.approve_plan(nc, actor=p["quang.nv"], now=start + timedelta(days=3))
    services_actions.record_progress(action, actor=p["hoa.ltm"], text="Đã cấu hình chữ ký điện tử bắt buộc.",
                                     now=start + timedelta(days=10))
    services_actions.complete_action(action, actor=p["hoa.ltm"], now=start + timedelta(days=12))
    services.request_check(nc, actor=p["hoa.ltm"], now=start + timedelta(days=12))
    services.record_check(nc, actor=p["lan.tt"], is_effective=True, now=start + timedelta(days=40),
                          comment="Kiểm tra 30 phiếu kiểm soát tháng sau: đều đủ chữ ký.")
    services.close_nonconformity(nc, actor=p["lan.tt"], now=start + timedelta(days=40))


def _step_b3():
    """(1.004470, its step B3 in the version in force), or (None, None) without the procedures' demo."""
    from processes.models import AdministrativeProcedure
    from processes.queries import current_version

    procedure = db.session.scalar(select(AdministrativeProcedure).where(AdministrativeProcedure.code == "1.004470"))
    version = current_version(procedure) if procedure is not None else None
    step = next((s for s in version.steps if s.code == "B3"), None) if version is not None else None
    return (procedure, step) if step is not None else (None, None)


def _in_progress(p, unit, start) -> None:
    procedure, step = _step_b3()
    nc = services.raise_nonconformity(
        source="late_dossier", title=TITLES[1], severity="major", unit=unit, clause="7.5.1",
        procedure=procedure, step=step,
        description="Trong tháng, 14 hồ sơ cấp giấy phép bưu chính trễ hạn ở bước B3 (Thẩm định hồ sơ).",
        actor=p["huong.nt"], now=start)
    services.start_analysis(nc, actor=p["huong.nt"], now=start)
    services_analysis.save_whys(nc, [("Tại sao bước thẩm định trễ?", "Một chuyên viên thụ lý toàn bộ hồ sơ."),
                                     ("Tại sao chỉ một người?", "Chưa phân công người dự phòng.")],
                                actor=p["quang.nv"])
    services_analysis.add_cause(nc, actor=p["quang.nv"], category="people", is_root=True,
                                text="Thiếu người dự phòng khi chuyên viên nghỉ phép")
    services_analysis.set_root_cause(nc, actor=p["quang.nv"], text="Không có phân công dự phòng cho bước thẩm định.")
    services.finish_analysis(nc, actor=p["quang.nv"], now=start + timedelta(days=1))
    services_actions.add_action(nc, actor=p["quang.nv"], kind="corrective", owner=p["hoa.ltm"], working_days=5,
                                description="Phân công chuyên viên dự phòng cho bước B3",
                                done_criteria="Quyết định phân công được ký", now=start + timedelta(days=1))
    services_actions.add_action(nc, actor=p["quang.nv"], kind="preventive", owner=p["quang.nv"], working_days=60,
                                description="Rà soát phân công dự phòng các bước khác",
                                done_criteria="Mọi bước có người dự phòng", now=start + timedelta(days=1))
    services.approve_plan(nc, actor=p["huong.nt"], now=start + timedelta(days=2))
    services.start_actions(nc, actor=p["quang.nv"], now=start + timedelta(days=3))


def raise_demo_late_dossiers(directory, data: dict, password: str) -> tuple[int, int]:
    """The demo's late dossiers through the rules, as an import would: (nonconformities opened, dossiers
    attached before)."""
    from nonconformities.late_dossiers import raise_from_late_dossiers
    from nonconformities.late_dossiers_rules import NUMBERS, current_rules, update_rules
    from nonconformities.models import NonconformityRules

    secretary = _user("huong.nt")
    if db.session.get(NonconformityRules, 1) is None and secretary is not None:
        # the demo agency's rules: a step alone raises a nonconformity when it is a working day over its allotment
        rules = current_rules()
        with audit.acting_as(audit.Actor.of_user(secretary)):
            update_rules({**{key: getattr(rules, key) for key in NUMBERS}, "late_step_margin_hours": 8,
                          "raise_on_late_dossier": True, "raise_on_late_step": True,
                          "default_severity": rules.default_severity}, actor=secretary)
    with audit.acting_as(audit.Actor.system("seed:nonconformities")):
        summary = raise_from_late_dossiers(now=utcnow())
    db.session.flush()
    return len(summary.opened), 0 if summary.attached else 1


def init_app(app) -> None:
    from qms.seeding import add_demo_step

    add_demo_step(app, 70, load_nonconformities_demo)  # after the users, units and dossiers
    add_demo_step(app, 75, raise_demo_late_dossiers)  # the late dossiers join the demo's B3 one or open theirs
