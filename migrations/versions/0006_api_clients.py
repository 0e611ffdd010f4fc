"""client systems of the ingest API (token hashes)

Revision ID: 0006_api_clients
Revises: 0005_dossiers
Create Date: 2026-11-22 15:32:13.389664

"""
from alembic import op
import sqlalchemy as sa

import qms.dbtypes  # noqa: F401 - custom column types used by autogenerate


# revision identifiers, used by Alembic.
revision = "0006_api_clients"
down_revision = '0005_dossiers'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_clients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('token_prefix', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', qms.dbtypes.UTCDateTime(), nullable=False),
    sa.Column('last_used_at', qms.dbtypes.UTCDateTime(), nullable=True),
    sa.Column('revoked_at', qms.dbtypes.UTCDateTime(), nullable=True),
    sa.CheckConstraint('revoked_at IS NULL OR revoked_at >= created_at', name=op.f('ck_api_clients_revoked_after_creation')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_api_clients_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_clients')),
    sa.UniqueConstraint('name', name=op.f('uq_api_clients_name')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_clients_token_hash'))
    )


def downgrade():
    op.drop_table('api_clients')
