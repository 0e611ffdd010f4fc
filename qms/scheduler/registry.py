"""The one list of periodic jobs (STYLE.md rule 7): name → where the function lives and when it runs.

A job is a plain function ``fn(now: datetime) -> str`` in its domain's ``jobs.py`` that returns a
one-line summary. It is named here by an import path string and imported only when it runs, so a
domain that is missing or broken fails its own job with a clear error and no other.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import datetime
from typing import Callable


@dataclass(frozen=True)
class Daily:
    """Once a day at SCHEDULER_DAILY_AT (agency time), plus *after_minutes* to run after other jobs."""

    after_minutes: int = 0

    def time_of_day(self, daily_at: str) -> tuple[int, int]:
        """(hour, minute) of the run, from an "HH:MM" setting."""
        hour, minute = (int(part) for part in daily_at.split(":"))
        if not (0 <= hour < 24 and 0 <= minute < 60):
            raise ValueError(f"SCHEDULER_DAILY_AT must be HH:MM, not {daily_at!r}")
        total = (hour * 60 + minute + self.after_minutes) % (24 * 60)
        return divmod(total, 60)

    def __str__(self) -> str:
        return f"daily +{self.after_minutes} min" if self.after_minutes else "daily"


@dataclass(frozen=True)
class JobSpec:
    target: str  # "package.module:function"
    schedule: Daily


JOBS: dict[str, JobSpec] = {
    "documents.effective_dates": JobSpec("qms.documents.jobs:apply_effective_dates", Daily()),
    "documents.acknowledgement_reminders": JobSpec("qms.documents.jobs:remind_acknowledgements", Daily()),
    "documents.periodic_review_reminders": JobSpec("qms.documents.jobs:remind_periodic_reviews", Daily()),
    "external_docs.update_flag_reminders": JobSpec("qms.external_docs.jobs:remind_update_flags", Daily()),
    "dossiers.refresh_rollups": JobSpec("processes.dossiers.jobs:refresh_analysis_rollups", Daily()),
    "audits.coming_reminders": JobSpec("audits.jobs:remind_coming_audits", Daily()),
    "audits.overdue_reports": JobSpec("audits.jobs:remind_overdue_reports", Daily()),
    "audits.programme_approval": JobSpec("audits.jobs:remind_programme_approval", Daily()),
    "nonconformities.late_dossiers": JobSpec("nonconformities.jobs:raise_late_dossier_nonconformities", Daily()),
    "nonconformities.actions_due": JobSpec("nonconformities.jobs:remind_due_actions", Daily()),
    "nonconformities.actions_overdue": JobSpec("nonconformities.jobs:remind_overdue_actions", Daily()),
    "nonconformities.escalation": JobSpec("nonconformities.jobs:escalate_overdue_actions", Daily()),
    "nonconformities.effectiveness_checks_due": JobSpec("nonconformities.jobs:remind_effectiveness_checks", Daily()),
    # After the reminders of the day, so that they leave by e-mail the same morning.
    "notifications.send_emails": JobSpec("qms.notifications.jobs:send_emails", Daily(after_minutes=15)),
}


class UnknownJob(LookupError):
    """No job of that name in the registry."""


class JobNotAvailable(RuntimeError):
    """The job is registered but its function cannot be imported."""


def spec(name: str) -> JobSpec:
    try:
        return JOBS[name]
    except KeyError:
        raise UnknownJob(f"unknown job {name!r}; known jobs: {', '.join(sorted(JOBS))}") from None


def resolve(name: str) -> Callable[[datetime], str]:
    """Import the function of job *name*; raise JobNotAvailable naming what is missing."""
    target = spec(name).target
    module_name, _sep, function_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise JobNotAvailable(f"job {name}: cannot import module {module_name} ({error})") from error
    function = getattr(module, function_name, None)
    if not callable(function):
        raise JobNotAvailable(f"job {name}: module {module_name} has no function {function_name}")
    return function


__all__ = ["JOBS", "Daily", "JobNotAvailable", "JobSpec", "UnknownJob", "resolve", "spec"]
