"""Confidence check-ins (questions, check-ins, answers), how often the service offers them, and the
carers' choice of whether their family and friends see the therapist's name.

Revision ID: fa064d77e754
Revises: b6d2e8f41c93
Create Date: 2026-12-01 20:17:32.050709

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'fa064d77e754'
down_revision = 'b6d2e8f41c93'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('check_in_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=True),
    sa.Column('custom_text', sa.String(length=150), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('replaces_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['replaces_id'], ['check_in_questions.id'], name=op.f('fk_check_in_questions_replaces_id_check_in_questions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_in_questions'))
    )
    op.create_table('check_ins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('family_id', sa.Integer(), nullable=False),
    sa.Column('carer_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['carer_id'], ['users.id'], name=op.f('fk_check_ins_carer_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['family_id'], ['families.id'], name=op.f('fk_check_ins_family_id_families'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_ins'))
    )
    with op.batch_alter_table('check_ins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_check_ins_carer_id'), ['carer_id'], unique=False)
        batch_op.create_index('ix_check_ins_family_carer_created', ['family_id', 'carer_id', 'created_at'], unique=False)

    op.create_table('check_in_answers',
    sa.Column('check_in_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.SmallInteger(), nullable=False),
    sa.CheckConstraint('step BETWEEN 1 AND 5', name=op.f('ck_check_in_answers_step')),
    sa.ForeignKeyConstraint(['check_in_id'], ['check_ins.id'], name=op.f('fk_check_in_answers_check_in_id_check_ins'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['check_in_questions.id'], name=op.f('fk_check_in_answers_question_id_check_in_questions'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('check_in_id', 'question_id', name=op.f('pk_check_in_answers'))
    )
    with op.batch_alter_table('check_in_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_check_in_answers_question_id'), ['question_id'], unique=False)

    with op.batch_alter_table('families', schema=None) as batch_op:
        batch_op.add_column(sa.Column('viewers_see_therapist', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('service_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('check_in_every_days', sa.Integer(), server_default='14', nullable=False))



def downgrade():
    with op.batch_alter_table('service_settings', schema=None) as batch_op:
        batch_op.drop_column('check_in_every_days')

    with op.batch_alter_table('families', schema=None) as batch_op:
        batch_op.drop_column('viewers_see_therapist')

    with op.batch_alter_table('check_in_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_check_in_answers_question_id'))

    op.drop_table('check_in_answers')
    with op.batch_alter_table('check_ins', schema=None) as batch_op:
        batch_op.drop_index('ix_check_ins_family_carer_created')
        batch_op.drop_index(batch_op.f('ix_check_ins_carer_id'))

    op.drop_table('check_ins')
    op.drop_table('check_in_questions')
