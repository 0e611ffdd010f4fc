"""Nonconformities and corrective / preventive actions (ISO 9001:2008 clauses 8.3, 8.5.2, 8.5.3).

Built by the nonconformities issue; may use ``audits``, ``processes`` and the kernel ``qms``.
``init_app`` registers the models, the guard that keeps closed records unchanged, the blueprint with
its navigation and home panel, the late-dossier rules pages, the audits' hooks (the open nonconformities
of an audit, the links between findings and nonconformities) and the demo step.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from nonconformities import guards, models, panels, rules_views, seeding, views  # noqa: F401 - models first
    from nonconformities import views_findings  # its route joins the blueprint before views registers it

    for module in (guards, views, views_findings, panels, seeding, rules_views):
        module.init_app(app)
