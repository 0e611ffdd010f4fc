"""Periodic jobs: run by ``qms scheduler`` (APScheduler, jobs stored in the database) or ``qms run-job NAME``."""
