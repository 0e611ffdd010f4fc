"""Internal audits for the tests: auditors, a programme and audits built through the real services.

``setup_audit_world`` adds to ``tests.process_samples.setup_people`` an office (VP), three internal
auditors (one in BCVT, one in VP who also works for BPMC, one in VP with a long record) and the
postal-licence TTHC in force (drafted by the specialist, reviewed by the unit head, approved by the director).
"""

from __future__ import annotations

from datetime import date

from audits import plan_services, services
from audits.models import Auditor
from qms.audit import log as audit
from qms.extensions import db
from qms.org.models import Unit, UnitKind
from qms.users.models import User
from tests import process_samples as ps

PASSWORD = ps.PASSWORD


def setup_audit_world(make_user) -> dict:
    people = ps.setup_people(make_user)
    db.session.add(Unit(code="VP", name="Văn phòng Sở", short_name="VP", kind=UnitKind.OFFICE))
    db.session.commit()
    ids = {
        "auditor_bcvt": make_user("specialist", "internal_auditor", username="ngoc.vtb", full_name="Võ Thị Bích Ngọc",
                                  unit_id=ps.unit("BCVT")),
        "auditor_vp": make_user("unit_head", "internal_auditor", username="lan.tt", full_name="Trần Thị Lan",
                                unit_id=ps.unit("VP")),
        "auditor_senior": make_user("unit_head", "internal_auditor", username="son.ph", full_name="Phạm Hồng Sơn",
                                    unit_id=ps.unit("VP")),
    }
    people.update({name: db.session.get(User, ident) for name, ident in ids.items()})
    procedure, version = ps.draft_first_version(people)
    ps.approve(people, version)
    people["procedure"], people["version"] = procedure, version
    secretary = people["secretary"]
    with audit.acting_as(audit.Actor.of_user(secretary)):
        people["a_bcvt"] = services.register_auditor(people["auditor_bcvt"], {"certificate_issuer": "Tổng cục TCĐLCL"},
                                                     actor=secretary)
        people["a_vp"] = services.register_auditor(people["auditor_vp"], {"prior_audits": 1}, actor=secretary,
                                                   unit_ids=[ps.unit("BPMC")])
        people["a_senior"] = services.register_auditor(people["auditor_senior"], {"prior_audits": 5}, actor=secretary)
        db.session.commit()
    return people


def register(people, user: User, **values) -> Auditor:
    """Register any user as an auditor (e.g. the drafter of a procedure, to test independence)."""
    with audit.acting_as(audit.Actor.of_user(people["secretary"])):
        auditor = services.register_auditor(user, values, actor=people["secretary"])
        db.session.commit()
    return auditor


def new_audit(people, *, units=(), procedures=(), documents=(), clauses=("8.2.2",), start=date(2026, 10, 19),
              end=date(2026, 10, 21), programme=None, title="Đánh giá nội bộ"):
    secretary = people["secretary"]
    with audit.acting_as(audit.Actor.of_user(secretary)):
        created = plan_services.create_audit(
            {"title": title, "planned_start": start, "planned_end": end,
             "unit_ids": [ps.unit(code) for code in units], "procedure_ids": [p.id for p in procedures],
             "document_ids": [d.id for d in documents], "clause_codes": list(clauses)},
            actor=secretary, programme=programme)
        db.session.commit()
    return created
