from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from storage.db import make_engine, session_factory
from storage.models import OAuthState, Platform, ReminderDelivery
from storage.repositories import checklists, oauth_state, reminders

SLOT = datetime(2026, 1, 12, 14, 0, tzinfo=UTC)


def _checklist(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with sessions.begin() as session:
        workspace = checklists.get_or_create_workspace(session, Platform.SLACK, "T1", "Acme")
        checklist = checklists.create_checklist(session, workspace, "C1")
        return workspace.id, checklist.id


# --- Reminder deliveries ---


def test_claiming_a_slot_twice(sessions: sessionmaker[Session]) -> None:
    _, checklist_id = _checklist(sessions)
    with sessions.begin() as session:
        assert reminders.claim_reminder(session, checklist_id, SLOT, claimed_by="replica-a")
    with sessions.begin() as session:
        assert not reminders.claim_reminder(session, checklist_id, SLOT, claimed_by="replica-b")
        # The session stays usable after losing a claim (no aborted transaction).
        assert reminders.claim_reminder(session, checklist_id, SLOT + timedelta(days=1))
    with sessions() as session:
        rows = session.query(ReminderDelivery).order_by(ReminderDelivery.slot).all()
        assert [(r.slot, r.claimed_by) for r in rows][0] == (SLOT, "replica-a")
        assert len(rows) == 2


def test_the_same_instant_in_another_zone_is_the_same_slot(sessions: sessionmaker[Session]) -> None:
    _, checklist_id = _checklist(sessions)
    from zoneinfo import ZoneInfo

    with sessions.begin() as session:
        assert reminders.claim_reminder(session, checklist_id, SLOT)
        assert not reminders.claim_reminder(session, checklist_id, SLOT.astimezone(ZoneInfo("America/New_York")))


def test_claims_from_two_engines(migrated_url: str, sessions: sessionmaker[Session]) -> None:
    _, checklist_id = _checklist(sessions)
    other_engine = make_engine(migrated_url)  # another replica
    try:
        with sessions.begin() as session:
            assert reminders.claim_reminder(session, checklist_id, SLOT, claimed_by="replica-a")
        with session_factory(other_engine).begin() as session:
            assert not reminders.claim_reminder(session, checklist_id, SLOT, claimed_by="replica-b")
    finally:
        other_engine.dispose()


def test_concurrent_claims_only_one_wins(migrated_url: str, sessions: sessionmaker[Session]) -> None:
    _, checklist_id = _checklist(sessions)
    engines: list[Engine] = [make_engine(migrated_url) for _ in range(4)]
    barrier = threading.Barrier(len(engines) * 2)
    outcomes: list[bool] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def replica(engine: Engine, name: str) -> None:
        try:
            barrier.wait()
            with session_factory(engine).begin() as session:
                won = reminders.claim_reminder(session, checklist_id, SLOT, claimed_by=name)
            with lock:
                outcomes.append(won)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [
        threading.Thread(target=replica, args=(engine, f"replica-{i}-{j}"))
        for i, engine in enumerate(engines)
        for j in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for engine in engines:
        engine.dispose()
    assert errors == []
    assert sorted(outcomes) == [False] * (len(threads) - 1) + [True]


def test_mark_posted(sessions: sessionmaker[Session]) -> None:
    _, checklist_id = _checklist(sessions)
    with sessions.begin() as session:
        assert reminders.claim_reminder(session, checklist_id, SLOT)
        reminders.mark_reminder_posted(session, checklist_id, SLOT, "C1:1736690400.000100")
    with sessions() as session:
        delivery = session.query(ReminderDelivery).one()
        assert delivery.message_ref == "C1:1736690400.000100"
        assert delivery.posted_at is not None and delivery.claimed_by


# --- Preflight's QBO OAuth state ---


def test_oauth_state_is_single_use(sessions: sessionmaker[Session]) -> None:
    workspace_id, checklist_id = _checklist(sessions)
    now = datetime(2026, 1, 12, 10, tzinfo=UTC)
    with sessions.begin() as session:
        state = oauth_state.create_oauth_state(
            session,
            workspace_id=workspace_id,
            checklist_id=checklist_id,
            user_id="U1",
            now=now,
            context={"channel": "C1", "ts": "1.2"},
        ).state
    assert len(state) >= 40
    with sessions.begin() as session:
        consumed = oauth_state.consume_oauth_state(session, state, now + timedelta(minutes=1))
        assert consumed is not None
        assert (consumed.workspace_id, consumed.checklist_id, consumed.user_id) == (
            workspace_id,
            checklist_id,
            "U1",
        )
        assert consumed.context == {"channel": "C1", "ts": "1.2"}
        assert consumed.consumed_at == now + timedelta(minutes=1)
    with sessions.begin() as session:
        assert oauth_state.consume_oauth_state(session, state, now + timedelta(minutes=2)) is None


def test_oauth_state_single_use_across_engines(migrated_url: str, sessions: sessionmaker[Session]) -> None:
    workspace_id, checklist_id = _checklist(sessions)
    with sessions.begin() as session:
        state = oauth_state.create_oauth_state(
            session, workspace_id=workspace_id, checklist_id=checklist_id, user_id="U1"
        )
    other = make_engine(migrated_url)
    try:
        with sessions.begin() as session:
            assert oauth_state.consume_oauth_state(session, state.state, datetime.now(UTC)) is not None
        with session_factory(other).begin() as session:
            assert oauth_state.consume_oauth_state(session, state.state, datetime.now(UTC)) is None
    finally:
        other.dispose()


def test_oauth_state_expires(sessions: sessionmaker[Session]) -> None:
    workspace_id, checklist_id = _checklist(sessions)
    now = datetime(2026, 1, 12, 10, tzinfo=UTC)
    with sessions.begin() as session:
        state = oauth_state.create_oauth_state(
            session, workspace_id=workspace_id, checklist_id=checklist_id, user_id="U1", now=now
        ).state
    with sessions.begin() as session:
        assert oauth_state.consume_oauth_state(session, state, now + timedelta(minutes=10)) is None
        assert oauth_state.consume_oauth_state(session, state, now + timedelta(hours=1)) is None
    with sessions() as session:
        assert session.query(OAuthState).one().consumed_at is None


def test_unknown_oauth_state(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        assert oauth_state.consume_oauth_state(session, "no-such-state") is None
        assert oauth_state.consume_oauth_state(session, "' OR 1=1 --") is None


def test_oauth_states_are_unique_and_random(sessions: sessionmaker[Session]) -> None:
    workspace_id, checklist_id = _checklist(sessions)
    with sessions.begin() as session:
        states = {
            oauth_state.create_oauth_state(
                session, workspace_id=workspace_id, checklist_id=checklist_id, user_id="U1"
            ).state
            for _ in range(20)
        }
    assert len(states) == 20


def test_a_lapsed_lease_is_taken_over_by_exactly_one_replica(
    migrated_url: str, sessions: sessionmaker[Session]
) -> None:
    _, checklist_id = _checklist(sessions)
    lease = timedelta(seconds=30)
    with sessions.begin() as session:
        held = reminders.acquire(session, checklist_id, SLOT, owner="dead", now=SLOT, lease=lease)
        assert held is not None and not held.taken_over
        assert reminders.start_attempt(session, held, now=SLOT, lease=lease) is not None
    with sessions.begin() as session:  # while the lease runs nobody takes it
        assert reminders.acquire(session, checklist_id, SLOT, owner="early", now=SLOT + lease / 2, lease=lease) is None
    later = SLOT + lease + timedelta(seconds=1)
    engines: list[Engine] = [make_engine(migrated_url) for _ in range(4)]
    barrier = threading.Barrier(len(engines))
    claims: list[reminders.Claim | None] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def replica(engine: Engine, name: str) -> None:
        try:
            barrier.wait()
            with session_factory(engine).begin() as session:
                claim = reminders.acquire(session, checklist_id, SLOT, owner=name, now=later, lease=lease)
            with lock:
                claims.append(claim)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=replica, args=(e, f"replica-{i}")) for i, e in enumerate(engines)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for engine in engines:
        engine.dispose()
    assert errors == []
    [winner] = [c for c in claims if c is not None]
    assert winner.taken_over and winner.attempts == 1  # the taker knows a post was tried: it looks first
    # The dead replica cannot renew or record any more; the winner can, once.
    with sessions.begin() as session:
        assert reminders.renew(session, held, now=later, lease=lease) is None
        assert not reminders.mark_posted(session, held, "C1:1", now=later)
        assert reminders.mark_posted(session, winner, "C1:2", now=later)
        assert reminders.acquire(session, checklist_id, SLOT, owner="late", now=later + lease * 3, lease=lease) is None


def test_hand_back_lets_another_replica_take_over_at_once(sessions: sessionmaker[Session]) -> None:
    _, checklist_id = _checklist(sessions)
    lease = timedelta(seconds=60)
    with sessions.begin() as session:
        assert reminders.acquire(session, checklist_id, SLOT, owner="stopping", now=SLOT, lease=lease) is not None
        assert reminders.acquire(
            session, checklist_id, SLOT + timedelta(days=1), owner="stopping", now=SLOT, lease=lease
        )
    with sessions.begin() as session:
        assert reminders.hand_back(session, "stopping", now=SLOT + timedelta(seconds=2)) == 2
    with sessions() as session:
        due = reminders.lapsed(session, now=SLOT + timedelta(seconds=2), since=SLOT - timedelta(minutes=10))
        assert due == [(checklist_id, SLOT), (checklist_id, SLOT + timedelta(days=1))]
