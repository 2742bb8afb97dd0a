"""When a therapist last looked at a family's timeline is data of its own, on the caseload
assignment (filled from the audit log); the audit log's index serves a family's trail instead.

Revision ID: 5b0f3c9a1d27
Revises: e1334712e6c5
Create Date: 2026-12-01 14:50:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5b0f3c9a1d27'
down_revision = 'e1334712e6c5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('caseload_assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_looked_at', sa.DateTime(timezone=True), nullable=True))
    # Each therapist's newest timeline read of each family on their caseload.
    op.execute(
        "UPDATE caseload_assignments SET last_looked_at = ("
        "SELECT MAX(audit_events.created_at) FROM audit_events "
        "WHERE audit_events.family_id = caseload_assignments.family_id "
        "AND audit_events.actor_id = caseload_assignments.therapist_id "
        "AND audit_events.action = 'family.timeline.view')"
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_family_actor_action_created')
        batch_op.create_index('ix_audit_events_family_created', ['family_id', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_family_created')
        batch_op.create_index('ix_audit_events_family_actor_action_created',
                              ['family_id', 'actor_id', 'action', 'created_at'], unique=False)
    with op.batch_alter_table('caseload_assignments', schema=None) as batch_op:
        batch_op.drop_column('last_looked_at')
