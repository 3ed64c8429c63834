"""Run an aiohttp application on a free loopback port in its own thread.

The simulators are served this way by the demo, the tests and the benchmarks, so that synchronous clients
(python-quickbooks uses requests) and asynchronous ones can both reach them over real HTTP.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from types import TracebackType

from aiohttp import web


class BackgroundServer:
    """`with BackgroundServer(app) as server: requests.get(server.url + "/...")`."""

    def __init__(
        self,
        app: web.Application,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._app = app
        self._host = host
        self._port = port
        # With an SSL context the same app is also served over HTTPS on a second port (`tls_url`), for
        # clients that refuse plain HTTP (MSAL only talks to an https authority).
        self._ssl_context = ssl_context
        self.tls_port: int = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="sandbox-server", daemon=True)
        self._runner: web.AppRunner | None = None
        self.port: int = 0

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.port}"

    @property
    def tls_url(self) -> str:
        if not self.tls_port:
            raise RuntimeError("this server was started without an ssl_context")
        return f"https://{self._host}:{self.tls_port}"

    def start(self) -> BackgroundServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=30)
        return self

    async def _start(self) -> None:
        # Large companies answer with big bodies; keep-alive and a generous backlog serve concurrent pages.
        self._runner = web.AppRunner(self._app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port, backlog=1024)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        if self._ssl_context is not None:
            tls = web.TCPSite(self._runner, self._host, 0, ssl_context=self._ssl_context, backlog=1024)
            await tls.start()
            tls_server = tls._server
            assert tls_server is not None and tls_server.sockets  # type: ignore[attr-defined]
            self.tls_port = tls_server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=30)
            self._runner = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
