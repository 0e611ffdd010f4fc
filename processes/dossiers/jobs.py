"""Scheduled job of the dossier records (ISO 9001:2008 8.4): keep the analysis rollups up to date.

Every input path refreshes them after its commit (``followups.records_committed``); the job catches what a
path could not (a refresh that lost a race, records written by hand), so the dashboard's first read stays cheap.
"""

from __future__ import annotations

from datetime import datetime

from processes.dossiers.rollups import refresh_rollups


def refresh_analysis_rollups(now: datetime) -> str:
    """Read the step runs and dossiers recorded since the last refresh into the rollups."""
    report = refresh_rollups()
    return f"rollups refreshed: {report.step_blocks} step block(s), {report.dossier_blocks} dossier block(s) written"
