"""dossiers: a folded applicant name for the search; step_runs: drop two indexes that others already lead with

Revision ID: 0009_dossier_search
Revises: 0008_dossier_imports
Create Date: 2026-11-22 18:05:00

``ix_step_runs_dossier_id`` is covered by ``uq_step_runs_dossier_id_position`` (and ``uq_step_runs_event_key``),
``ix_step_runs_step_id`` by ``ix_step_runs_step_finished``; each extra index costs every bulk import.
"""
from alembic import op
import sqlalchemy as sa

from qms.text import fold


revision = "0009_dossier_search"
down_revision = "0008_dossier_imports"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("applicant_key", sa.String(length=300), server_default="", nullable=False))
    with op.batch_alter_table("step_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_step_runs_dossier_id")
        batch_op.drop_index("ix_step_runs_step_id")

    connection = op.get_bind()
    dossiers = sa.table("dossiers", sa.column("id", sa.Integer), sa.column("applicant_name", sa.String),
                        sa.column("applicant_key", sa.String))
    rows = connection.execute(sa.select(dossiers.c.id, dossiers.c.applicant_name)).all()
    keys = [{"dossier_id": row.id, "key": fold(row.applicant_name)[:300]} for row in rows if row.applicant_name]
    if keys:
        connection.execute(dossiers.update().where(dossiers.c.id == sa.bindparam("dossier_id"))
                           .values(applicant_key=sa.bindparam("key")), keys)


def downgrade():
    with op.batch_alter_table("step_runs", schema=None) as batch_op:
        batch_op.create_index("ix_step_runs_step_id", ["step_id"], unique=False)
        batch_op.create_index("ix_step_runs_dossier_id", ["dossier_id"], unique=False)
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.drop_column("applicant_key")
