"""Controlled documents (ISO 9001:2008 clause 4.2.3): master list, revisions, workflow, distribution."""
