"""Closing a case: when a family was archived, and how long the service keeps closed cases.

Revision ID: d4a7c2e91f05
Revises: 0fb74760b5de
Create Date: 2026-12-01 22:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd4a7c2e91f05'
down_revision = '0fb74760b5de'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('families', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('service_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention_years', sa.Integer(), server_default='25', nullable=False))


def downgrade():
    with op.batch_alter_table('service_settings', schema=None) as batch_op:
        batch_op.drop_column('retention_years')
    with op.batch_alter_table('families', schema=None) as batch_op:
        batch_op.drop_column('archived_at')
