"""Wiring: settings -> database -> sources -> checklist service -> conversation."""

from __future__ import annotations

import gc
import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from bot.checklist.connections import SourceFactory
from bot.checklist.service import ChecklistService
from bot.conversation.conversation import Conversation
from bot.qbo_pace import share_qbo_pace
from bot.settings import Settings
from storage import crypto
from storage.db import session_factory, upgrade

log = logging.getLogger(__name__)


@dataclass
class Core:
    settings: Settings
    sessions: sessionmaker[Session]
    service: ChecklistService
    conversation: Conversation


def open_database(settings: Settings) -> sessionmaker[Session]:
    """Apply migrations, then hand out sessions. Every entry point starts here."""
    url = settings.resolved_database_url
    upgrade(url)
    return session_factory(url)


def configure_secrets(settings: Settings) -> None:
    if settings.secret_key is None:
        raise crypto.MissingSecretKeyError()
    crypto.set_secret_box(crypto.SecretBox(settings.secret_key.get_secret_value()))


def freeze_startup_objects() -> None:
    """Keep what was imported and built at start (it lives as long as the process) out of the cyclic garbage
    collector's collections: otherwise each full collection walks all of it again, in a pause that holds up
    every thread, the chat's acknowledgements included."""
    gc.collect()
    gc.freeze()


def build_core(settings: Settings, sources: SourceFactory) -> Core:
    configure_secrets(settings)
    sessions = open_database(settings)
    share_qbo_pace(sessions)
    service = ChecklistService(sessions, settings, sources)
    return Core(settings, sessions, service, Conversation(service))
