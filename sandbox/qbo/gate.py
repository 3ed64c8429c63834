"""What every v3 call passes first: counting, latency, injected faults, rate limits, minor version, auth."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web

from sandbox.qbo.responses import fault, server_error, throttled, unauthorized
from sandbox.qbo.state import MIN_MINOR_VERSION, QboSandboxState


def v3_gate(state: QboSandboxState) -> Any:
    """Counting, latency, injected faults, rate limits, minor version and bearer auth for v3 calls."""

    @web.middleware
    async def gate(request: web.Request, handler: Any) -> web.StreamResponse:
        if not request.path.startswith("/v3/"):
            state.record(request.method, request.path, None, request.headers.get("User-Agent", ""))
            response: web.StreamResponse = await handler(request)
            return response
        realm = request.match_info.get("realm")
        arrived = time.monotonic()
        state.record(request.method, request.path, realm, request.headers.get("User-Agent", ""))
        minor = request.query.get("minorversion")
        with state.lock:
            state.minor_versions.append(minor)
        if state.latency > 0:
            await asyncio.sleep(state.latency)
        company = state.companies.get(realm or "")
        too_old = minor is not None and (not minor.isdigit() or int(minor) < MIN_MINOR_VERSION)
        if state.strict_minor_version and too_old:
            return fault(
                company,
                "Invalid minor version",
                f"Minor version {minor} is not supported; the minimum is {MIN_MINOR_VERSION}.",
                "2130",
            )
        injected = state.take_injected()
        if injected is not None:
            status, retry_after = injected
            return throttled(retry_after) if status == 429 else server_error(company)
        if realm is not None and state.throttled(realm, arrived):
            return throttled(1)
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or len(header) <= len("Bearer "):
            return unauthorized("Malformed bearer token: too short or too long")
        if realm is None or state.realm_for_access_token(header[len("Bearer ") :]) != realm or company is None:
            return unauthorized("Token expired: the access token is expired, revoked or not valid for this realm")
        response = await handler(request)
        return response

    return gate
