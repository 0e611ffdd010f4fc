"""Who may do what with internal audits (ISO 9001:2008 clause 8.2.2): auditor independence, the lead-auditor
rule and the object-level predicates the views, services and templates share. Pure Python: no app, no database.

Clause 8.2.2: "auditors shall not audit their own work". Here that means nobody audits a unit they
belong to (their own unit or a unit registered on their auditor record), nor a procedure they drafted,
reviewed or approved (any revision of its document that was not cancelled). Services gather the facts
(``AuditorFacts``, ``UnitFacts``, ``ProcessFacts``) and ask ``independence_issues``; each issue says who
and why, in the user's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _

from qms.permissions import Permission, can_sign_as_director, has_permission


@dataclass(frozen=True)
class AuditorFacts:
    name: str
    user_id: int
    unit_ids: frozenset[int]


@dataclass(frozen=True)
class UnitFacts:
    unit_id: int
    name: str


@dataclass(frozen=True)
class RevisionPeople:
    numbering: str  # "01.00"
    drafted_by_id: int | None
    reviewed_by_id: int | None
    approved_by_id: int | None


@dataclass(frozen=True)
class ProcessFacts:
    label: str  # "QT-BC-01 Cấp giấy phép bưu chính" or "1.004470 Cấp giấy phép ..."
    revisions: tuple[RevisionPeople, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class IndependenceIssue:
    """One reason why *person* may not audit *target*."""

    person: str
    reason: str  # unit_member | drafted | reviewed | approved
    target: str
    numbering: str = ""

    @property
    def message(self) -> str:
        if self.reason == "unit_member":
            return _("%(person)s may not audit %(unit)s: they belong to this unit.",
                     person=self.person, unit=self.target)
        if self.reason == "drafted":
            return _("%(person)s may not audit %(process)s: they drafted its revision %(numbering)s.",
                     person=self.person, process=self.target, numbering=self.numbering)
        if self.reason == "reviewed":
            return _("%(person)s may not audit %(process)s: they reviewed its revision %(numbering)s.",
                     person=self.person, process=self.target, numbering=self.numbering)
        return _("%(person)s may not audit %(process)s: they approved its revision %(numbering)s.",
                 person=self.person, process=self.target, numbering=self.numbering)

    def __str__(self) -> str:
        return self.message


def independence_issues(auditor: AuditorFacts, units: list[UnitFacts] | tuple = (),
                        processes: list[ProcessFacts] | tuple = ()) -> list[IndependenceIssue]:
    """Every reason why *auditor* may not audit this scope; empty when they are independent of it."""
    issues = [IndependenceIssue(auditor.name, "unit_member", unit.name)
              for unit in units if unit.unit_id in auditor.unit_ids]
    for process in processes:
        for revision in process.revisions:
            for reason, person_id in (("drafted", revision.drafted_by_id), ("reviewed", revision.reviewed_by_id),
                                      ("approved", revision.approved_by_id)):
                if person_id is not None and person_id == auditor.user_id:
                    issues.append(IndependenceIssue(auditor.name, reason, process.label, revision.numbering))
    return issues


def is_independent(auditor: AuditorFacts, units=(), processes=()) -> bool:
    return not independence_issues(auditor, units, processes)


def may_lead(audits_done: int, minimum: int) -> bool:
    """A lead auditor has led or joined at least *minimum* audits that were reported."""
    return audits_done >= minimum


# Object-level predicates --------------------------------------------------------------------------------


def can_manage_audits(user) -> bool:
    """Keep the auditor register, draft the programme, plan audits: the ISO secretary and internal auditors."""
    return has_permission(user, Permission.AUDITS_MANAGE)


def can_edit_programme(user, programme) -> bool:
    return programme.status == "draft" and can_manage_audits(user)


def can_approve_programme(user, programme, on: date) -> bool:
    """The director approves a submitted programme; a deputy under a delegation on that date signs for them."""
    if programme.status != "submitted":
        return False
    return has_permission(user, Permission.AUDITS_APPROVE_PROGRAMME) or can_sign_as_director(user, on)


def can_edit_plan(user, audit) -> bool:
    """A plan changes until the audit starts: its keepers and its own lead auditor."""
    if audit.status not in ("planned", "notified"):
        return False
    return can_manage_audits(user) or is_lead_of(user, audit)


def can_move_audit(user, audit) -> bool:
    """The audit's keepers and its lead auditor move it through its states."""
    return can_manage_audits(user) or is_lead_of(user, audit)


def is_lead_of(user, audit) -> bool:
    lead = audit.lead_auditor
    return lead is not None and getattr(user, "id", None) == lead.user_id


def is_involved(user, audit) -> bool:
    """On the team or among the auditees: the audits of someone's own calendar feed."""
    user_id = getattr(user, "id", None)
    return (any(member.auditor.user_id == user_id for member in audit.team)
            or any(auditee.user_id == user_id for auditee in audit.auditees))
