"""Photos on moments: the re-encoded picture and its thumbnail, in the database, deleted with the moment.

Revision ID: b8f3e6a1c2d4
Revises: d4a7c2e91f05
Create Date: 2026-12-02 00:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b8f3e6a1c2d4'
down_revision = 'd4a7c2e91f05'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'moment_photos',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('public_id', sa.String(length=32), nullable=False),
        sa.Column('moment_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.SmallInteger(), nullable=False),
        sa.Column('description', sa.String(length=300), nullable=False),
        sa.Column('content_type', sa.String(length=30), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('thumbnail_width', sa.Integer(), nullable=False),
        sa.Column('thumbnail_height', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('thumbnail', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['moment_id'], ['moments.id'], name=op.f('fk_moment_photos_moment_id_moments'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_moment_photos')),
        sa.UniqueConstraint('public_id', name=op.f('uq_moment_photos_public_id')),
    )
    op.create_index('ix_moment_photos_moment_position', 'moment_photos', ['moment_id', 'position'], unique=False)


def downgrade():
    op.drop_index('ix_moment_photos_moment_position', table_name='moment_photos')
    op.drop_table('moment_photos')
