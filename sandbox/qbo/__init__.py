"""The QuickBooks Online simulator: Accounting API v3 and Intuit OAuth 2.0 over real HTTP on loopback.

state = QboSandboxState([company])
with BackgroundServer(make_qbo_app(state)) as server:
    discovery_url = server.url + DISCOVERY_PATH  # intuit-oauth's `environment`
    api_base = server.url + "/v3"                 # python-quickbooks' api_url_v3
"""

from __future__ import annotations

from sandbox.qbo.app import make_qbo_app
from sandbox.qbo.state import QboSandboxState, RequestRecord

DISCOVERY_PATH = "/.well-known/openid_configuration"

__all__ = ["DISCOVERY_PATH", "QboSandboxState", "RequestRecord", "make_qbo_app"]
