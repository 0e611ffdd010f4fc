"""Nonconformities and corrective / preventive actions (ISO 9001:2008 clauses 8.3, 8.5.2, 8.5.3).

Built by the nonconformities issue; may use ``audits``, ``processes`` and the kernel ``qms``.
"""
