"""The standard's requirements as audit questions (ISO 9001:2008 clauses 4 to 8, clause 8.2.2 checklists).

A few generic questions per clause, kept as data keyed by clause code: the checklist builder turns the
clauses in an audit's scope into these questions, and an auditor adds the rest by hand. Each entry is
(question, where to look). A sub-clause without its own entry falls back to its parent ("7.5.3" → "7.5").
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

CLAUSE_QUESTIONS: dict[str, tuple[tuple[object, object], ...]] = {
    "4.1": (
        (_l("Are the processes of the quality management system, their order and their interactions identified?"),
         _l("Quality manual, list of procedures, process maps of the administrative procedures.")),
        (_l("Are outsourced or inter-agency steps (consultations, one-stop interconnection) controlled?"),
         _l("Consultation letters, inter-agency agreements, branches of the process maps.")),
    ),
    "4.2.1": (
        (_l("Are the quality policy, the quality objectives, the quality manual and the six documented "
            "procedures in place?"),
         _l("Master list of documents; announcement decision of the quality management system.")),
    ),
    "4.2.2": (
        (_l("Does the quality manual state the scope, the exclusions with their reasons and the procedures?"),
         _l("Quality manual in force.")),
    ),
    "4.2.3": (
        (_l("Are documents approved before issue, reviewed, and are their revisions identified?"),
         _l("Master list, revision history, signatures of drafter, reviewer and approver.")),
        (_l("Are the documents in force available where the work is done, and obsolete ones withdrawn?"),
         _l("Copies at the one-stop shop and in the units; distribution list and read confirmations.")),
        (_l("Are external documents (legal texts) identified and kept up to date within three months?"),
         _l("Register of external documents; procedures citing amended legal texts.")),
    ),
    "4.2.4": (
        (_l("Are quality records identified, stored, protected, retrievable and kept for their retention time?"),
         _l("Record categories, filing place, retention and disposal records.")),
    ),
    "5.1": (
        (_l("Does the head of the agency show commitment: policy, objectives, reviews, resources?"),
         _l("Decisions of the director, management review minutes.")),
    ),
    "5.2": (
        (_l("Are the needs of citizens and organisations determined and met?"),
         _l("Satisfaction surveys, complaints and their answers.")),
    ),
    "5.3": (
        (_l("Is the quality policy appropriate, communicated and understood in the units?"),
         _l("Quality policy in force; ask staff what it means for their work.")),
    ),
    "5.4": (
        (_l("Are quality objectives set for the units, measurable and consistent with the policy?"),
         _l("Quality objectives of the year and their measurement plan.")),
    ),
    "5.5": (
        (_l("Are responsibilities and authorities defined and communicated; is the ISO representative appointed?"),
         _l("Appointment decision of the ISO steering committee and representative; job descriptions.")),
    ),
    "5.6": (
        (_l("Is the management review held at planned intervals with the required inputs and outputs?"),
         _l("Management review minutes and the actions decided.")),
    ),
    "6.1": (
        (_l("Are the resources needed to run and improve the system provided?"),
         _l("Staffing of the units and of the one-stop shop, budget for the quality system.")),
    ),
    "6.2": (
        (_l("Are the staff competent, trained and aware of the relevance of their work?"),
         _l("Training records, internal auditor certificates.")),
    ),
    "6.3": (
        (_l("Is the infrastructure (one-stop shop, software, equipment) adequate and maintained?"),
         _l("One-stop shop equipment, one-stop software, maintenance records.")),
    ),
    "6.4": (
        (_l("Is the work environment suitable for receiving citizens and handling dossiers?"),
         _l("Visit the one-stop shop.")),
    ),
    "7.1": (
        (_l("Are the administrative procedures planned with their steps, times, records and criteria?"),
         _l("Procedure documents and their process maps.")),
    ),
    "7.2": (
        (_l("Are the requirements of each administrative procedure published and applied at reception?"),
         _l("Published procedures at the one-stop shop and on the portal; receipts (Mẫu 01).")),
        (_l("Are citizens' feedback, complaints and questions handled and answered?"),
         _l("Complaint register and answers.")),
    ),
    "7.3": (
        (_l("Is clause 7.3 excluded with a stated reason, or are design activities controlled?"),
         _l("Exclusions stated in the quality manual.")),
    ),
    "7.4": (
        (_l("Are purchased goods and services that affect the results controlled?"),
         _l("Contracts for software, postal delivery of results, suppliers' evaluation.")),
    ),
    "7.5": (
        (_l("Are dossiers received, handled and returned under controlled conditions, as the procedures say?"),
         _l("Control slips (Mẫu 05) and the one-stop register (Mẫu 06) of sampled dossiers.")),
        (_l("Can every dossier be identified and traced from reception to return?"),
         _l("Dossier codes on Mẫu 01, Mẫu 05 and the one-stop software.")),
        (_l("Are the citizens' documents handed in protected while the dossier is handled?"),
         _l("Storage of the dossiers in the units.")),
    ),
    "7.6": (
        (_l("Are the measuring devices, if any, controlled (or is the clause excluded)?"),
         _l("Exclusions stated in the quality manual.")),
    ),
    "8.1": (
        (_l("Are monitoring, measurement and analysis planned to show conformity and improve?"),
         _l("Quality objectives and how they are measured.")),
    ),
    "8.2.1": (
        (_l("Is the satisfaction of citizens and organisations monitored?"),
         _l("Satisfaction survey results (Phiếu đánh giá) and their analysis.")),
    ),
    "8.2.2": (
        (_l("Are internal audits planned and held at least once a year, by auditors independent of the work "
            "audited?"),
         _l("Audit programme, plans, reports, auditor certificates.")),
        (_l("Are the nonconformities found in audits corrected without undue delay and the actions verified?"),
         _l("Nonconformity reports and corrective actions of the previous audit.")),
    ),
    "8.2.3": (
        (_l("Are the processes monitored and measured, and are actions taken when results are not achieved?"),
         _l("On-time rates of the procedures, bottleneck steps, the actions decided.")),
    ),
    "8.2.4": (
        (_l("Are results checked before they are issued, with the approval of the person authorised?"),
         _l("Signatures on the control slip (Mẫu 05) and on the result.")),
    ),
    "8.3": (
        (_l("Are nonconforming results (wrong or late) identified and handled, with an apology letter when late?"),
         _l("Apology letters (Mẫu 04), corrections of results, records of nonconforming outputs.")),
    ),
    "8.4": (
        (_l("Are data on satisfaction, conformity, process trends and suppliers analysed?"),
         _l("Reports to the management review; monthly reports of dossiers.")),
    ),
    "8.5": (
        (_l("Are corrective actions taken on the causes of nonconformities and their effectiveness reviewed?"),
         _l("Corrective action records: causes, actions, verification.")),
        (_l("Are preventive actions taken on potential nonconformities?"),
         _l("Preventive action records, risk of late dossiers.")),
    ),
}


def questions_for(code: str) -> list[tuple[str, object, object]]:
    """The generic questions of a clause as (clause code, question, where to look): its own; else those of
    its sub-clauses under their codes (8.2 → 8.2.1 … 8.2.4); else those of the nearest parent clause that
    has some (7.5.3 → 7.5), under the code asked for."""
    if code in CLAUSE_QUESTIONS:
        return [(code, *item) for item in CLAUSE_QUESTIONS[code]]
    children = [(key, *item) for key, items in CLAUSE_QUESTIONS.items() if key.startswith(code + ".")
                for item in items]
    if children:
        return children
    parts = code.split(".")[:-1]
    while parts:
        found = CLAUSE_QUESTIONS.get(".".join(parts))
        if found:
            return [(code, *item) for item in found]
        parts.pop()
    return []
