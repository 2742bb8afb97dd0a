"""The privacy notice, version by version, and each person's agreement to it or its withdrawal; both
append-only (triggers refuse UPDATE and DELETE, as on audit_events). Version 1 is the notice that
comes with the app, in effect from this upgrade: everyone is asked to agree at their next sign-in.

Revision ID: 189066a13ffd
Revises: f2c9d61b8e47
Create Date: 2026-12-01 23:46:09.955823

"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '189066a13ffd'
down_revision = 'f2c9d61b8e47'
branch_labels = None
depends_on = None

TABLES = ("privacy_notices", "consent_records")


# As models.base.append_only_triggers made them at this revision (a migration keeps its own copy).
def install(table):
    return {
        "postgresql": [
            f"CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{table} is append-only'; END $$",
            f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()",
        ],
        "sqlite": [
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END",
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END",
        ],
    }


def remove(table):
    return {
        "postgresql": [
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
            f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}",
            f"DROP FUNCTION IF EXISTS {table}_append_only()",
        ],
        "sqlite": [
            f"DROP TRIGGER IF EXISTS {table}_no_update",
            f"DROP TRIGGER IF EXISTS {table}_no_delete",
        ],
    }


def upgrade():
    notices = op.create_table(
        'privacy_notices',
        sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('text', sa.Text(), nullable=True),
        sa.Column('asks_again', sa.Boolean(), nullable=False),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('version', name=op.f('pk_privacy_notices'))
    )
    op.create_table(
        'consent_records',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_key', sa.String(length=32), nullable=False),
        sa.Column('notice_version', sa.Integer(), nullable=False),
        sa.Column('choice', sa.Enum('accepted', 'withdrawn', name='consentchoice', native_enum=False, length=10),
                  nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['notice_version'], ['privacy_notices.version'],
                                name=op.f('fk_consent_records_notice_version_privacy_notices')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_records'))
    )
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.create_index('ix_consent_records_person_id', ['person_key', 'id'], unique=False)
    # The app's own notice, in effect from now (SQLite keeps timestamps in UTC without a zone).
    now = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    op.bulk_insert(notices, [{"version": 1, "text": None, "asks_again": True, "published_at": now}])
    dialect = op.get_bind().dialect.name
    for table in TABLES:
        for statement in install(table).get(dialect, []):
            op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    for table in TABLES:
        for statement in remove(table).get(dialect, []):
            op.execute(statement)
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.drop_index('ix_consent_records_person_id')
    op.drop_table('consent_records')
    op.drop_table('privacy_notices')
