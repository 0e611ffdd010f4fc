"""Internal audits (ISO 9001:2008 clause 8.2.2): programme, plans, checklists, findings, auditors.

Built by the internal-audits issue; may use ``processes`` and the kernel ``qms``.
"""
