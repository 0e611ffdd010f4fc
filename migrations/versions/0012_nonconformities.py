"""nonconformities, their evidence, analysis, corrective / preventive actions, effectiveness checks and rules

Revision ID: 0012_nonconformities
Revises: 0011_audit_checklists
Create Date: 2026-11-22 18:01:09

``nonconformities`` and ``effectiveness_checks`` reference each other (a closed nonconformity names
its effective check). SQLite accepts the key to a table not created yet; PostgreSQL gets it once both
tables exist. The audits branch puts 0010/0011 between 0009 and this revision when it is merged.
"""
from alembic import op
import sqlalchemy as sa

import qms.dbtypes  # noqa: F401 - custom column types used by autogenerate


# revision identifiers, used by Alembic.
revision = '0012_nonconformities'
down_revision = '0011_audit_checklists'
branch_labels = None
depends_on = None


CLOSED_CHECK_COLUMNS = ['closed_check_id', 'id', 'closed_check_is_effective']
CHECK_COLUMNS = ['id', 'nc_id', 'is_effective']


def _sqlite() -> bool:
    return op.get_bind().dialect.name == 'sqlite'


def _closed_check_key():
    return sa.ForeignKeyConstraint(CLOSED_CHECK_COLUMNS, [f'effectiveness_checks.{c}' for c in CHECK_COLUMNS],
                                   name='fk_nonconformities_closed_check')


def upgrade():
    op.create_table('nonconformity_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('raise_on_late_dossier', sa.Boolean(), nullable=False),
    sa.Column('raise_on_late_step', sa.Boolean(), nullable=False),
    sa.Column('late_step_margin_hours', sa.Integer(), nullable=False),
    sa.Column('grouping_window_days', sa.Integer(), nullable=False),
    sa.Column('default_severity', sa.Enum('major', 'minor', name='severity_enum', native_enum=False, create_constraint=True, length=10), nullable=False),
    sa.Column('effectiveness_after_working_days', sa.Integer(), nullable=False),
    sa.Column('reminder_lead_working_days', sa.Integer(), nullable=False),
    sa.Column('escalate_unit_head_after_working_days', sa.Integer(), nullable=False),
    sa.Column('escalate_director_after_working_days', sa.Integer(), nullable=False),
    sa.Column('default_action_working_days', sa.Integer(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', qms.dbtypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint('effectiveness_after_working_days >= 0 AND reminder_lead_working_days >= 0 AND escalate_unit_head_after_working_days >= 0 AND escalate_director_after_working_days >= 0 AND default_action_working_days >= 1', name=op.f('ck_nonconformity_rules_working_days_not_negative')),
    sa.CheckConstraint('grouping_window_days >= 0', name=op.f('ck_nonconformity_rules_window_not_negative')),
    sa.CheckConstraint('id = 1', name=op.f('ck_nonconformity_rules_single_row')),
    sa.CheckConstraint('late_step_margin_hours >= 0', name=op.f('ck_nonconformity_rules_margin_not_negative')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_nonconformity_rules_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nonconformity_rules'))
    )
    op.create_table('nonconformities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('source', sa.Enum('audit_finding', 'external_inspection', 'late_dossier', 'complaint', 'monitoring', 'management_review', 'staff', name='ncsource_enum', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('source_ref', sa.String(length=120), nullable=False),
    sa.Column('audit_finding_id', sa.Integer(), nullable=True),
    sa.Column('severity', sa.Enum('major', 'minor', name='severity_enum', native_enum=False, create_constraint=True, length=10), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('procedure_id', sa.Integer(), nullable=True),
    sa.Column('step_id', sa.Integer(), nullable=True),
    sa.Column('clause', sa.String(length=20), nullable=False),
    sa.Column('status', sa.Enum('new', 'analysis', 'action_plan', 'approved', 'in_progress', 'effectiveness_check', 'closed', 'rejected', 'duplicate', name='ncstatus_enum', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=False),
    sa.Column('duplicate_of_id', sa.Integer(), nullable=True),
    sa.Column('correction', sa.Text(), nullable=False),
    sa.Column('correction_by_id', sa.Integer(), nullable=True),
    sa.Column('correction_at', qms.dbtypes.UTCDateTime(), nullable=True),
    sa.Column('root_cause', sa.Text(), nullable=False),
    sa.Column('plan_approved_by_id', sa.Integer(), nullable=True),
    sa.Column('plan_approved_at', qms.dbtypes.UTCDateTime(), nullable=True),
    sa.Column('plan_comment', sa.Text(), nullable=False),
    sa.Column('effectiveness_due_on', sa.Date(), nullable=True),
    sa.Column('raised_by_id', sa.Integer(), nullable=True),
    sa.Column('raised_at', qms.dbtypes.UTCDateTime(), nullable=False),
    sa.Column('closed_at', qms.dbtypes.UTCDateTime(), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('is_closed', sa.Boolean(), nullable=False),
    sa.Column('closed_check_id', sa.Integer(), nullable=True),
    sa.Column('closed_check_is_effective', sa.Boolean(), nullable=True),
    sa.Column('updated_at', qms.dbtypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint("(status = 'closed' AND is_closed) OR (status <> 'closed' AND NOT is_closed)", name=op.f('ck_nonconformities_is_closed_matches_status')),
    sa.CheckConstraint("status <> 'closed' OR (closed_check_id IS NOT NULL AND closed_check_is_effective AND closed_at IS NOT NULL AND closed_by_id IS NOT NULL)", name=op.f('ck_nonconformities_closed_needs_effective_check')),
    sa.CheckConstraint("status <> 'duplicate' OR duplicate_of_id IS NOT NULL", name=op.f('ck_nonconformities_duplicate_names_original')),
    sa.CheckConstraint("status NOT IN ('approved', 'in_progress', 'effectiveness_check', 'closed') OR (plan_approved_by_id IS NOT NULL AND plan_approved_at IS NOT NULL)", name=op.f('ck_nonconformities_approved_plan_signed')),
    sa.CheckConstraint("status NOT IN ('rejected', 'duplicate') OR length(status_reason) > 0", name=op.f('ck_nonconformities_ended_has_reason')),
    sa.CheckConstraint('duplicate_of_id IS NULL OR duplicate_of_id <> id', name=op.f('ck_nonconformities_not_own_duplicate')),
    sa.CheckConstraint('step_id IS NULL OR procedure_id IS NOT NULL', name=op.f('ck_nonconformities_step_needs_procedure')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_nonconformities_closed_by_id_users')),
    sa.ForeignKeyConstraint(['correction_by_id'], ['users.id'], name=op.f('fk_nonconformities_correction_by_id_users')),
    sa.ForeignKeyConstraint(['duplicate_of_id'], ['nonconformities.id'], name=op.f('fk_nonconformities_duplicate_of_id_nonconformities')),
    sa.ForeignKeyConstraint(['plan_approved_by_id'], ['users.id'], name=op.f('fk_nonconformities_plan_approved_by_id_users')),
    sa.ForeignKeyConstraint(['procedure_id'], ['administrative_procedures.id'], name=op.f('fk_nonconformities_procedure_id_administrative_procedures')),
    sa.ForeignKeyConstraint(['raised_by_id'], ['users.id'], name=op.f('fk_nonconformities_raised_by_id_users')),
    sa.ForeignKeyConstraint(['step_id'], ['process_steps.id'], name=op.f('fk_nonconformities_step_id_process_steps')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_nonconformities_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nonconformities')),
    sa.UniqueConstraint('code', name=op.f('uq_nonconformities_code')),
    sa.UniqueConstraint('id', 'is_closed', name='uq_nonconformities_id_is_closed'),
    *([_closed_check_key()] if _sqlite() else []),
    )
    with op.batch_alter_table('nonconformities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nonconformities_audit_finding_id'), ['audit_finding_id'], unique=False)
        batch_op.create_index('ix_nonconformities_procedure_step', ['procedure_id', 'step_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_nonconformities_source'), ['source'], unique=False)
        batch_op.create_index(batch_op.f('ix_nonconformities_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_nonconformities_unit_id'), ['unit_id'], unique=False)

    op.create_table('corrective_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nc_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('correction', 'corrective', 'preventive', name='actionkind_enum', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('working_days', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('done_criteria', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('open', 'done', 'cancelled', name='actionstatus_enum', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('nc_open_guard', sa.Boolean(), nullable=True),
    sa.Column('completed_at', qms.dbtypes.UTCDateTime(), nullable=True),
    sa.Column('completed_by_id', sa.Integer(), nullable=True),
    sa.Column('change_request_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', qms.dbtypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint("(status = 'open' AND nc_open_guard IS NOT NULL AND NOT nc_open_guard) OR (status <> 'open' AND nc_open_guard IS NULL)", name=op.f('ck_corrective_actions_open_guard_matches_status')),
    sa.CheckConstraint("status <> 'done' OR completed_at IS NOT NULL", name=op.f('ck_corrective_actions_done_has_date')),
    sa.CheckConstraint('length(description) > 0', name=op.f('ck_corrective_actions_action_has_description')),
    sa.CheckConstraint('working_days >= 0', name=op.f('ck_corrective_actions_working_days_not_negative')),
    sa.ForeignKeyConstraint(['change_request_id'], ['change_requests.id'], name=op.f('fk_corrective_actions_change_request_id_change_requests')),
    sa.ForeignKeyConstraint(['completed_by_id'], ['users.id'], name=op.f('fk_corrective_actions_completed_by_id_users')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_corrective_actions_created_by_id_users')),
    sa.ForeignKeyConstraint(['nc_id', 'nc_open_guard'], ['nonconformities.id', 'nonconformities.is_closed'], name='fk_corrective_actions_open_guard'),
    sa.ForeignKeyConstraint(['nc_id'], ['nonconformities.id'], name=op.f('fk_corrective_actions_nc_id_nonconformities')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_corrective_actions_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_corrective_actions'))
    )
    with op.batch_alter_table('corrective_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_corrective_actions_nc_id'), ['nc_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_corrective_actions_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_corrective_actions_status'), ['status'], unique=False)

    op.create_table('effectiveness_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nc_id', sa.Integer(), nullable=False),
    sa.Column('checked_by_id', sa.Integer(), nullable=False),
    sa.Column('checked_at', qms.dbtypes.UTCDateTime(), nullable=False),
    sa.Column('is_effective', sa.Boolean(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.CheckConstraint('length(comment) > 0', name=op.f('ck_effectiveness_checks_check_has_comment')),
    sa.ForeignKeyConstraint(['checked_by_id'], ['users.id'], name=op.f('fk_effectiveness_checks_checked_by_id_users')),
    sa.ForeignKeyConstraint(['file_id'], ['stored_files.id'], name=op.f('fk_effectiveness_checks_file_id_stored_files')),
    sa.ForeignKeyConstraint(['nc_id'], ['nonconformities.id'], name=op.f('fk_effectiveness_checks_nc_id_nonconformities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_effectiveness_checks')),
    sa.UniqueConstraint('id', 'nc_id', 'is_effective', name='uq_effectiveness_checks_id_nc_effective')
    )
    with op.batch_alter_table('effectiveness_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_effectiveness_checks_nc_id'), ['nc_id'], unique=False)
    if not _sqlite():
        op.create_foreign_key('fk_nonconformities_closed_check', 'nonconformities', 'effectiveness_checks',
                              CLOSED_CHECK_COLUMNS, CHECK_COLUMNS)

    op.create_table('nonconformity_causes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nc_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.Enum('people', 'method', 'equipment_it', 'documents_inputs', 'environment', 'measurement', name='causecategory_enum', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('is_root', sa.Boolean(), nullable=False),
    sa.CheckConstraint('length(text) > 0', name=op.f('ck_nonconformity_causes_cause_has_text')),
    sa.ForeignKeyConstraint(['nc_id'], ['nonconformities.id'], name=op.f('fk_nonconformity_causes_nc_id_nonconformities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nonconformity_causes'))
    )
    with op.batch_alter_table('nonconformity_causes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nonconformity_causes_nc_id'), ['nc_id'], unique=False)

    op.create_table('nonconformity_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nc_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('dossier', 'file', 'note', 'finding', name='evidencekind_enum', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=True),
    sa.Column('step_run_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('added_at', qms.dbtypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint("kind <> 'dossier' OR dossier_id IS NOT NULL", name=op.f('ck_nonconformity_evidence_dossier_evidence_names_dossier')),
    sa.CheckConstraint("kind <> 'file' OR file_id IS NOT NULL", name=op.f('ck_nonconformity_evidence_file_evidence_has_file')),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_nonconformity_evidence_added_by_id_users')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_nonconformity_evidence_dossier_id_dossiers')),
    sa.ForeignKeyConstraint(['file_id'], ['stored_files.id'], name=op.f('fk_nonconformity_evidence_file_id_stored_files')),
    sa.ForeignKeyConstraint(['nc_id'], ['nonconformities.id'], name=op.f('fk_nonconformity_evidence_nc_id_nonconformities')),
    sa.ForeignKeyConstraint(['step_run_id'], ['step_runs.id'], name=op.f('fk_nonconformity_evidence_step_run_id_step_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nonconformity_evidence')),
    sa.UniqueConstraint('nc_id', 'dossier_id', name='uq_nonconformity_evidence_nc_dossier')
    )
    with op.batch_alter_table('nonconformity_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nonconformity_evidence_dossier_id'), ['dossier_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_nonconformity_evidence_nc_id'), ['nc_id'], unique=False)

    op.create_table('nonconformity_transitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nc_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('from_status', sa.String(length=30), nullable=True),
    sa.Column('to_status', sa.String(length=30), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=120), nullable=False),
    sa.Column('at', qms.dbtypes.UTCDateTime(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_nonconformity_transitions_actor_id_users')),
    sa.ForeignKeyConstraint(['nc_id'], ['nonconformities.id'], name=op.f('fk_nonconformity_transitions_nc_id_nonconformities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nonconformity_transitions'))
    )
    with op.batch_alter_table('nonconformity_transitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nonconformity_transitions_nc_id'), ['nc_id'], unique=False)

    op.create_table('nonconformity_whys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nc_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.CheckConstraint('position BETWEEN 1 AND 5', name=op.f('ck_nonconformity_whys_at_most_five_whys')),
    sa.ForeignKeyConstraint(['nc_id'], ['nonconformities.id'], name=op.f('fk_nonconformity_whys_nc_id_nonconformities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nonconformity_whys')),
    sa.UniqueConstraint('nc_id', 'position', name='uq_nonconformity_whys_position')
    )
    with op.batch_alter_table('nonconformity_whys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nonconformity_whys_nc_id'), ['nc_id'], unique=False)

    op.create_table('action_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('at', qms.dbtypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['action_id'], ['corrective_actions.id'], name=op.f('fk_action_progress_action_id_corrective_actions')),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_action_progress_by_id_users')),
    sa.ForeignKeyConstraint(['file_id'], ['stored_files.id'], name=op.f('fk_action_progress_file_id_stored_files')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_progress'))
    )
    with op.batch_alter_table('action_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_progress_action_id'), ['action_id'], unique=False)



def downgrade():
    if not _sqlite():
        op.drop_constraint('fk_nonconformities_closed_check', 'nonconformities', type_='foreignkey')
    with op.batch_alter_table('action_progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_progress_action_id'))

    op.drop_table('action_progress')
    with op.batch_alter_table('nonconformity_whys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nonconformity_whys_nc_id'))

    op.drop_table('nonconformity_whys')
    with op.batch_alter_table('nonconformity_transitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nonconformity_transitions_nc_id'))

    op.drop_table('nonconformity_transitions')
    with op.batch_alter_table('nonconformity_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nonconformity_evidence_nc_id'))
        batch_op.drop_index(batch_op.f('ix_nonconformity_evidence_dossier_id'))

    op.drop_table('nonconformity_evidence')
    with op.batch_alter_table('nonconformity_causes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nonconformity_causes_nc_id'))

    op.drop_table('nonconformity_causes')
    with op.batch_alter_table('effectiveness_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_effectiveness_checks_nc_id'))

    op.drop_table('effectiveness_checks')
    with op.batch_alter_table('corrective_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_corrective_actions_status'))
        batch_op.drop_index(batch_op.f('ix_corrective_actions_owner_id'))
        batch_op.drop_index(batch_op.f('ix_corrective_actions_nc_id'))

    op.drop_table('corrective_actions')
    with op.batch_alter_table('nonconformities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nonconformities_unit_id'))
        batch_op.drop_index(batch_op.f('ix_nonconformities_status'))
        batch_op.drop_index(batch_op.f('ix_nonconformities_source'))
        batch_op.drop_index('ix_nonconformities_procedure_step')
        batch_op.drop_index(batch_op.f('ix_nonconformities_audit_finding_id'))

    op.drop_table('nonconformities')
    op.drop_table('nonconformity_rules')
