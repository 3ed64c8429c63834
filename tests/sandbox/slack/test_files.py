"""The Slack stand-in, driven by slack_sdk: files_upload_v2 against the two upload steps."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.server import BackgroundServer
from sandbox.slack import DEFAULT_TOKEN, SlackApiSandbox
from tests.sandbox.slack.payloads import error_of

# ---------------------------------------------------------------------------------------- files


def test_files_upload_v2_round_trip(sandbox: SlackApiSandbox, client: WebClient) -> None:
    csv = b"sku,name,qty\nMUG-1,Kids' Caf\xc3\xa9 <Mug> & Co,3\n"
    response = client.files_upload_v2(
        channel="C0BOOKS",
        content=csv,
        filename="deactivate.csv",
        title="Items to deactivate",
        initial_comment="The items to deactivate",
    )
    uploaded = response["file"]
    assert uploaded["name"] == "deactivate.csv"
    assert uploaded["title"] == "Items to deactivate"
    assert uploaded["size"] == len(csv)
    assert uploaded["channels"] == ["C0BOOKS"]
    stored = sandbox.file(uploaded["id"])
    assert stored.content == csv
    assert stored.channel_id == "C0BOOKS"
    assert [c.method for c in sandbox.calls() if c.method != "auth.test"] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]
    assert sandbox.last("files.getUploadURLExternal").args["length"] == str(len(csv))


async def test_files_upload_v2_with_the_async_client(sandbox: SlackApiSandbox, server: BackgroundServer) -> None:
    client = AsyncWebClient(token=DEFAULT_TOKEN, base_url=server.url + "/api/")
    response = await client.files_upload_v2(channel="C0BOOKS", content="a,b\n1,2\n", filename="report.csv")
    assert sandbox.file(response["file"]["id"]).content == b"a,b\n1,2\n"
    assert [f.filename for f in sandbox.files()] == ["report.csv"]


def test_completing_an_upload_that_never_arrived_fails(client: WebClient) -> None:
    issued = client.files_getUploadURLExternal(filename="x.csv", length=3)
    error = error_of(lambda: client.files_completeUploadExternal(files=[{"id": issued["file_id"]}]))
    assert error.response["error"] == "file_not_found"
