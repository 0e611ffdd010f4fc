"""A TTHC with its process map for the tests: DOMAIN.md 9.3, the postal licence, 7 steps in 20 working days.

``setup_people`` creates the users and units; ``new_procedure``, ``draft_first_version`` and
``approve`` go through the real services and the signed document workflow.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from processes import services
from qms.audit import log as audit
from qms.documents import services as documents
from qms.documents.defaults import ensure_document_types
from qms.extensions import db
from qms.org.models import Unit, UnitKind
from qms.users.models import User

PASSWORD = "Test-password-2026"  # tests.conftest.DEMO_PASSWORD
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)  # Monday 09:00 in Hà Nội

UNITS = (("BPMC", "Bộ phận Tiếp nhận và Trả kết quả", UnitKind.ONE_STOP),
         ("BCVT", "Phòng Bưu chính – Viễn thông", UnitKind.SPECIALIST),
         ("LDS", "Lãnh đạo Sở", UnitKind.LEADERSHIP))


def setup_people(make_user) -> dict[str, User]:
    """The ISO secretary, a unit head, the director, a specialist and a one-stop officer; three units."""
    ids = {
        "secretary": make_user("iso_secretary", username="huong.nt", full_name="Nguyễn Thị Hương"),
        "head": make_user("unit_head", username="quang.nv", full_name="Nguyễn Văn Quang"),
        "director": make_user("director", username="hung.lv", full_name="Lê Văn Hùng"),
        "specialist": make_user("specialist", username="hoa.ltm", full_name="Lê Thị Mai Hoa"),
        "officer": make_user("one_stop_officer", username="thao.nt", full_name="Nguyễn Thị Thảo"),
    }
    ensure_document_types()
    for code, name, kind in UNITS:
        db.session.add(Unit(code=code, name=name, short_name=code, kind=kind))
    db.session.commit()
    return {name: db.session.get(User, ident) for name, ident in ids.items()}


def unit(code: str) -> int:
    return db.session.scalar(select(Unit.id).where(Unit.code == code))


def steps_20_days() -> list[dict]:
    """DOMAIN.md 9.3: seven steps adding up to 20 working days (B6 in hours: 4 h = 0,5 day)."""
    return [
        {"code": "B1", "name": "Tiếp nhận, kiểm tra hồ sơ", "unit_id": unit("BPMC"), "kind": "receive",
         "amount": "0,5", "unit": "working_days", "output": "Mẫu 01, Mẫu 05"},
        {"code": "B2", "name": "Phân công thụ lý", "unit_id": unit("BCVT"), "performer": "Trưởng phòng",
         "kind": "assign", "amount": "0,5", "unit": "working_days"},
        {"code": "B3", "name": "Thẩm định hồ sơ", "unit_id": unit("BCVT"), "kind": "appraise", "amount": "14",
         "unit": "working_days", "output": "Phiếu trình, dự thảo GP"},
        {"code": "B4", "name": "Xem xét, trình ký", "unit_id": unit("BCVT"), "kind": "review", "amount": "2",
         "unit": "working_days"},
        {"code": "B5", "name": "Ký duyệt", "unit_id": unit("LDS"), "kind": "sign", "amount": "2",
         "unit": "working_days", "output": "Giấy phép bưu chính"},
        {"code": "B6", "name": "Vào số, phát hành", "performer": "Văn thư Sở", "kind": "issue", "amount": "4",
         "unit": "working_hours"},
        {"code": "B7", "name": "Trả kết quả", "unit_id": unit("BPMC"), "kind": "return", "amount": "0.5",
         "unit": "working_days"},
    ]


BRANCHES = [
    {"kind": "supplement", "from_step": "B1", "to_step": "B1", "party": "Tổ chức, cá nhân",
     "condition": "Hồ sơ chưa đầy đủ", "output": "Mẫu 02"},
    {"kind": "refusal", "from_step": "B3", "party": "Tổ chức, cá nhân", "condition": "Không đủ điều kiện",
     "output": "Văn bản từ chối"},
    {"kind": "consultation", "from_step": "B3", "to_step": "B3", "party": "Công an tỉnh"},
]


def new_procedure(people, **values):
    data = {"code": "1.004470", "name": "Cấp giấy phép bưu chính (phạm vi nội tỉnh)", "field": "Bưu chính",
            "legal_limit": "20", "legal_limit_unit": "working_days", "owner_unit_id": unit("BCVT")}
    data.update(values)
    with audit.acting_as(audit.Actor.of_user(people["secretary"])):
        procedure = services.create_procedure(data, actor=people["secretary"])
        db.session.commit()
    return procedure


def draft_first_version(people, steps=None, branches=BRANCHES, **values):
    procedure = new_procedure(people, **values)
    with audit.acting_as(audit.Actor.of_user(people["specialist"])):
        version = services.start_version(procedure, actor=people["specialist"], now=T0 - timedelta(days=3))
        services.replace_steps(version, steps or steps_20_days(), branches, actor=people["specialist"])
        db.session.commit()
    return procedure, version


def approve(people, version, *, at=T0):
    """Write section 5, then drafter, reviewer and director sign; the revision takes effect at once."""
    revision = version.revision
    with audit.acting_as(audit.Actor.of_user(people["specialist"])):
        documents.update_draft(revision, {}, [{"key": "content", "title": "Nội dung quy trình",
                                               "body_html": "<p>Thời hạn giải quyết theo bảng dưới.</p>"}],
                               actor=people["specialist"])
        documents.submit_revision(revision, actor=people["specialist"], password=PASSWORD, now=at)
    with audit.acting_as(audit.Actor.of_user(people["head"])):
        documents.review_revision(revision, actor=people["head"], password=PASSWORD, now=at + timedelta(hours=1))
    with audit.acting_as(audit.Actor.of_user(people["director"])):
        documents.approve_revision(revision, actor=people["director"], password=PASSWORD,
                                   now=at + timedelta(hours=2))
    db.session.commit()
