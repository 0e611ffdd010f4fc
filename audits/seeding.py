"""Demo internal audits (ISO 9001:2008 clause 8.2.2): four registered auditors, the 2026 programme approved by the
director, one audit reported in June (postal licences, one-stop shop) and one planned for December 2026
(publishing and IT). Everything goes through the services, so independence and the lead rule hold here too.
Idempotent: nothing is done when the 2026 programme exists.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import select

from audits import plan_services, services
from audits.models import Auditor, AuditProgramme
from audits.workflow import Action
from processes.models import AdministrativeProcedure
from qms.audit import log as audit_log
from qms.documents.models import Document
from qms.extensions import db
from qms.org.models import Unit
from qms.timeutil import agency_zone
from qms.users.models import User

AUDITORS = (  # username, issuer, number, date, earlier audits, note
    ("son.ph", "Trung tâm Năng suất Việt Nam", "ĐGNB-0912/2019", date(2019, 9, 12), 4,
     "Trưởng đoàn các đợt đánh giá năm 2023–2025."),
    ("lan.tt", "Trung tâm Năng suất Việt Nam", "ĐGNB-0417/2021", date(2021, 4, 17), 3, ""),
    ("ngoc.vtb", "Viện Tiêu chuẩn Chất lượng Việt Nam", "TCVN-2207/2023", date(2023, 7, 22), 1, ""),
    ("yen.kt", "Viện Tiêu chuẩn Chất lượng Việt Nam", "TCVN-1105/2025", date(2025, 11, 5), 0,
     "Mới được đào tạo; tham gia đoàn để tích lũy kinh nghiệm."),
)


def _user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def _units(*codes: str) -> list[int]:
    return list(db.session.scalars(select(Unit.id).where(Unit.code.in_(codes))))


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=agency_zone())


def load_audits_demo(directory, data, password) -> tuple[int, int]:
    """The demo auditors, programme and audits; returns (created, unchanged)."""
    if db.session.scalar(select(AuditProgramme.id).where(AuditProgramme.year == 2026)) is not None:
        return 0, 1
    secretary, director = _user("huong.nt"), _user("hung.lv")
    if secretary is None or director is None:
        return 0, 0
    created = 0
    with audit_log.acting_as(audit_log.Actor.of_user(secretary)):
        auditors = {}
        for username, issuer, number, on, earlier, note in AUDITORS:
            user = _user(username)
            if user is None:
                continue
            auditor = db.session.scalar(select(Auditor).where(Auditor.user_id == user.id))
            if auditor is None:
                auditor = services.register_auditor(user, {"certificate_issuer": issuer, "certificate_number": number,
                                                           "certificate_on": on, "prior_audits": earlier,
                                                           "note": note}, actor=secretary)
                created += 1
            auditors[username] = auditor
        programme = services.create_programme(2026, {
            "title": "Chương trình đánh giá nội bộ năm 2026",
            "objectives": "Đánh giá sự phù hợp và hiệu lực của HTQLCL theo TCVN ISO 9001:2008 tại tất cả các đơn vị "
                          "trong phạm vi áp dụng; ưu tiên các thủ tục có tỷ lệ hồ sơ trễ hạn cao."}, actor=secretary)
        first = _first_audit(programme, auditors, secretary)
        second = _second_audit(programme, auditors, secretary)
        db.session.refresh(programme)
        services.submit_programme(programme, actor=secretary, now=_local(date(2025, 12, 15), 9))
        with audit_log.acting_as(audit_log.Actor.of_user(director)):
            services.approve_programme(programme, actor=director, password=password,
                                       comment="Đồng ý. Văn phòng Sở phối hợp bố trí lịch.",
                                       now=_local(date(2025, 12, 18), 15, 30))
        _run_first_audit(first, auditors["son.ph"], secretary)
        created += 3 + (second is not None)
    db.session.flush()
    return created, 0


def _first_audit(programme, auditors, secretary):
    procedure = db.session.scalar(select(AdministrativeProcedure).where(AdministrativeProcedure.code == "1.004470"))
    audit = plan_services.create_audit({
        "title": "Đánh giá nội bộ đợt 1 năm 2026 – lĩnh vực bưu chính và Bộ phận Một cửa",
        "planned_start": date(2026, 6, 16), "planned_end": date(2026, 6, 17),
        "objectives": "Đánh giá việc thực hiện quy trình cấp giấy phép bưu chính; kiểm soát hồ sơ TTHC và "
                      "Phiếu kiểm soát quá trình (Mẫu 05) tại Bộ phận Một cửa.",
        "criteria": "Nghị định 61/2018/NĐ-CP; Thông tư 01/2018/TT-VPCP",
        "unit_ids": _units("BCVT", "BPMC"), "procedure_ids": [procedure.id] if procedure else [],
        "clause_codes": ["4.2.3", "4.2.4", "7.2.3", "7.5.1", "8.2.3", "8.2.4"]}, actor=secretary, programme=programme)
    plan_services.set_team(audit, lead=auditors["son.ph"], members=[auditors["ngoc.vtb"]], actor=secretary)
    plan_services.set_auditees(audit, [u for u in (_user("quang.nv"), _user("thao.nt")) if u], actor=secretary)
    bpmc, bcvt = _units("BPMC")[0], _units("BCVT")[0]
    day1, day2 = date(2026, 6, 16), date(2026, 6, 17)
    for starts, ends, unit_id, topic in (
            (_local(day1, 8), _local(day1, 8, 30), None, "Họp khai mạc với Lãnh đạo Sở"),
            (_local(day1, 8, 30), _local(day1, 11, 30), bpmc, "Tiếp nhận, trả kết quả; Mẫu 01, Mẫu 05, Sổ theo dõi"),
            (_local(day1, 13, 30), _local(day1, 16, 30), bcvt, "Thẩm định hồ sơ cấp giấy phép bưu chính (QT-BC-01)"),
            (_local(day2, 8), _local(day2, 10), bcvt, "Kiểm soát tài liệu, hồ sơ chất lượng của Phòng BC-VT"),
            (_local(day2, 14), _local(day2, 15), None, "Họp kết thúc, thống nhất các phát hiện")):
        plan_services.add_session(audit, starts_at=starts, ends_at=ends, unit_id=unit_id, topic=topic,
                                  actor=secretary)
    return audit


def _second_audit(programme, auditors, secretary):
    documents = list(db.session.scalars(select(Document.id).where(Document.code.in_(["QT-BCXB-05", "QT-IN-02"]))))
    audit = plan_services.create_audit({
        "title": "Đánh giá nội bộ đợt 2 năm 2026 – báo chí, xuất bản, in và công nghệ thông tin",
        "planned_start": date(2026, 12, 8), "planned_end": date(2026, 12, 10),
        "objectives": "Đánh giá các quy trình cấp phép xuất bản, in; việc thực hiện mục tiêu chất lượng năm 2026.",
        "unit_ids": _units("TTBCXB", "CNTT", "LDS"), "document_ids": documents,
        "clause_codes": ["5.3", "5.4.1", "5.6", "6.2.2", "7.5", "8.2.2", "8.5.2"]}, actor=secretary,
        programme=programme)
    plan_services.set_team(audit, lead=auditors["lan.tt"], members=[auditors["yen.kt"]], actor=secretary)
    plan_services.set_auditees(audit, [u for u in (_user("tuan.da"), _user("minh.pd")) if u], actor=secretary)
    return audit


def _run_first_audit(audit, lead, secretary) -> None:
    plan_services.move_audit(audit, Action.NOTIFY, actor=secretary, now=_local(date(2026, 6, 2), 9),
                             plan_url=f"/audits/{audit.id}")
    plan_services.move_audit(audit, Action.START, actor=secretary, now=_local(date(2026, 6, 16), 8))
    audit.summary = ("Đoàn đã đánh giá quy trình cấp giấy phép bưu chính tại Phòng BC-VT và việc tiếp nhận, trả kết "
                     "quả tại Bộ phận Một cửa; lấy mẫu 12 hồ sơ TTHC năm 2026.")
    audit.conclusion = ("HTQLCL được duy trì phù hợp với TCVN ISO 9001:2008. Còn 01 điểm không phù hợp nhẹ về "
                        "Phiếu kiểm soát quá trình (điều 4.2.4) và 01 điểm lưu ý về thời gian bước thẩm định.")
    plan_services.move_audit(audit, Action.REPORT, actor=secretary, now=_local(date(2026, 6, 24), 16))
