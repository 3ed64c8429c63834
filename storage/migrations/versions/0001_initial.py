"""Initial schema: workspaces, checklists, owners, connections, check history, the confirmation audit log,
reminder deliveries, Teams conversation references, QBO OAuth states, slack_sdk's installation tables, and
the triggers that keep confirmations append-only.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-25

Secrets (tokens, API keys) are TEXT holding Fernet ciphertext; Preflight's EncryptedString type does the
encryption. slack_sdk's token columns are TEXT rather than its VARCHAR(200) for the same reason.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0001_initial'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


APPEND_ONLY_MESSAGE = "confirmations are append-only: record a new row (a withdrawal) instead"

POSTGRESQL_TRIGGERS = [
    f"""
    CREATE FUNCTION preflight_confirmations_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{APPEND_ONLY_MESSAGE} (% refused)', TG_OP USING ERRCODE = 'restrict_violation';
    END;
    $$
    """,
    """
    CREATE TRIGGER confirmations_append_only
    BEFORE UPDATE OR DELETE ON confirmations
    FOR EACH ROW EXECUTE FUNCTION preflight_confirmations_append_only()
    """,
    """
    CREATE TRIGGER confirmations_no_truncate
    BEFORE TRUNCATE ON confirmations
    FOR EACH STATEMENT EXECUTE FUNCTION preflight_confirmations_append_only()
    """,
]

SQLITE_TRIGGERS = [
    f"""
    CREATE TRIGGER confirmations_no_update BEFORE UPDATE ON confirmations
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE} (UPDATE refused)'); END
    """,
    f"""
    CREATE TRIGGER confirmations_no_delete BEFORE DELETE ON confirmations
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE} (DELETE refused)'); END
    """,
]


def _create_append_only_triggers() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        statements = POSTGRESQL_TRIGGERS
    elif dialect == "sqlite":
        statements = SQLITE_TRIGGERS
    else:
        raise RuntimeError(f"Preflight supports SQLite and PostgreSQL, not {dialect}")
    for statement in statements:
        op.execute(statement)


def _drop_append_only_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS confirmations_no_truncate ON confirmations")
        op.execute("DROP TRIGGER IF EXISTS confirmations_append_only ON confirmations")
        op.execute("DROP FUNCTION IF EXISTS preflight_confirmations_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS confirmations_no_update")
        op.execute("DROP TRIGGER IF EXISTS confirmations_no_delete")


def upgrade() -> None:
    op.create_table('slack_bots',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('client_id', sa.String(length=32), nullable=False),
    sa.Column('app_id', sa.String(length=32), nullable=False),
    sa.Column('enterprise_id', sa.String(length=32), nullable=True),
    sa.Column('enterprise_name', sa.String(length=200), nullable=True),
    sa.Column('team_id', sa.String(length=32), nullable=True),
    sa.Column('team_name', sa.String(length=200), nullable=True),
    sa.Column('bot_token', sa.Text(), nullable=True),
    sa.Column('bot_id', sa.String(length=32), nullable=True),
    sa.Column('bot_user_id', sa.String(length=32), nullable=True),
    sa.Column('bot_scopes', sa.String(length=1000), nullable=True),
    sa.Column('bot_refresh_token', sa.Text(), nullable=True),
    sa.Column('bot_token_expires_at', sa.DateTime(), nullable=True),
    sa.Column('is_enterprise_install', sa.Boolean(), nullable=False),
    sa.Column('installed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_slack_bots'))
    )
    op.create_index(op.f('slack_bots_idx'), 'slack_bots', ['client_id', 'enterprise_id', 'team_id', 'installed_at'], unique=False)

    op.create_table('slack_installations',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('client_id', sa.String(length=32), nullable=False),
    sa.Column('app_id', sa.String(length=32), nullable=False),
    sa.Column('enterprise_id', sa.String(length=32), nullable=True),
    sa.Column('enterprise_name', sa.String(length=200), nullable=True),
    sa.Column('enterprise_url', sa.String(length=200), nullable=True),
    sa.Column('team_id', sa.String(length=32), nullable=True),
    sa.Column('team_name', sa.String(length=200), nullable=True),
    sa.Column('bot_token', sa.Text(), nullable=True),
    sa.Column('bot_id', sa.String(length=32), nullable=True),
    sa.Column('bot_user_id', sa.String(length=32), nullable=True),
    sa.Column('bot_scopes', sa.String(length=1000), nullable=True),
    sa.Column('bot_refresh_token', sa.Text(), nullable=True),
    sa.Column('bot_token_expires_at', sa.DateTime(), nullable=True),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('user_token', sa.Text(), nullable=True),
    sa.Column('user_scopes', sa.String(length=1000), nullable=True),
    sa.Column('user_refresh_token', sa.Text(), nullable=True),
    sa.Column('user_token_expires_at', sa.DateTime(), nullable=True),
    sa.Column('incoming_webhook_url', sa.String(length=200), nullable=True),
    sa.Column('incoming_webhook_channel', sa.String(length=200), nullable=True),
    sa.Column('incoming_webhook_channel_id', sa.String(length=200), nullable=True),
    sa.Column('incoming_webhook_configuration_url', sa.String(length=200), nullable=True),
    sa.Column('is_enterprise_install', sa.Boolean(), nullable=False),
    sa.Column('token_type', sa.String(length=32), nullable=True),
    sa.Column('installed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_slack_installations'))
    )
    op.create_index(op.f('slack_installations_idx'), 'slack_installations', ['client_id', 'enterprise_id', 'team_id', 'user_id', 'installed_at'], unique=False)

    op.create_table('slack_oauth_states',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('state', sa.String(length=200), nullable=False),
    sa.Column('expire_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_slack_oauth_states'))
    )
    op.create_table('workspaces',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.Enum('slack', 'teams', 'console', name='platform', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workspaces')),
    sa.UniqueConstraint('platform', 'external_id', name=op.f('uq_workspaces_platform_external_id'))
    )
    op.create_table('checklists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.String(length=255), nullable=False),
    sa.Column('company_label', sa.String(length=255), nullable=True),
    sa.Column('qbo_realm_id', sa.String(length=64), nullable=True),
    sa.Column('enable_date', sa.Date(), nullable=True),
    sa.Column('enable_date_decided', sa.Boolean(), nullable=False),
    sa.Column('revenue_pushed', sa.Boolean(), nullable=True),
    sa.Column('reminder_schedule', sa.String(length=255), nullable=True),
    sa.Column('reminder_timezone', sa.String(length=64), nullable=True),
    sa.Column('reminder_channel_id', sa.String(length=255), nullable=True),
    sa.Column('reminders_enabled', sa.Boolean(), nullable=False),
    sa.Column('state', sa.Enum('open', 'ready', name='checklist_state', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_checklists_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklists')),
    sa.UniqueConstraint('workspace_id', 'channel_id', name=op.f('uq_checklists_workspace_id_channel_id'))
    )
    op.create_index(op.f('ix_checklists_workspace_id'), 'checklists', ['workspace_id'], unique=False)

    op.create_table('check_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('checklist_id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('triggered_by', sa.String(length=255), nullable=False),
    sa.Column('slugs', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['checklist_id'], ['checklists.id'], name=op.f('fk_check_runs_checklist_id_checklists'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_runs'))
    )
    op.create_index(op.f('ix_check_runs_checklist_started'), 'check_runs', ['checklist_id', 'started_at'], unique=False)

    op.create_table('confirmations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('checklist_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.Enum('confirm', 'acknowledge', 'not_applicable', 'answer', 'withdraw', name='confirmation_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('field', sa.String(length=64), nullable=True),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('shown_text', sa.Text(), nullable=False),
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('user_name', sa.String(length=255), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdraws_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['checklist_id'], ['checklists.id'], name=op.f('fk_confirmations_checklist_id_checklists'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['withdraws_id'], ['confirmations.id'], name=op.f('fk_confirmations_withdraws_id_confirmations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_confirmations'))
    )
    op.create_index(op.f('ix_confirmations_checklist_slug'), 'confirmations', ['checklist_id', 'slug', 'id'], unique=False)
    _create_append_only_triggers()

    op.create_table('connections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('checklist_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('qbo', 'finale', name='connection_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('realm_id', sa.String(length=64), nullable=True),
    sa.Column('access_token', sa.Text(), nullable=True),
    sa.Column('refresh_token', sa.Text(), nullable=True),
    sa.Column('access_token_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('refresh_token_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('company_name', sa.String(length=255), nullable=True),
    sa.Column('account_path', sa.String(length=255), nullable=True),
    sa.Column('base_url', sa.String(length=512), nullable=True),
    sa.Column('api_key', sa.Text(), nullable=True),
    sa.Column('api_secret', sa.Text(), nullable=True),
    sa.Column('report_urls', sa.JSON(), nullable=False),
    sa.Column('connected_by', sa.String(length=255), nullable=False),
    sa.Column('connected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['checklist_id'], ['checklists.id'], name=op.f('fk_connections_checklist_id_checklists'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_connections')),
    sa.UniqueConstraint('checklist_id', 'kind', name=op.f('uq_connections_checklist_id_kind'))
    )
    op.create_index(op.f('ix_connections_checklist_id'), 'connections', ['checklist_id'], unique=False)

    op.create_table('conversation_references',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('checklist_id', sa.Integer(), nullable=True),
    sa.Column('conversation_id', sa.String(length=512), nullable=False),
    sa.Column('service_url', sa.String(length=512), nullable=False),
    sa.Column('reference', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['checklist_id'], ['checklists.id'], name=op.f('fk_conversation_references_checklist_id_checklists'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_conversation_references_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation_references')),
    sa.UniqueConstraint('workspace_id', 'conversation_id', name=op.f('uq_conversation_references_workspace_id_conversation_id'))
    )
    op.create_index(op.f('ix_conversation_references_checklist_id'), 'conversation_references', ['checklist_id'], unique=False)

    op.create_table('oauth_states',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=128), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('checklist_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('context', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('consumed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['checklist_id'], ['checklists.id'], name=op.f('fk_oauth_states_checklist_id_checklists'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_oauth_states_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oauth_states')),
    sa.UniqueConstraint('state', name=op.f('uq_oauth_states_state'))
    )
    op.create_index(op.f('ix_oauth_states_checklist_id'), 'oauth_states', ['checklist_id'], unique=False)

    op.create_table('owners',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('checklist_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('display_name', sa.String(length=255), nullable=False),
    sa.Column('added_by', sa.String(length=255), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['checklist_id'], ['checklists.id'], name=op.f('fk_owners_checklist_id_checklists'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_owners')),
    sa.UniqueConstraint('checklist_id', 'user_id', name=op.f('uq_owners_checklist_id_user_id'))
    )
    op.create_index(op.f('ix_owners_checklist_id'), 'owners', ['checklist_id'], unique=False)

    op.create_table('reminder_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('checklist_id', sa.Integer(), nullable=False),
    sa.Column('slot', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_by', sa.String(length=255), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('message_ref', sa.String(length=512), nullable=True),
    sa.Column('posted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['checklist_id'], ['checklists.id'], name=op.f('fk_reminder_deliveries_checklist_id_checklists'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_deliveries')),
    sa.UniqueConstraint('checklist_id', 'slot', name=op.f('uq_reminder_deliveries_checklist_id_slot'))
    )
    op.create_table('check_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('checklist_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Enum('pass', 'fail', 'warn', 'needs_input', 'not_applicable', 'error', name='check_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('hint', sa.Text(), nullable=False),
    sa.Column('findings', sa.JSON(), nullable=False),
    sa.Column('amounts', sa.JSON(), nullable=False),
    sa.Column('pending', sa.String(length=32), nullable=True),
    sa.Column('ack_key', sa.String(length=255), nullable=True),
    sa.Column('cleared', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['checklist_id'], ['checklists.id'], name=op.f('fk_check_results_checklist_id_checklists'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['check_runs.id'], name=op.f('fk_check_results_run_id_check_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_results'))
    )
    op.create_index(op.f('ix_check_results_checklist_slug'), 'check_results', ['checklist_id', 'slug', 'id'], unique=False)
    op.create_index(op.f('ix_check_results_run_id'), 'check_results', ['run_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_check_results_run_id'), table_name='check_results')
    op.drop_index(op.f('ix_check_results_checklist_slug'), table_name='check_results')

    op.drop_table('check_results')
    op.drop_table('reminder_deliveries')
    op.drop_index(op.f('ix_owners_checklist_id'), table_name='owners')

    op.drop_table('owners')
    op.drop_index(op.f('ix_oauth_states_checklist_id'), table_name='oauth_states')

    op.drop_table('oauth_states')
    op.drop_index(op.f('ix_conversation_references_checklist_id'), table_name='conversation_references')

    op.drop_table('conversation_references')
    op.drop_index(op.f('ix_connections_checklist_id'), table_name='connections')

    op.drop_table('connections')
    _drop_append_only_triggers()
    op.drop_index(op.f('ix_confirmations_checklist_slug'), table_name='confirmations')

    op.drop_table('confirmations')
    op.drop_index(op.f('ix_check_runs_checklist_started'), table_name='check_runs')

    op.drop_table('check_runs')
    op.drop_index(op.f('ix_checklists_workspace_id'), table_name='checklists')

    op.drop_table('checklists')
    op.drop_table('workspaces')
    op.drop_table('slack_oauth_states')
    op.drop_index(op.f('slack_installations_idx'), table_name='slack_installations')

    op.drop_table('slack_installations')
    op.drop_index(op.f('slack_bots_idx'), table_name='slack_bots')

    op.drop_table('slack_bots')
