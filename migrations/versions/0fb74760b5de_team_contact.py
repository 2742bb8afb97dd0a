"""The service's own team on the Help page: its name, phone and when someone answers (each optional).

Revision ID: 0fb74760b5de
Revises: fa064d77e754
Create Date: 2026-12-01 21:06:01.365811

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0fb74760b5de'
down_revision = 'fa064d77e754'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('service_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('team_name', sa.String(length=80), server_default='', nullable=False))
        batch_op.add_column(sa.Column('team_phone', sa.String(length=30), server_default='', nullable=False))
        batch_op.add_column(sa.Column('team_hours', sa.String(length=120), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('service_settings', schema=None) as batch_op:
        batch_op.drop_column('team_hours')
        batch_op.drop_column('team_phone')
        batch_op.drop_column('team_name')

