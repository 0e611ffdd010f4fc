"""The benchmark of issue 5: working time, dossier imports, per-step aggregates, the dashboard, PM4Py."""
