"""Password links remember being used to set a password (as opposed to being replaced or cancelled),
and when their holder was told that someone else's link set it. Links used before this revision
cannot be told apart from cancelled ones, so they stay empty: nobody is told about an old use.

Revision ID: b6d2e8f41c93
Revises: a3e9f1c07b52
Create Date: 2026-12-02 10:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b6d2e8f41c93'
down_revision = 'a3e9f1c07b52'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('password_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_set_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('holder_told_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('password_links', schema=None) as batch_op:
        batch_op.drop_column('holder_told_at')
        batch_op.drop_column('password_set_at')
