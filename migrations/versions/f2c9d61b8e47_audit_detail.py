"""The audit log's detail: a short code or counts the app writes (why an account was erased, what a purge deleted).

A plain ADD COLUMN, never batch_alter_table: on SQLite a batch operation rebuilds audit_events
and drops its append-only triggers with the old table.

Revision ID: f2c9d61b8e47
Revises: d4a7c2e91f05
Create Date: 2026-12-01 23:55:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'f2c9d61b8e47'
down_revision = 'd4a7c2e91f05'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('audit_events', sa.Column('detail', sa.String(length=200), nullable=True))


def downgrade():
    # SQLite (3.35 and later) and PostgreSQL both drop a column in place; the triggers stay.
    op.drop_column('audit_events', 'detail')
