"""The command line's own QuickBooks connection: `preflight connect qbo` and the tokens `preflight check` uses.

Like `gh auth login`: Preflight prints Intuit's consent address (and opens a browser where it can), listens on
127.0.0.1 for the redirect, and exchanges the code with intuit-oauth. The tokens are stored encrypted in
Preflight's database as the chat stores them: a checklist of the console workspace "cli", one per QBO company,
whose QBO connection holds them. `check` renews them there, storing a rotated refresh token at once.
"""

from __future__ import annotations

import html
import os
import re
import secrets
import threading
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy.orm import Session, sessionmaker

from bot.checklist.connections import QboConnectionData, store_qbo_tokens
from bot.checklist.service import ChecklistService
from bot.checklist.views import Actor, ScopeKey
from bot.settings import Settings, with_overrides
from bot.sources import LiveSources
from storage import models as db
from storage.repositories import checklists, connections

CLI_WORKSPACE = "cli"
CLI_ACTOR = Actor("cli", "Command line")
CALLBACK_PATH = "/callback"
DEFAULT_PORT = 8765


def cli_scope(realm_id: str) -> ScopeKey:
    return ScopeKey(db.Platform.CONSOLE.value, CLI_WORKSPACE, f"qbo-{realm_id}", "Command line")


class ConnectError(Exception):
    """The connection could not be made; the message says why and what to do. Nothing was stored."""


class LoopbackCallback:
    """Waits for Intuit's redirect on 127.0.0.1 (RFC 8252 loopback redirect); answers the browser with a page
    that says whether to go back to the terminal."""

    def __init__(self, port: int = DEFAULT_PORT) -> None:
        self._query: dict[str, str] | None = None
        self._done = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path != CALLBACK_PATH or owner._done.is_set():
                    self.send_error(404)
                    return
                owner._query = dict(parse_qsl(parts.query))
                ok = "code" in owner._query
                body = (
                    "<h1>Preflight is connecting to QuickBooks Online</h1><p>You can close this tab and go back "
                    "to the terminal.</p>"
                    if ok
                    else f"<h1>QuickBooks Online was not connected</h1><p>{html.escape(owner._query.get('error', ''))}"
                    "</p><p>Go back to the terminal.</p>"
                )
                data = body.encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                owner._done.set()

            def log_message(self, format: str, *args: object) -> None:
                return  # the query carries the authorization code: never log it

        try:
            self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        except OSError as exc:
            raise ConnectError(
                f"Port {port} on 127.0.0.1 is in use ({exc.strerror}). Choose another with --port, and add its "
                "redirect URI to your Intuit app."
            ) from None
        self._thread = threading.Thread(target=self._server.serve_forever, name="qbo-callback", daemon=True)

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{CALLBACK_PATH}"

    def __enter__(self) -> LoopbackCallback:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def wait(self, timeout: float) -> dict[str, str]:
        if not self._done.wait(timeout):
            raise ConnectError(
                f"No answer from the browser within {int(timeout)} seconds. Run `preflight connect qbo` again."
            )
        return dict(self._query or {})


def open_browser(url: str) -> bool:
    """Open `url` in the user's browser where there is one; $BROWSER ("command %s") is honoured."""
    chosen = os.environ.get("BROWSER", "")
    try:
        browser = webbrowser.get(chosen if "%s" in chosen else None)
        return bool(browser.open(url))
    except webbrowser.Error:
        return False


@dataclass(frozen=True)
class Connected:
    realm_id: str
    company: str
    redirect_uri: str


def connect_qbo(
    settings: Settings,
    sessions: sessionmaker[Session],
    *,
    port: int,
    show: Callable[[str], None],
    browse: Callable[[str], bool] = open_browser,
    timeout: float = 300.0,
) -> Connected:
    """Consent in a browser, code exchanged at once, tokens stored encrypted for the company connected."""
    with LoopbackCallback(port) as callback:
        local = with_overrides(settings, {"qbo_redirect_uri": callback.redirect_uri})
        sources = LiveSources(local)
        state = secrets.token_urlsafe(24)
        url = sources.qbo_authorization_url(state)
        show(
            f"Sign in to QuickBooks Online and choose the company to connect:\n{url}\n"
            f"(Waiting for the redirect to {callback.redirect_uri}; it must be one of your Intuit app's "
            "redirect URIs.)"
        )
        if not browse(url):
            show("Open the address above in a browser on this machine.")
        query = callback.wait(timeout)
    if query.get("state") != state:
        raise ConnectError("The answer from the browser does not belong to this sign-in. Run `connect qbo` again.")
    if "error" in query or not query.get("code"):
        raise ConnectError(
            f"QuickBooks Online did not connect ({query.get('error', 'no code')}). Run `connect qbo` again."
        )
    realm_id = query.get("realmId", "")
    if not re.fullmatch(r"[0-9]{1,32}", realm_id):
        raise ConnectError("QuickBooks did not say which company was connected. Run `connect qbo` again.")
    data = sources.qbo_exchange_code(query["code"], realm_id)
    latest = [data]

    def keep(access: str | None, refresh: str, expires: datetime | None) -> None:
        latest.append(QboConnectionData(realm_id, access, refresh, expires))

    company = sources.qbo(data, keep).company().name
    service = ChecklistService(sessions, settings, sources)
    view, _ = service.start(cli_scope(realm_id), CLI_ACTOR, company)
    service.connect_qbo_tokens(view.id, CLI_ACTOR, latest[-1], company)
    return Connected(realm_id, company, callback.redirect_uri)


@dataclass(frozen=True)
class StoredQbo:
    checklist_id: int
    data: QboConnectionData
    company: str


def stored_qbo(sessions: sessionmaker[Session], realm_id: str | None) -> StoredQbo | None:
    """The command line's connection to `realm_id`, or (None) the one connected last."""
    found: list[tuple[datetime, StoredQbo]] = []
    with sessions() as s:
        for row in checklists.checklists_of_workspace(s, db.Platform.CONSOLE, CLI_WORKSPACE):
            conn = connections.get_connection(s, row.id, db.ConnectionKind.QBO)
            if conn is None or not conn.refresh_token or not conn.realm_id:
                continue
            if realm_id is not None and conn.realm_id != realm_id:
                continue
            data = QboConnectionData(conn.realm_id, conn.access_token, conn.refresh_token, conn.access_token_expires_at)
            found.append((conn.connected_at, StoredQbo(row.id, data, conn.company_name or conn.realm_id)))
    return max(found, key=lambda f: f[0])[1] if found else None


class TokenKeeper:
    """`on_tokens` for the command line: each renewal is passed to `store` at once (Intuit invalidates the old
    refresh token a day after rotating it), and `announce` is called only when the refresh token changed."""

    def __init__(
        self,
        refresh_token: str,
        announce: Callable[[], None],
        store: Callable[[str | None, str, datetime | None], None] | None = None,
    ) -> None:
        self._refresh = refresh_token
        self._announce = announce
        self._store = store

    def __call__(self, access: str | None, refresh: str, expires: datetime | None) -> None:
        if self._store is not None:
            self._store(access, refresh, expires)
        if refresh != self._refresh:
            self._refresh = refresh
            self._announce()


def storing(sessions: sessionmaker[Session], stored: StoredQbo) -> Callable[[str | None, str, datetime | None], None]:
    return partial(store_qbo_tokens, sessions, stored.checklist_id)
