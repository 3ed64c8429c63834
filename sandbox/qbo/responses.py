"""The QBO simulator's shared answers: the state and company of a request, and QBO's fault bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from sandbox.company import QboCompanyRec
from sandbox.qbo import render
from sandbox.qbo.state import QboSandboxState

STATE_KEY = web.AppKey("qbo_state", QboSandboxState)


def state_of(request: web.Request) -> QboSandboxState:
    return request.app[STATE_KEY]


def company_of(request: web.Request) -> QboCompanyRec:
    return state_of(request).companies[request.match_info["realm"]]


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(body, status=status, headers=headers)


def fault(company: QboCompanyRec | None, message: str, detail: str, code: str, **kw: Any) -> web.Response:
    return json_response(render.fault(company, message, detail, code, **kw), status=400)


def not_found(company: QboCompanyRec) -> web.Response:
    return fault(
        company,
        "Object Not Found",
        "Object Not Found : Something you're trying to use has been made inactive. "
        "Check the fields with accounts, customers, items, vendors or employees.",
        "610",
    )


def unauthorized(detail: str) -> web.Response:
    body = render.lowercase_fault(
        "message=AuthenticationFailed; errorCode=003200; statusCode=401", detail, "3200", "AUTHENTICATION"
    )
    return json_response(body, status=401)


def throttled(retry_after: float | None) -> web.Response:
    body = render.lowercase_fault(
        "message=ThrottleExceeded; errorCode=003001; statusCode=429", "Too many requests", "3001", "SERVICE"
    )
    headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else None
    return json_response(body, status=429, headers=headers)


def server_error(company: QboCompanyRec | None) -> web.Response:
    body = render.fault(
        company,
        "An application error has occurred while processing your request",
        "System Failure Error: An unexpected error occurred while accessing or saving your data.",
        "10000",
        fault_type="SystemFault",
    )
    return json_response(body, status=500)


def company_now(company: QboCompanyRec) -> datetime:
    return company.now()
