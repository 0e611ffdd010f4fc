"""internal audits (ISO 9001:2008 clause 8.2.2): auditors and their units, the yearly programme, audits with
their scope (units, processes, clauses), team, auditees, sessions and history; the private calendar feeds

Revision ID: 0010_audits
Revises: 0009_dossier_search
Create Date: 2026-11-22 18:20:00
"""
from alembic import op
import sqlalchemy as sa

import qms.dbtypes  # noqa: F401 - custom column types used by autogenerate


# revision identifiers, used by Alembic.
revision = "0010_audits"
down_revision = "0009_dossier_search"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_feed_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', qms.dbtypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audit_feed_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_feed_tokens')),
    sa.UniqueConstraint('token_sha256', name=op.f('uq_audit_feed_tokens_token_sha256')),
    sa.UniqueConstraint('user_id', name=op.f('uq_audit_feed_tokens_user_id'))
    )
    op.create_table('auditors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('certificate_issuer', sa.String(length=200), nullable=False),
    sa.Column('certificate_number', sa.String(length=60), nullable=False),
    sa.Column('certificate_on', sa.Date(), nullable=True),
    sa.Column('prior_audits', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', qms.dbtypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', qms.dbtypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint('prior_audits >= 0', name=op.f('ck_auditors_prior_audits_not_negative')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_auditors_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auditors')),
    sa.UniqueConstraint('user_id', name=op.f('uq_auditors_user_id'))
    )
    op.create_table('audit_programmes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('objectives', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'submitted', 'approved', name='programmestatus_enum', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('submitted_at', qms.dbtypes.UTCDateTime(), nullable=True),
    sa.Column('approved_at', qms.dbtypes.UTCDateTime(), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approver_capacity', sa.String(length=40), nullable=False),
    sa.Column('signature_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', qms.dbtypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', qms.dbtypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint("status <> 'approved' OR (approved_at IS NOT NULL AND approved_by_id IS NOT NULL AND signature_id IS NOT NULL)", name=op.f('ck_audit_programmes_approved_is_signed')),
    sa.CheckConstraint("status = 'draft' OR submitted_at IS NOT NULL", name=op.f('ck_audit_programmes_submitted_has_time')),
    sa.CheckConstraint('year BETWEEN 2000 AND 2100', name=op.f('ck_audit_programmes_year_range')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_audit_programmes_approved_by_id_users')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_audit_programmes_created_by_id_users')),
    sa.ForeignKeyConstraint(['signature_id'], ['signatures.id'], name=op.f('fk_audit_programmes_signature_id_signatures')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_programmes')),
    sa.UniqueConstraint('year', name=op.f('uq_audit_programmes_year'))
    )
    op.create_table('auditor_units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('auditor_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['auditor_id'], ['auditors.id'], name=op.f('fk_auditor_units_auditor_id_auditors')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_auditor_units_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auditor_units')),
    sa.UniqueConstraint('auditor_id', 'unit_id', name=op.f('uq_auditor_units_auditor_id_unit_id'))
    )
    with op.batch_alter_table('auditor_units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auditor_units_auditor_id'), ['auditor_id'], unique=False)

    op.create_table('audit_programme_transitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('from_state', sa.String(length=20), nullable=True),
    sa.Column('to_state', sa.String(length=20), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=120), nullable=False),
    sa.Column('at', qms.dbtypes.UTCDateTime(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_programme_transitions_actor_id_users')),
    sa.ForeignKeyConstraint(['programme_id'], ['audit_programmes.id'], name=op.f('fk_audit_programme_transitions_programme_id_audit_programmes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_programme_transitions'))
    )
    with op.batch_alter_table('audit_programme_transitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_programme_transitions_programme_id'), ['programme_id'], unique=False)

    op.create_table('audits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('status', sa.Enum('planned', 'notified', 'in_progress', 'reported', 'closed', name='auditstatus_enum', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('planned_start', sa.Date(), nullable=False),
    sa.Column('planned_end', sa.Date(), nullable=False),
    sa.Column('objectives', sa.Text(), nullable=False),
    sa.Column('criteria', sa.Text(), nullable=False),
    sa.Column('lead_auditor_id', sa.Integer(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('conclusion', sa.Text(), nullable=False),
    sa.Column('notified_at', qms.dbtypes.UTCDateTime(), nullable=True),
    sa.Column('started_at', qms.dbtypes.UTCDateTime(), nullable=True),
    sa.Column('reported_at', qms.dbtypes.UTCDateTime(), nullable=True),
    sa.Column('closed_at', qms.dbtypes.UTCDateTime(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', qms.dbtypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', qms.dbtypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint("status <> 'closed' OR closed_at IS NOT NULL", name=op.f('ck_audits_closed_has_time')),
    sa.CheckConstraint("status = 'planned' OR lead_auditor_id IS NOT NULL", name=op.f('ck_audits_notified_has_lead')),
    sa.CheckConstraint("status = 'planned' OR notified_at IS NOT NULL", name=op.f('ck_audits_notified_has_time')),
    sa.CheckConstraint("status NOT IN ('in_progress', 'reported', 'closed') OR started_at IS NOT NULL", name=op.f('ck_audits_started_has_time')),
    sa.CheckConstraint("status NOT IN ('reported', 'closed') OR reported_at IS NOT NULL", name=op.f('ck_audits_reported_has_time')),
    sa.CheckConstraint('planned_end >= planned_start', name=op.f('ck_audits_dates_in_order')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_audits_created_by_id_users')),
    sa.ForeignKeyConstraint(['lead_auditor_id'], ['auditors.id'], name=op.f('fk_audits_lead_auditor_id_auditors')),
    sa.ForeignKeyConstraint(['programme_id'], ['audit_programmes.id'], name=op.f('fk_audits_programme_id_audit_programmes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audits')),
    sa.UniqueConstraint('code', name=op.f('uq_audits_code'))
    )
    with op.batch_alter_table('audits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audits_planned_start'), ['planned_start'], unique=False)
        batch_op.create_index(batch_op.f('ix_audits_programme_id'), ['programme_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audits_status'), ['status'], unique=False)

    op.create_table('audit_auditees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['audit_id'], ['audits.id'], name=op.f('fk_audit_auditees_audit_id_audits')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audit_auditees_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_auditees')),
    sa.UniqueConstraint('audit_id', 'user_id', name=op.f('uq_audit_auditees_audit_id_user_id'))
    )
    with op.batch_alter_table('audit_auditees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_auditees_audit_id'), ['audit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_auditees_user_id'), ['user_id'], unique=False)

    op.create_table('audit_clauses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=False),
    sa.Column('clause_code', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['audit_id'], ['audits.id'], name=op.f('fk_audit_clauses_audit_id_audits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_clauses')),
    sa.UniqueConstraint('audit_id', 'clause_code', name=op.f('uq_audit_clauses_audit_id_clause_code'))
    )
    with op.batch_alter_table('audit_clauses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_clauses_audit_id'), ['audit_id'], unique=False)

    op.create_table('audit_processes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=False),
    sa.Column('procedure_id', sa.Integer(), nullable=True),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(procedure_id IS NULL) <> (document_id IS NULL)', name=op.f('ck_audit_processes_procedure_or_document')),
    sa.ForeignKeyConstraint(['audit_id'], ['audits.id'], name=op.f('fk_audit_processes_audit_id_audits')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_audit_processes_document_id_documents')),
    sa.ForeignKeyConstraint(['procedure_id'], ['administrative_procedures.id'], name=op.f('fk_audit_processes_procedure_id_administrative_procedures')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_processes')),
    sa.UniqueConstraint('audit_id', 'document_id', name=op.f('uq_audit_processes_audit_id_document_id')),
    sa.UniqueConstraint('audit_id', 'procedure_id', name=op.f('uq_audit_processes_audit_id_procedure_id'))
    )
    with op.batch_alter_table('audit_processes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_processes_audit_id'), ['audit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_processes_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_processes_procedure_id'), ['procedure_id'], unique=False)

    op.create_table('audit_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', qms.dbtypes.UTCDateTime(), nullable=False),
    sa.Column('ends_at', qms.dbtypes.UTCDateTime(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('topic', sa.String(length=300), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_audit_sessions_ends_after_start')),
    sa.ForeignKeyConstraint(['audit_id'], ['audits.id'], name=op.f('fk_audit_sessions_audit_id_audits')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_audit_sessions_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_sessions'))
    )
    with op.batch_alter_table('audit_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_sessions_audit_id'), ['audit_id'], unique=False)

    op.create_table('audit_team_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=False),
    sa.Column('auditor_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('lead', 'member', name='teamrole_enum', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.ForeignKeyConstraint(['audit_id'], ['audits.id'], name=op.f('fk_audit_team_members_audit_id_audits')),
    sa.ForeignKeyConstraint(['auditor_id'], ['auditors.id'], name=op.f('fk_audit_team_members_auditor_id_auditors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_team_members')),
    sa.UniqueConstraint('audit_id', 'auditor_id', name=op.f('uq_audit_team_members_audit_id_auditor_id'))
    )
    with op.batch_alter_table('audit_team_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_team_members_audit_id'), ['audit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_team_members_auditor_id'), ['auditor_id'], unique=False)
        batch_op.create_index('uq_audit_team_members_one_lead', ['audit_id'], unique=True, sqlite_where=sa.text("role = 'lead'"), postgresql_where=sa.text("role = 'lead'"))

    op.create_table('audit_transitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('from_state', sa.String(length=20), nullable=True),
    sa.Column('to_state', sa.String(length=20), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=120), nullable=False),
    sa.Column('at', qms.dbtypes.UTCDateTime(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_transitions_actor_id_users')),
    sa.ForeignKeyConstraint(['audit_id'], ['audits.id'], name=op.f('fk_audit_transitions_audit_id_audits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_transitions'))
    )
    with op.batch_alter_table('audit_transitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_transitions_audit_id'), ['audit_id'], unique=False)

    op.create_table('audit_units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['audit_id'], ['audits.id'], name=op.f('fk_audit_units_audit_id_audits')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_audit_units_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_units')),
    sa.UniqueConstraint('audit_id', 'unit_id', name=op.f('uq_audit_units_audit_id_unit_id'))
    )
    with op.batch_alter_table('audit_units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_units_audit_id'), ['audit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_units_unit_id'), ['unit_id'], unique=False)



def downgrade():
    with op.batch_alter_table('audit_units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_units_unit_id'))
        batch_op.drop_index(batch_op.f('ix_audit_units_audit_id'))

    op.drop_table('audit_units')
    with op.batch_alter_table('audit_transitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_transitions_audit_id'))

    op.drop_table('audit_transitions')
    with op.batch_alter_table('audit_team_members', schema=None) as batch_op:
        batch_op.drop_index('uq_audit_team_members_one_lead', sqlite_where=sa.text("role = 'lead'"), postgresql_where=sa.text("role = 'lead'"))
        batch_op.drop_index(batch_op.f('ix_audit_team_members_auditor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_team_members_audit_id'))

    op.drop_table('audit_team_members')
    with op.batch_alter_table('audit_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_sessions_audit_id'))

    op.drop_table('audit_sessions')
    with op.batch_alter_table('audit_processes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_processes_procedure_id'))
        batch_op.drop_index(batch_op.f('ix_audit_processes_document_id'))
        batch_op.drop_index(batch_op.f('ix_audit_processes_audit_id'))

    op.drop_table('audit_processes')
    with op.batch_alter_table('audit_clauses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_clauses_audit_id'))

    op.drop_table('audit_clauses')
    with op.batch_alter_table('audit_auditees', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_auditees_user_id'))
        batch_op.drop_index(batch_op.f('ix_audit_auditees_audit_id'))

    op.drop_table('audit_auditees')
    with op.batch_alter_table('audits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audits_status'))
        batch_op.drop_index(batch_op.f('ix_audits_programme_id'))
        batch_op.drop_index(batch_op.f('ix_audits_planned_start'))

    op.drop_table('audits')
    with op.batch_alter_table('audit_programme_transitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_programme_transitions_programme_id'))

    op.drop_table('audit_programme_transitions')
    with op.batch_alter_table('auditor_units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auditor_units_auditor_id'))

    op.drop_table('auditor_units')
    op.drop_table('audit_programmes')
    op.drop_table('auditors')
    op.drop_table('audit_feed_tokens')
