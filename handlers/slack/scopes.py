"""The bot scopes Preflight asks for: those of manifest/slack/manifest.json (tests keep the two the same)."""

from __future__ import annotations

BOT_SCOPES: tuple[str, ...] = (
    "commands",
    "chat:write",
    "chat:write.public",
    "files:write",
    "users:read",
    "channels:read",
    "groups:read",
    # Reminders look for their own earlier post (message metadata) before posting again.
    "channels:history",
    "groups:history",
)
