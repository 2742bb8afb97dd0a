"""Reflections carry their moment's family, indexed with their time: a carer's home reads the
family's newest reflections without walking the whole service's.

Revision ID: e1334712e6c5
Revises: e83a6f38df0a
Create Date: 2026-11-26 01:44:54.076407

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e1334712e6c5'
down_revision = 'e83a6f38df0a'
branch_labels = None
depends_on = None


def upgrade():
    # Added empty, filled from each reflection's moment, then required.
    with op.batch_alter_table('reflections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('family_id', sa.Integer(), nullable=True))
    op.execute(
        "UPDATE reflections SET family_id = "
        "(SELECT moments.family_id FROM moments WHERE moments.id = reflections.moment_id)"
    )
    with op.batch_alter_table('reflections', schema=None) as batch_op:
        batch_op.alter_column('family_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_index(batch_op.f('ix_reflections_created_at'))
        batch_op.create_index('ix_reflections_family_created', ['family_id', 'created_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_reflections_family_id_families'), 'families', ['family_id'], ['id'],
                                    ondelete='CASCADE')


def downgrade():
    with op.batch_alter_table('reflections', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_reflections_family_id_families'), type_='foreignkey')
        batch_op.drop_index('ix_reflections_family_created')
        batch_op.create_index(batch_op.f('ix_reflections_created_at'), ['created_at'], unique=False)
        batch_op.drop_column('family_id')
