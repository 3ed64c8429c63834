from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.orm import Session

from storage.db import alembic_config, current_revision, head_revision, make_engine, normalize_url, upgrade
from storage.models import Base, CheckResultRecord, Platform

REPO_ROOT = Path(__file__).resolve().parents[2]

EXPECTED_TABLES = {
    "workspaces",
    "checklists",
    "owners",
    "connections",
    "check_runs",
    "check_results",
    "confirmations",
    "reminder_deliveries",
    "conversation_references",
    "oauth_states",
    "source_cache",
    "downloads",
    "slack_installations",
    "slack_bots",
    "slack_oauth_states",
    "request_keys",
    "qbo_pace",
    "alembic_version",
}


def test_upgrade_from_scratch_creates_every_table(db_url: str) -> None:
    assert current_revision(db_url) is None
    upgrade(db_url)
    assert current_revision(db_url) == head_revision() == "0005_source_cache"
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            assert set(sa.inspect(connection).get_table_names()) == EXPECTED_TABLES
    finally:
        engine.dispose()


def test_upgrade_is_idempotent(db_url: str) -> None:
    upgrade(db_url)
    upgrade(db_url)
    assert current_revision(db_url) == head_revision()


def test_migrated_schema_matches_the_models(migrated_url: str) -> None:
    engine = make_engine(migrated_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_downgrade_to_base_and_back(migrated_url: str) -> None:
    engine = make_engine(migrated_url)
    try:
        with engine.begin() as connection:
            config = alembic_config(migrated_url)
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
        with engine.connect() as connection:
            assert set(sa.inspect(connection).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    upgrade(migrated_url)
    assert current_revision(migrated_url) == head_revision()


def test_sqlite_upgrade_creates_the_parent_directory(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "data" / "preflight.sqlite3"
    upgrade(f"sqlite:///{path}")
    assert path.exists()
    assert current_revision(f"sqlite:///{path}") == head_revision()


def test_sqlite_engine_enforces_foreign_keys_and_uses_wal(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        engine.dispose()


def test_in_memory_sqlite_has_no_wal() -> None:
    engine = make_engine("sqlite://")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "memory"
    finally:
        engine.dispose()


def test_postgres_urls_are_given_the_psycopg_driver() -> None:
    assert normalize_url("postgres://u:p@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("sqlite:///x.db").drivername == "sqlite"


def test_offline_sql_renders_the_postgres_triggers(capsys: object) -> None:
    # `alembic upgrade --sql` for a DBA who applies migrations by hand.
    config = alembic_config("postgresql+psycopg://u@h/db")
    command.upgrade(config, "head", sql=True)
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert "CREATE TRIGGER confirmations_append_only" in out
    assert "CREATE TABLE confirmations" in out


def test_concurrent_upgrades_from_several_processes(db_url: str) -> None:
    # Replicas starting at once: every one comes up, and the schema is created once.
    code = "import sys; from storage.db import upgrade; upgrade(sys.argv[1])"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code, db_url],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
    assert current_revision(db_url) == head_revision()


def test_results_stored_before_result_ids_read_back_with_an_empty_id(db_url: str) -> None:
    upgrade(db_url, "0001_initial")
    engine = make_engine(db_url)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    try:
        with Session(engine) as session, session.begin():
            # Every table as it was at 0001 (later revisions change checklists and reminder_deliveries too).
            connection = session.connection()
            tables = sa.MetaData()
            tables.reflect(connection, only=["workspaces", "checklists", "check_runs", "check_results"])
            workspace_id = connection.execute(
                tables.tables["workspaces"].insert().returning(tables.tables["workspaces"].c.id),
                dict(platform=Platform.SLACK.value, external_id="T1", created_at=now),
            ).scalar_one()
            checklist = dict(workspace_id=workspace_id, channel_id="C1", enable_date_decided=False, version=1)
            checklist |= dict(reminders_enabled=False, state="open", created_at=now, updated_at=now)
            checklist_id = connection.execute(
                tables.tables["checklists"].insert().returning(tables.tables["checklists"].c.id), checklist
            ).scalar_one()
            run = dict(checklist_id=checklist_id, started_at=now, triggered_by="U1", slugs=["backup"])
            run_id = connection.execute(
                tables.tables["check_runs"].insert().returning(tables.tables["check_runs"].c.id), run
            ).scalar_one()
            old = tables.tables["check_results"]
            assert "result_id" not in old.c
            row = dict(run_id=run_id, checklist_id=checklist_id, slug="backup", status="needs_input")
            row |= dict(summary="No backup.", hint="", findings=[], amounts={}, cleared=False, created_at=now)
            connection.execute(old.insert(), row)
        upgrade(db_url)
        with Session(engine) as session:
            result = session.scalars(sa.select(CheckResultRecord)).one().to_result()
        assert (result.slug, result.summary, result.id, result.ask) == ("backup", "No backup.", "", "")
    finally:
        engine.dispose()
