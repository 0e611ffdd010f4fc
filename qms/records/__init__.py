"""Quality records (hồ sơ chất lượng, ISO 9001:2008 clause 4.2.4): categories, records, retention, disposal.

Not to be confused with administrative dossiers (hồ sơ TTHC), which live in ``processes``.
"""
