"""dossiers: drop ix_dossiers_procedure_id, which ix_dossiers_procedure_received already leads with

Revision ID: 0014_dossier_procedure_index
Revises: 0013_nc_audit_findings
Create Date: 2026-11-22 21:30:00

Every lookup by procedure uses ``ix_dossiers_procedure_received`` (procedure_id, received_at) as well; the
single-column index only cost each bulk import (on PostgreSQL, an index maintained row by row in ``COPY``).
"""
from alembic import op


revision = "0014_dossier_procedure_index"
down_revision = "0013_nc_audit_findings"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_dossiers_procedure_id", table_name="dossiers")


def downgrade():
    op.create_index("ix_dossiers_procedure_id", "dossiers", ["procedure_id"])
