"""Dossier records (hồ sơ TTHC): receipt, steps, supplements, apologies, results, and their timing."""
