"""Languages: the languages a service offers, each person's own time zone, and the language a moment
was written in.

Revision ID: c5e1a9d3f7b2
Revises: b8f3e6a1c2d4
Create Date: 2026-12-02 03:40:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c5e1a9d3f7b2'
down_revision = 'b8f3e6a1c2d4'
branch_labels = None
depends_on = None

# Every language the app has a catalog for when this migration was written: a service starts by
# offering them all, and its admin chooses (Admin > Settings).
ALL_LANGUAGES = "en pl ro es ar ur bn so cy"


def upgrade():
    op.add_column('service_settings', sa.Column('offered_languages', sa.String(length=100), nullable=False,
                                                server_default=ALL_LANGUAGES))
    op.add_column('users', sa.Column('timezone', sa.String(length=64), nullable=True))
    op.add_column('moments', sa.Column('lang', sa.String(length=35), nullable=True))


def downgrade():
    with op.batch_alter_table('moments') as batch_op:
        batch_op.drop_column('lang')
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('timezone')
    with op.batch_alter_table('service_settings') as batch_op:
        batch_op.drop_column('offered_languages')
