"""What the Slack stand-in stores: tokens, channels, users, recorded calls, uploads and response URLs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MANIFEST_PATH = Path(__file__).resolve().parents[2] / "manifest" / "slack" / "manifest.json"


def manifest_bot_scopes(path: Path = MANIFEST_PATH) -> tuple[str, ...]:
    """The bot scopes the app manifest asks for: what Slack grants a token on install."""
    manifest = json.loads(path.read_text(encoding="utf-8"))
    return tuple(manifest["oauth_config"]["scopes"]["bot"])


# A token issued by an install of Preflight has the manifest's bot scopes.
DEFAULT_BOT_SCOPES: tuple[str, ...] = manifest_bot_scopes()
DEFAULT_TOKEN = "xoxb-valid"


@dataclass(frozen=True)
class TokenInfo:
    token: str
    team_id: str
    team_name: str
    user_id: str  # the bot user for xoxb tokens
    bot_id: str
    scopes: tuple[str, ...] = DEFAULT_BOT_SCOPES
    revoked: bool = False


@dataclass(frozen=True)
class Channel:
    id: str
    name: str
    is_private: bool = False
    is_archived: bool = False
    is_member: bool = True  # whether the bot user is in it
    is_im: bool = False
    user: str | None = None  # the other party of a DM
    # Slack refuses posts from non-members even with chat:write.public (e.g. Slack Connect channels).
    members_only: bool = False


@dataclass(frozen=True)
class User:
    id: str
    name: str
    real_name: str
    display_name: str = ""
    tz: str = "America/New_York"
    is_bot: bool = False
    deleted: bool = False


@dataclass(frozen=True)
class RecordedCall:
    """One request the stand-in answered: a Web API method, an upload, or a response_url post."""

    method: str  # "chat.postMessage", ..., "upload" for the file upload URL, "response_url"
    args: dict[str, Any]
    headers: dict[str, str]
    time: float
    token: str | None
    status: int
    response: Any  # the body answered (a dict, or text for uploads and response URLs)

    @property
    def ok(self) -> bool:
        return isinstance(self.response, dict) and bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        if isinstance(self.response, dict):
            error = self.response.get("error")
            return str(error) if error is not None else None
        return None if self.status == 200 else str(self.response)


@dataclass
class UploadedFile:
    id: str
    filename: str
    length: int
    content: bytes | None = None
    title: str | None = None
    channel_id: str | None = None
    initial_comment: str | None = None
    thread_ts: str | None = None
    completed: bool = False


@dataclass
class ResponseUrl:
    id: str
    created: float
    uses: int = 0
    expired: bool = False
    posts: list[dict[str, Any]] = field(default_factory=list)


class SlackApiError(Exception):
    """Raised inside a method handler; becomes `{"ok": false, "error": ...}`."""

    def __init__(self, error: str, *, status: int = 200, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.extra = extra
