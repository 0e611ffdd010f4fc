"""Administrative procedures (TTHC), their process maps and versions, dossiers and step timing.

Built by the process-maps and dossiers issues; depends only on the kernel ``qms``.
"""
