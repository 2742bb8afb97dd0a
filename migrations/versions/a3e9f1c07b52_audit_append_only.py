"""The audit log becomes append-only and pseudonymous: people are named by a random key of
theirs (users.audit_key), families by a plain id, so no foreign key ever has to change a row;
each row also keeps its outcome and the request's address; triggers refuse UPDATE and DELETE.

Revision ID: a3e9f1c07b52
Revises: 1fdb39fa366e
Create Date: 2026-12-01 15:30:00.000000

"""
import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a3e9f1c07b52'
down_revision = '1fdb39fa366e'
branch_labels = None
depends_on = None

# As in pipcompanion/models/audit.py APPEND_ONLY_TRIGGERS at this revision (a migration keeps its own copy).
INSTALL = {
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$",
        "CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
        "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()",
    ],
    "sqlite": [
        "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
        "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    ],
}
REMOVE = {
    "postgresql": [
        "DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events",
        "DROP TRIGGER IF EXISTS audit_events_no_change ON audit_events",
        "DROP FUNCTION IF EXISTS audit_events_append_only()",
    ],
    "sqlite": [
        "DROP TRIGGER IF EXISTS audit_events_no_update",
        "DROP TRIGGER IF EXISTS audit_events_no_delete",
    ],
}


def upgrade():
    bind = op.get_bind()
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audit_key', sa.String(length=32), nullable=True))
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('audit_key', sa.String))
    for (user_id,) in bind.execute(sa.select(users.c.id)).all():
        bind.execute(users.update().where(users.c.id == user_id).values(audit_key=secrets.token_hex(16)))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('audit_key', existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_users_audit_key'), ['audit_key'])

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actor_key', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('subject_key', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('outcome', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('address', sa.String(length=45), nullable=True))
    op.execute("UPDATE audit_events SET outcome = 'done', "
               "actor_key = (SELECT users.audit_key FROM users WHERE users.id = audit_events.actor_id), "
               "subject_key = (SELECT users.audit_key FROM users WHERE users.id = audit_events.subject_user_id)")
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.alter_column('outcome', existing_type=sa.String(length=10), nullable=False)
        batch_op.drop_constraint(batch_op.f('fk_audit_events_actor_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_audit_events_subject_user_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_audit_events_family_id_families'), type_='foreignkey')
        batch_op.drop_column('actor_id')
        batch_op.drop_column('subject_user_id')
        batch_op.create_index('ix_audit_events_actor_created', ['actor_key', 'created_at'], unique=False)
    for statement in INSTALL.get(bind.dialect.name, []):
        op.execute(statement)


def downgrade():
    bind = op.get_bind()
    for statement in REMOVE.get(bind.dialect.name, []):
        op.execute(statement)
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_actor_created')
        batch_op.add_column(sa.Column('actor_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('subject_user_id', sa.Integer(), nullable=True))
    op.execute("UPDATE audit_events SET "
               "actor_id = (SELECT users.id FROM users WHERE users.audit_key = audit_events.actor_key), "
               "subject_user_id = (SELECT users.id FROM users WHERE users.audit_key = audit_events.subject_key)")
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_column('address')
        batch_op.drop_column('outcome')
        batch_op.drop_column('subject_key')
        batch_op.drop_column('actor_key')
        batch_op.create_foreign_key(batch_op.f('fk_audit_events_actor_id_users'), 'users', ['actor_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_audit_events_subject_user_id_users'), 'users', ['subject_user_id'],
                                    ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_audit_events_family_id_families'), 'families', ['family_id'],
                                    ['id'], ondelete='SET NULL')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_audit_key'), type_='unique')
        batch_op.drop_column('audit_key')
