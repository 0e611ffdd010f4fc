"""Internal audits (ISO 9001:2008 clause 8.2.2): auditors, the yearly programme and its coverage, audit plans
with enforced auditor independence, checklists, findings, reports, reminders and the audit calendar.

Uses the kernel ``qms`` and the ``processes`` domain (procedures, their QT documents and measured dossiers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import Flask, current_app


def report_ready(audit) -> bool:
    """Whether the audit's report is written, so that the audit may move to "reported"
    (``audits.report_services.report_ready``)."""
    from audits import report_services

    return report_services.report_ready(audit)


#: ``app.extensions`` key of the functions that count the open nonconformities an audit raised.
OPEN_NONCONFORMITIES = "audits.open_nonconformities"


def count_open_nonconformities_with(app: Flask, counter: Callable[[object], int]) -> None:
    """Let a domain above audits (the nonconformities) say how many nonconformities an audit raised are open:
    ``audits`` imports no domain above it (STYLE.md), so the closing rule asks through this hook."""
    counters = app.extensions.setdefault(OPEN_NONCONFORMITIES, [])
    if counter not in counters:
        counters.append(counter)


def open_nonconformities(audit) -> int:
    """How many nonconformities raised by the audit are still open: an audit closes only when this is 0."""
    return sum(int(counter(audit)) for counter in current_app.extensions.get(OPEN_NONCONFORMITIES, ()))


#: ``app.extensions`` key of the links between findings and the nonconformities raised from them.
FINDING_LINKS = "audits.finding_links"


@dataclass(frozen=True)
class FindingLink:
    """What the findings page shows of a finding's nonconformity: its code, status and page, or else the
    address the "Raise a nonconformity" button posts to (empty when the reader may not raise one)."""

    code: str = ""
    status: str = ""
    url: str = ""
    raise_url: str = ""


@dataclass(frozen=True)
class FindingLinks:
    """Given by a domain above audits (the nonconformities): ``raised_from`` maps finding ids to the code of the
    nonconformity raised from each (for the services, no request needed); ``for_page(findings, user, audit)``
    maps finding ids to a ``FindingLink`` (for the findings page, inside a request)."""

    raised_from: Callable[[list[int]], dict[int, str]]
    for_page: Callable[[list, object, object], dict[int, FindingLink]]


def link_findings_with(app: Flask, links: FindingLinks) -> None:
    """Let the nonconformities link findings both ways without ``audits`` importing them (STYLE.md)."""
    app.extensions[FINDING_LINKS] = links


def nonconformity_codes_of(finding_ids: list[int]) -> dict[int, str]:
    """Finding id → code of the nonconformity raised from it; empty when no domain links them."""
    links = current_app.extensions.get(FINDING_LINKS)
    return links.raised_from(list(finding_ids)) if links is not None and finding_ids else {}


def finding_links(findings: list, user, audit) -> dict[int, FindingLink]:
    """Finding id → its nonconformity or the button to raise one, for the findings page."""
    links = current_app.extensions.get(FINDING_LINKS)
    return links.for_page(findings, user, audit) if links is not None and findings else {}


def init_app(app: Flask) -> None:
    from audits import views  # imports the models: every one registered before the first query

    views.init_app(app)
    from audits import checklist_views

    checklist_views.init_app(app)
