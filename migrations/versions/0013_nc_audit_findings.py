"""a nonconformity's audit finding becomes a real key, and one finding has at most one nonconformity

Revision ID: 0013_nc_audit_findings
Revises: 0012_nonconformities
Create Date: 2026-11-22 18:53:30

``nonconformities.audit_finding_id`` was a bare integer while audits and nonconformities were built
apart; it now references ``audit_findings`` and is unique (the unique constraint replaces the plain
index). SQLite rebuilds the table (batch mode): its CHECK constraints are reflected and copied; the
foreign keys are switched off during the rebuild (dropping the old table would otherwise break the keys
of the actions, evidence and checks of existing nonconformities) and checked all at once after it.
"""
from contextlib import contextmanager

from alembic import op

import qms.dbtypes  # noqa: F401 - custom column types used by autogenerate


# revision identifiers, used by Alembic.
revision = '0013_nc_audit_findings'
down_revision = '0012_nonconformities'
branch_labels = None
depends_on = None

FINDING_KEY = 'fk_nonconformities_audit_finding_id_audit_findings'
ONE_PER_FINDING = 'uq_nonconformities_audit_finding_id'


@contextmanager
def _sqlite_keys_checked_after():
    """On SQLite, rebuild the table with the foreign keys off, then check every key at once."""
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        op.execute('PRAGMA foreign_keys = OFF')
    yield
    if sqlite:
        broken = op.get_bind().exec_driver_sql('PRAGMA foreign_key_check').fetchall()
        op.execute('PRAGMA foreign_keys = ON')
        if broken:
            raise RuntimeError(f'foreign keys broken by the rebuild of nonconformities: {broken}')


def upgrade():
    with _sqlite_keys_checked_after(), op.batch_alter_table('nonconformities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nonconformities_audit_finding_id'))
        batch_op.create_unique_constraint(ONE_PER_FINDING, ['audit_finding_id'])
        batch_op.create_foreign_key(FINDING_KEY, 'audit_findings', ['audit_finding_id'], ['id'])


def downgrade():
    with _sqlite_keys_checked_after(), op.batch_alter_table('nonconformities', schema=None) as batch_op:
        batch_op.drop_constraint(FINDING_KEY, type_='foreignkey')
        batch_op.drop_constraint(ONE_PER_FINDING, type_='unique')
        batch_op.create_index(batch_op.f('ix_nonconformities_audit_finding_id'), ['audit_finding_id'], unique=False)
