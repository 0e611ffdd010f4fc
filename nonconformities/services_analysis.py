"""The analysis of a nonconformity (ISO 9001:2008 clause 8.5.2 a-b): the immediate correction (khắc phục
tức thời), the 5 Whys, the cause-and-effect breakdown and the root cause.

The correction may be recorded as soon as the nonconformity is raised, before its cause is known.
Services flush and never commit.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from nonconformities import permissions as can
from nonconformities import workflow
from nonconformities.models import CauseCategory, Nonconformity, NonconformityCause, NonconformityWhy
from qms.audit import log as audit
from qms.errors import Conflict, DomainError, Forbidden
from qms.extensions import db
from qms.timeutil import utcnow

MAX_WHYS = 5


def _require_analysis_open(nc: Nonconformity, actor) -> None:
    if nc.status not in workflow.ANALYSIS_OPEN:
        raise Conflict(_("The analysis of %(code)s can no longer change (stage “%(status)s”).", code=nc.code,
                         status=nc.status.label))
    if not can.can_analyse(actor, nc):
        raise Forbidden(_("Only the unit head of the unit concerned, the ISO secretary or the person who "
                          "raised it analyses a nonconformity."))


def record_correction(nc: Nonconformity, *, actor, text: str, now: datetime | None = None) -> Nonconformity:
    """Record what was done at once to contain the problem, before (or while) its cause is sought."""
    _require_analysis_open(nc, actor)
    text = (text or "").strip()
    if not text:
        raise DomainError(_("Describe the immediate correction."), field="correction")
    nc.correction, nc.correction_by_id, nc.correction_at = text, actor.id, now or utcnow()
    audit.tag(db.session, nc, "nonconformity.correction", nc.code)
    db.session.flush()
    return nc


def save_whys(nc: Nonconformity, pairs: list[tuple[str, str]], *, actor) -> list[NonconformityWhy]:
    """Replace the 5 Whys by *pairs* of (question, answer); empty pairs are dropped, at most five kept."""
    _require_analysis_open(nc, actor)
    kept = [((q or "").strip(), (a or "").strip()) for q, a in pairs if (a or "").strip()]
    if len(kept) > MAX_WHYS:
        raise DomainError(_("At most five whys."), field="whys")
    nc.whys.clear()
    db.session.flush()  # the old positions go before the new ones take them
    for position, (question, answer) in enumerate(kept, start=1):
        nc.whys.append(NonconformityWhy(position=position, question=question, answer=answer))
    db.session.flush()
    return nc.whys


def add_cause(nc: Nonconformity, *, actor, category: CauseCategory | str, text: str,
              is_root: bool = False) -> NonconformityCause:
    """Add a cause on one branch of the cause-and-effect diagram."""
    _require_analysis_open(nc, actor)
    text = (text or "").strip()
    if not text:
        raise DomainError(_("Describe the cause."), field="text")
    try:
        category = CauseCategory(category)
    except ValueError:
        raise DomainError(_("Choose a branch of the diagram."), field="category") from None
    cause = NonconformityCause(category=category, text=text, is_root=bool(is_root))
    nc.causes.append(cause)
    db.session.flush()
    return cause


def remove_cause(nc: Nonconformity, cause: NonconformityCause, *, actor) -> None:
    """Take a cause off the diagram."""
    _require_analysis_open(nc, actor)
    if cause.nc_id != nc.id:
        raise DomainError(_("That cause belongs to another nonconformity."))
    nc.causes.remove(cause)
    db.session.flush()


def set_root_cause(nc: Nonconformity, *, actor, text: str) -> Nonconformity:
    """The root cause in one or two sentences: what the actions must remove."""
    _require_analysis_open(nc, actor)
    text = (text or "").strip()
    if not text:
        raise DomainError(_("State the root cause."), field="root_cause")
    nc.root_cause = text
    audit.tag(db.session, nc, "nonconformity.root_cause", nc.code)
    db.session.flush()
    return nc
