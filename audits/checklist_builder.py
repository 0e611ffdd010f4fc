"""Checklist questions from an audit's scope (ISO 9001:2008 clause 8.2.2, with the evidence of 8.2.3).

What the auditor walks in with: the standard's requirements of the clauses in scope, and for every
administrative procedure (TTHC) in scope its process version in force, step by step, with the figures
measured on its dossiers over the audit's period (count, on-time share, median and 90th percentile of
the used working time against the allotment, the late runs) and a few late dossier codes to sample;
the late steps come first and are flagged. A QMS procedure (QT-xx) gives questions on its revision in
force, its forms and each record its section 7 asks to keep.

The questions are written in the agency's language and their figures frozen as text: a checklist is a
quality record of what was known when it was built. Nothing here writes to the database except the
refresh of the timing rollups (flushed, never committed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from html.parser import HTMLParser

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from audits.checklist_questions import questions_for
from processes import queries
from processes.dossiers.analysis import DAY, decimal, merged, overall
from processes.dossiers.facts import Agg, Filters, dossier_facts, step_catalogue, step_parts
from processes.dossiers.models import Dossier, StepRun, Timeliness
from processes.dossiers.rollups import refresh_rollups
from processes.durations import duration_label
from processes.models import AdministrativeProcedure
from qms.documents.models import Document, RevisionState, SectionKey
from qms.extensions import db
from qms.timeutil import agency_zone, format_date

#: A step is flagged late when at least this share of its judged runs were late, or its median overran.
LATE_SHARE_FLAG = 0.10
#: Late dossier codes offered for sampling, per step and per procedure.
SAMPLE_SIZE = 5
#: The clause a TTHC's steps and its timing are asked under: provision of the service, its monitoring.
STEP_CLAUSE, TIMING_CLAUSE, DOCUMENT_CLAUSE, RECORD_CLAUSE = "7.5", "8.2.3", "4.2.3", "4.2.4"


@dataclass
class DraftQuestion:
    """A checklist question before it is saved: text, where to look and the evidence at hand."""

    clause_code: str
    text: str
    guidance: str = ""
    evidence_hint: str = ""
    procedure_id: int | None = None
    step_id: int | None = None
    document_id: int | None = None
    is_flagged: bool = False  # a late step: the auditor looks here first
    sample_codes: list[str] = field(default_factory=list)  # late dossiers worth sampling


@dataclass(frozen=True)
class Period:
    """The local dates (both included) whose measured dossiers are the evidence."""

    start: date
    end: date

    @classmethod
    def year_before(cls, day: date) -> Period:
        return cls(day - timedelta(days=365), day - timedelta(days=1))

    @property
    def instants(self) -> tuple[datetime, datetime]:
        zone = agency_zone()
        return (datetime.combine(self.start, time.min, tzinfo=zone),
                datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone))

    @property
    def label(self) -> str:
        return f"{format_date(self.start)}–{format_date(self.end)}"


def build_questions(*, clause_codes=(), procedures=(), documents=(), period: Period,
                    locale: str | None = None) -> list[DraftQuestion]:
    """Every question of a scope, in the agency's language: clauses first, then each TTHC, then each QT-xx."""
    with force_locale(locale or current_app.config["DEFAULT_LOCALE"]):
        questions = [q for code in sorted(set(clause_codes), key=_clause_key) for q in clause_questions(code)]
        if procedures:
            refresh_rollups()  # the figures must include every dossier recorded until now
        for procedure in procedures:
            questions += procedure_questions(procedure, period)
        for document in documents:
            questions += document_questions(document)
    return questions


def _clause_key(code: str) -> tuple:
    return tuple(int(part) if part.isdigit() else 0 for part in code.split("."))


# The standard's clauses -------------------------------------------------------------------------------


def clause_questions(code: str) -> list[DraftQuestion]:
    """The generic questions of a clause (or of its sub-clauses); a clause without any asks whether it is met."""
    found = questions_for(code)
    if found:
        return [DraftQuestion(asked_under, str(text), str(guidance)) for asked_under, text, guidance in found]
    return [DraftQuestion(code, _("Is the requirement of clause %(code)s met?", code=code))]


# Administrative procedures (TTHC): steps and measured times ------------------------------------------------


def procedure_questions(procedure: AdministrativeProcedure, period: Period) -> list[DraftQuestion]:
    """The procedure's on-time figures, then one question per step of its version in force, late ones first."""
    version = queries.version_in_force_on(procedure.id, period.end) or queries.current_version(procedure)
    filters = Filters(period.start, period.end, procedure_id=procedure.id)
    by_code = _step_stats_by_code(filters)
    head = _procedure_head(procedure, filters, period, by_code, version)
    if version is None:
        return [head]
    steps = []
    for step in version.steps:
        stats = by_code.get(step.code)
        flagged = _is_late(stats, step.allotted_minutes)
        unit = step.unit.name if step.unit is not None else (step.performer or "—")
        text = _("Step %(code)s – %(name)s (%(unit)s), allotted time %(allotted)s: are the dossiers handled "
                 "within the allotted time and recorded on the control slip (Mẫu 05)?", code=step.code,
                 name=step.name, unit=unit, allotted=duration_label(step.allotted_minutes, step.allotted_unit))
        codes = _late_step_dossiers(procedure.id, step.code, period) if stats is not None and stats.late else []
        steps.append((not flagged, -(stats.late if stats else 0), step.position, DraftQuestion(
            STEP_CLAUSE, text, _("Check the control slips (Mẫu 05) of the sampled dossiers at this step."),
            _step_evidence(stats, step.allotted_minutes, period, codes), procedure_id=procedure.id,
            step_id=step.id, is_flagged=flagged, sample_codes=codes)))
    head.is_flagged = any(question.is_flagged for *_order, question in steps)
    return [head] + [question for *_order, question in sorted(steps, key=lambda item: item[:3])]


def _step_stats_by_code(filters: Filters) -> dict:
    """The measured runs of each step code of the procedure, merged across its versions (B3 stays B3)."""
    catalogue = step_catalogue()
    groups: dict[str, list[Agg]] = {}
    for part in step_parts(filters, catalogue):
        code = catalogue.get(part.step_id, {}).get("code")
        if code:
            groups.setdefault(code, []).append(part.whole)
    return merged(groups)


def _is_late(stats, allotted_minutes: int) -> bool:
    if stats is None or not stats.judged:
        return False
    return stats.late / stats.judged >= LATE_SHARE_FLAG or (allotted_minutes > 0 and stats.median > allotted_minutes)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{decimal(100 * value)} %"


def _step_evidence(stats, allotted_minutes: int, period: Period, codes: list[str]) -> str:
    if stats is None or not stats.count:
        return _("No measured runs of this step from %(period)s: sample dossiers from the one-stop register "
                 "(Mẫu 06).", period=period.label)
    text = _("Measured %(period)s: %(count)s runs, %(on_time)s early or on time, %(late)s late; median "
             "%(median)s and 90th percentile %(p90)s working days against %(allotted)s allotted.",
             period=period.label, count=stats.count, on_time=_percent(stats.on_time_rate), late=stats.late,
             median=decimal(stats.median / DAY), p90=decimal(stats.p90 / DAY), allotted=decimal(allotted_minutes / DAY))
    if codes:
        text += " " + _("Late dossiers to sample: %(codes)s.", codes=", ".join(codes))
    return text


def _procedure_head(procedure, filters: Filters, period: Period, by_code: dict, version) -> DraftQuestion:
    totals = overall(dossier_facts(filters))
    text = _("TTHC %(code)s – %(name)s: are the dossiers resolved within the time limit, and are the late ones "
             "handled as nonconforming results (apology letter Mẫu 04) with their causes analysed?",
             code=procedure.code, name=procedure.name)
    late_steps = sorted(((code, s) for code, s in by_code.items() if s.late), key=lambda item: -item[1].late)
    if totals is None or not totals.count:
        evidence = _("No dossier measured from %(period)s.", period=period.label)
        codes: list[str] = []
    else:
        evidence = _("Dossiers measured %(period)s: %(count)s, %(on_time)s early or on time, %(late)s late.",
                     period=period.label, count=totals.count, on_time=_percent(totals.on_time_rate),
                     late=totals.late)
        codes = _late_dossiers(procedure.id, period) if totals.late else []
        if codes:
            evidence += " " + _("Late dossiers to sample: %(codes)s.", codes=", ".join(codes))
    if late_steps:
        named = [_("%(code)s (%(late)s late)", code=code, late=s.late) for code, s in late_steps]
        evidence += " " + _("Late steps: %(steps)s.", steps=", ".join(named))
    if version is None:
        evidence += " " + _("The procedure has no process map yet.")
    return DraftQuestion(TIMING_CLAUSE, text, _("Ask for the monthly report and the one-stop register (Mẫu 06)."),
                         evidence, procedure_id=procedure.id, sample_codes=codes)


def _late_step_dossiers(procedure_id: int, step_code: str, period: Period) -> list[str]:
    """The dossiers whose run of this step overran most in the period."""
    start, end = period.instants
    return list(db.session.scalars(
        select(Dossier.code).join(StepRun, StepRun.dossier_id == Dossier.id)
        .where(Dossier.procedure_id == procedure_id, StepRun.step_code == step_code,
               StepRun.result == Timeliness.LATE, StepRun.finished_at >= start, StepRun.finished_at < end)
        .order_by((StepRun.used_units - func.coalesce(StepRun.allotted_units, 0)).desc(), Dossier.code)
        .limit(SAMPLE_SIZE)))


def _late_dossiers(procedure_id: int, period: Period) -> list[str]:
    """Late dossiers of the period, the most overdue first."""
    start, end = period.instants
    measured = func.coalesce(Dossier.result_ready_at, Dossier.returned_at)
    return list(db.session.scalars(
        select(Dossier.code).where(Dossier.procedure_id == procedure_id, Dossier.timeliness == Timeliness.LATE,
                                   measured >= start, measured < end)
        .order_by((Dossier.used_units - func.coalesce(Dossier.limit_minutes, 0)).desc(), Dossier.code)
        .limit(SAMPLE_SIZE)))


# QMS procedures (QT-xx): revision in force, forms, records to keep ----------------------------------------


class _Rows(HTMLParser):
    """The rows of the tables of a section's rich text, each a list of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th") and self.rows:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def table_rows(html: str) -> list[list[str]]:
    """Body rows of the section's tables (a first row of headers is dropped; an "TT" number cell too)."""
    parser = _Rows()
    parser.feed(html or "")
    rows = [row for row in parser.rows if any(row)]
    if rows and not any(cell.strip().rstrip(".").isdigit() for cell in rows[0][:1]):
        rows = rows[1:]  # the header row: "TT | Tên hồ sơ | ..."
    return [row[1:] if len(row) > 1 and row[0].strip().rstrip(".").isdigit() else row for row in rows]


def document_questions(document: Document) -> list[DraftQuestion]:
    """The revision in force available and applied; its forms in use; each record it asks to keep."""
    revision = next((r for r in document.revisions if r.state == RevisionState.EFFECTIVE), None)
    if revision is None:
        return [DraftQuestion(DOCUMENT_CLAUSE, _("%(code)s %(title)s has no revision in force: is the work it "
                                                 "covers still done, and under which document?",
                                                 code=document.code, title=document.title),
                              document_id=document.id)]
    evidence = _("Issue %(issue)s, revision %(revision)s, in force since %(date)s.", issue=f"{revision.issue_no:02d}",
                 revision=f"{revision.revision_no:02d}", date=format_date(revision.effective_at))
    questions = [DraftQuestion(DOCUMENT_CLAUSE, _("%(code)s %(title)s: is the revision in force available where the "
                                                  "work is done, and is the work done as it says?",
                                                  code=document.code, title=document.title),
                               _("Compare the copy in use with the master list."), evidence, document_id=document.id)]
    sections = {section.key: section for section in revision.sections}
    forms = [" ".join(row[:2]) for row in table_rows(getattr(sections.get(SectionKey.FORMS), "body_html", ""))]
    if forms:
        questions.append(DraftQuestion(DOCUMENT_CLAUSE, _("Are the forms of %(code)s used in their current issue?",
                                                          code=document.code),
                                       _("Forms: %(forms)s.", forms="; ".join(forms)), document_id=document.id))
    records = table_rows(getattr(sections.get(SectionKey.RECORDS), "body_html", ""))
    for row in records:
        questions.append(DraftQuestion(
            RECORD_CLAUSE, _("Is the record \"%(record)s\" required by %(code)s kept, identified and retrievable?",
                             record=row[0], code=document.code),
            " · ".join(cell for cell in row[1:] if cell), document_id=document.id))
    if not records:
        questions.append(DraftQuestion(RECORD_CLAUSE, _("Are the records required by %(code)s kept as the "
                                                        "procedure says?", code=document.code),
                                       document_id=document.id))
    return questions
