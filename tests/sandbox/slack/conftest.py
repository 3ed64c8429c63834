"""Fixtures for the Slack stand-in tests: a fresh stand-in, served, and slack_sdk's client on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from sandbox.server import BackgroundServer
from sandbox.slack import DEFAULT_TOKEN, SlackApiSandbox


@pytest.fixture
def sandbox() -> SlackApiSandbox:
    return SlackApiSandbox()


@pytest.fixture
def server(sandbox: SlackApiSandbox) -> Iterator[BackgroundServer]:
    with BackgroundServer(sandbox.app) as running:
        yield running


@pytest.fixture
def client(server: BackgroundServer) -> WebClient:
    return WebClient(token=DEFAULT_TOKEN, base_url=server.url + "/api/")
