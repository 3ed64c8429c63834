"""Intuit's OAuth 2.0 endpoints: discovery, consent, tokens, revocation, keys and userinfo."""

from __future__ import annotations

import base64
import binascii
import json
from urllib.parse import urlencode

from aiohttp import web

from sandbox.qbo.responses import json_response, state_of
from sandbox.qbo.state import QboSandboxState

ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"


def _origin(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


async def discovery(request: web.Request) -> web.Response:
    base = _origin(request)
    return json_response(
        {
            "issuer": base,
            "authorization_endpoint": base + "/authorize",
            "token_endpoint": base + "/oauth2/v1/tokens/bearer",
            "userinfo_endpoint": base + "/v1/openid_connect/userinfo",
            "revocation_endpoint": base + "/oauth2/v1/tokens/revoke",
            "jwks_uri": base + "/oauth2/v1/keys",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile", "address", "phone"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
        }
    )


async def authorize(request: web.Request) -> web.StreamResponse:
    """Consent is granted at once: redirect back with code, state and realmId."""
    state = state_of(request)
    q = request.query
    if q.get("client_id") != state.client_id:
        return json_response({"error": "invalid_client", "error_description": "Unknown client_id"}, status=400)
    redirect_uri = q.get("redirect_uri")
    if not redirect_uri:
        return json_response({"error": "invalid_request", "error_description": "redirect_uri is required"}, status=400)
    params: dict[str, str] = {}
    if q.get("response_type") != "code" or ACCOUNTING_SCOPE not in q.get("scope", "").split():
        params["error"] = "invalid_scope" if q.get("response_type") == "code" else "unsupported_response_type"
    else:
        # `realmId` is a sandbox extension that picks the company the user "chooses" on the consent screen.
        realm = q.get("realmId") or state.default_realm_id
        if realm not in state.companies:
            return json_response({"error": "invalid_request", "error_description": "Unknown realmId"}, status=400)
        params.update(code=state.new_authorization_code(realm, redirect_uri), realmId=realm)
    if "state" in q:
        params["state"] = q["state"]
    sep = "&" if "?" in redirect_uri else "?"
    raise web.HTTPFound(redirect_uri + sep + urlencode(params))


def _client_ok(request: web.Request, state: QboSandboxState) -> bool:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return False
    try:
        client_id, _, secret = base64.b64decode(header[6:]).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return client_id == state.client_id and secret == state.client_secret


async def token(request: web.Request) -> web.Response:
    state = state_of(request)
    with state.lock:
        state.token_requests += 1
    if not _client_ok(request, state):
        return json_response({"error": "invalid_client"}, status=401)
    form = await request.post()
    grant_type = form.get("grant_type")
    invalid = {"error_description": "Incorrect or invalid refresh token", "error": "invalid_grant"}
    if grant_type == "authorization_code":
        tokens = state.redeem_code(str(form.get("code", "")), str(form.get("redirect_uri", "")))
        if tokens is None:
            return json_response(
                {"error_description": "Invalid authorization code", "error": "invalid_grant"}, status=400
            )
        return json_response(tokens)
    if grant_type == "refresh_token":
        tokens = state.refresh(str(form.get("refresh_token", "")))
        return json_response(tokens) if tokens is not None else json_response(invalid, status=400)
    return json_response({"error": "unsupported_grant_type"}, status=400)


async def revoke(request: web.Request) -> web.Response:
    state = state_of(request)
    if not _client_ok(request, state):
        return json_response({"error": "invalid_client"}, status=401)
    try:
        token = (await request.json()).get("token", "")
    except (json.JSONDecodeError, AttributeError):
        return json_response({"error": "invalid_request"}, status=400)
    state.revoke(str(token))
    return web.Response(status=200)


async def jwks(request: web.Request) -> web.Response:
    return json_response({"keys": []})


async def userinfo(request: web.Request) -> web.Response:
    state = state_of(request)
    header = request.headers.get("Authorization", "")
    realm = state.realm_for_access_token(header.removeprefix("Bearer ")) if header.startswith("Bearer ") else None
    if realm is None:
        return json_response({"error": "invalid_token"}, status=401)
    return json_response({"sub": f"sandbox-user-{realm}", "email": "owner@example.com", "emailVerified": True})
