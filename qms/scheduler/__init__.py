"""Periodic jobs: run by ``qms scheduler`` (APScheduler, jobs stored in the database) or ``qms run-job NAME``."""

#: APScheduler's own table: created by its job store, not by our migrations.
APSCHEDULER_TABLE = "apscheduler_jobs"


def alembic_include_name(name, type_, parent_names) -> bool:
    """Alembic filter: leave APScheduler's table (and its index) out of migrations and comparisons."""
    if type_ == "table":
        return name != APSCHEDULER_TABLE
    if type_ == "index":
        return (parent_names or {}).get("table_name") != APSCHEDULER_TABLE
    return True
