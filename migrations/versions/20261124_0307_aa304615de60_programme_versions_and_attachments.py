"""Programme proposals: the working draft, immutable submitted versions, and attachments.

Revision ID: aa304615de60
Revises: 5cc90ae19a56
Create Date: 2026-11-24 03:07:40.242589
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import qa_engine.db

revision: str = 'aa304615de60'
down_revision: str | None = '5cc90ae19a56'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IMMUTABLE = "programme versions are immutable"


def upgrade() -> None:
    op.create_table('attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('stored_name', sa.String(length=36), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', qa_engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_attachments_programme_id_programmes')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_attachments_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments')),
    sa.UniqueConstraint('programme_id', 'sha256', name=op.f('uq_attachments_programme_id_sha256')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_attachments_stored_name'))
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachments_programme_id'), ['programme_id'], unique=False)

    op.create_table('programme_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('screening', sa.Text(), nullable=False),
    sa.Column('submitted_at', qa_engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_programme_versions_programme_id_programmes')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_programme_versions_submitted_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programme_versions')),
    sa.UniqueConstraint('programme_id', 'number', name=op.f('uq_programme_versions_programme_id_number'))
    )
    with op.batch_alter_table('programme_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_programme_versions_programme_id'), ['programme_id'], unique=False)

    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('draft', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('current_version', sa.Integer(), server_default='0', nullable=False))

    _refuse_version_changes()


def _refuse_version_changes() -> None:
    """The database itself refuses UPDATE and DELETE (and TRUNCATE) on submitted versions."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION programme_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION '{IMMUTABLE}'; END $$""")
        op.execute("""CREATE TRIGGER programme_versions_no_change BEFORE UPDATE OR DELETE ON programme_versions
                      FOR EACH ROW EXECUTE FUNCTION programme_versions_immutable()""")
        op.execute("""CREATE TRIGGER programme_versions_no_truncate BEFORE TRUNCATE ON programme_versions
                      FOR EACH STATEMENT EXECUTE FUNCTION programme_versions_immutable()""")
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(f"""CREATE TRIGGER programme_versions_no_{event.lower()} BEFORE {event} ON programme_versions
                           BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END""")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER programme_versions_no_truncate ON programme_versions")
        op.execute("DROP TRIGGER programme_versions_no_change ON programme_versions")
        op.execute("DROP FUNCTION programme_versions_immutable()")
    else:
        op.execute("DROP TRIGGER programme_versions_no_update")
        op.execute("DROP TRIGGER programme_versions_no_delete")
    with op.batch_alter_table('programme_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_programme_versions_programme_id'))

    op.drop_table('programme_versions')
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachments_programme_id'))

    op.drop_table('attachments')

    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.drop_column('current_version')
        batch_op.drop_column('draft')
