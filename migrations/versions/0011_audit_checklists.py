"""audit checklists (ISO 9001:2008 clause 8.2.2): reusable templates, each audit's questions with their
evidence, answers, sampled dossier codes and attachments; findings with the auditee's acknowledgement

Revision ID: 0011_audit_checklists
Revises: 0010_audits
Create Date: 2026-11-22 18:02:45
"""
from alembic import op
import sqlalchemy as sa

import qms.dbtypes  # noqa: F401 - custom column types used by autogenerate


# revision identifiers, used by Alembic.
revision = "0011_audit_checklists"
down_revision = "0010_audits"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('checklist_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', qms.dbtypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', qms.dbtypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_checklist_templates_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_templates')),
    sa.UniqueConstraint('name', name=op.f('uq_checklist_templates_name'))
    )
    op.create_table('checklist_template_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('clause_code', sa.String(length=10), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('guidance', sa.Text(), nullable=False),
    sa.CheckConstraint('length(text) > 0', name=op.f('ck_checklist_template_questions_text_not_empty')),
    sa.ForeignKeyConstraint(['template_id'], ['checklist_templates.id'], name=op.f('fk_checklist_template_questions_template_id_checklist_templates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_template_questions')),
    sa.UniqueConstraint('template_id', 'position', name=op.f('uq_checklist_template_questions_template_id_position'))
    )
    with op.batch_alter_table('checklist_template_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklist_template_questions_template_id'), ['template_id'], unique=False)

    op.create_table('checklist_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('source', sa.Enum('clause', 'procedure', 'document', 'template', 'manual', name='questionsource_enum', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('clause_code', sa.String(length=10), nullable=False),
    sa.Column('procedure_id', sa.Integer(), nullable=True),
    sa.Column('step_id', sa.Integer(), nullable=True),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('template_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('guidance', sa.Text(), nullable=False),
    sa.Column('evidence_hint', sa.Text(), nullable=False),
    sa.Column('is_flagged', sa.Boolean(), nullable=False),
    sa.Column('result', sa.Enum('conforming', 'nonconformity', 'observation', 'not_applicable', name='questionresult_enum', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('sampled_codes', sa.Text(), nullable=False),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', qms.dbtypes.UTCDateTime(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', qms.dbtypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint('(result IS NULL) = (answered_at IS NULL) AND (result IS NULL) = (answered_by_id IS NULL)', name=op.f('ck_checklist_questions_answer_has_who_and_when')),
    sa.CheckConstraint('length(text) > 0', name=op.f('ck_checklist_questions_text_not_empty')),
    sa.CheckConstraint('step_id IS NULL OR procedure_id IS NOT NULL', name=op.f('ck_checklist_questions_step_has_procedure')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_checklist_questions_answered_by_id_users')),
    sa.ForeignKeyConstraint(['audit_id'], ['audits.id'], name=op.f('fk_checklist_questions_audit_id_audits')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_checklist_questions_created_by_id_users')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_checklist_questions_document_id_documents')),
    sa.ForeignKeyConstraint(['procedure_id'], ['administrative_procedures.id'], name=op.f('fk_checklist_questions_procedure_id_administrative_procedures')),
    sa.ForeignKeyConstraint(['step_id'], ['process_steps.id'], name=op.f('fk_checklist_questions_step_id_process_steps')),
    sa.ForeignKeyConstraint(['template_id'], ['checklist_templates.id'], name=op.f('fk_checklist_questions_template_id_checklist_templates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_questions')),
    sa.UniqueConstraint('audit_id', 'position', name=op.f('uq_checklist_questions_audit_id_position'))
    )
    with op.batch_alter_table('checklist_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklist_questions_audit_id'), ['audit_id'], unique=False)

    op.create_table('audit_findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('major_nc', 'minor_nc', 'observation', 'strength', name='findingkind_enum', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('clause_code', sa.String(length=10), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('procedure_id', sa.Integer(), nullable=True),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('requirement', sa.Text(), nullable=False),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('acknowledged_at', qms.dbtypes.UTCDateTime(), nullable=True),
    sa.Column('auditee_comment', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', qms.dbtypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', qms.dbtypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint('(acknowledged_by_id IS NULL) = (acknowledged_at IS NULL)', name=op.f('ck_audit_findings_acknowledged_has_time')),
    sa.CheckConstraint('length(statement) > 0', name=op.f('ck_audit_findings_statement_not_empty')),
    sa.CheckConstraint('number >= 1', name=op.f('ck_audit_findings_number_positive')),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['users.id'], name=op.f('fk_audit_findings_acknowledged_by_id_users')),
    sa.ForeignKeyConstraint(['audit_id'], ['audits.id'], name=op.f('fk_audit_findings_audit_id_audits')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_audit_findings_created_by_id_users')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_audit_findings_document_id_documents')),
    sa.ForeignKeyConstraint(['procedure_id'], ['administrative_procedures.id'], name=op.f('fk_audit_findings_procedure_id_administrative_procedures')),
    sa.ForeignKeyConstraint(['question_id'], ['checklist_questions.id'], name=op.f('fk_audit_findings_question_id_checklist_questions')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_audit_findings_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_findings')),
    sa.UniqueConstraint('audit_id', 'number', name=op.f('uq_audit_findings_audit_id_number'))
    )
    with op.batch_alter_table('audit_findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_findings_audit_id'), ['audit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_findings_question_id'), ['question_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_findings_unit_id'), ['unit_id'], unique=False)

    op.create_table('checklist_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', qms.dbtypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['file_id'], ['stored_files.id'], name=op.f('fk_checklist_attachments_file_id_stored_files')),
    sa.ForeignKeyConstraint(['question_id'], ['checklist_questions.id'], name=op.f('fk_checklist_attachments_question_id_checklist_questions')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_checklist_attachments_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_attachments')),
    sa.UniqueConstraint('question_id', 'file_id', name=op.f('uq_checklist_attachments_question_id_file_id'))
    )
    with op.batch_alter_table('checklist_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklist_attachments_question_id'), ['question_id'], unique=False)


def downgrade():
    with op.batch_alter_table('checklist_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checklist_attachments_question_id'))

    op.drop_table('checklist_attachments')
    with op.batch_alter_table('audit_findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_findings_unit_id'))
        batch_op.drop_index(batch_op.f('ix_audit_findings_question_id'))
        batch_op.drop_index(batch_op.f('ix_audit_findings_audit_id'))

    op.drop_table('audit_findings')
    with op.batch_alter_table('checklist_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checklist_questions_audit_id'))

    op.drop_table('checklist_questions')
    with op.batch_alter_table('checklist_template_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checklist_template_questions_template_id'))

    op.drop_table('checklist_template_questions')
    op.drop_table('checklist_templates')
