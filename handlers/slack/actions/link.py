"""Link buttons (the Intuit sign-in link): Slack opens the URL and still sends the press, which needs an ack."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck

ACTION = "connect_link"


async def on_link_button(ack: AsyncAck) -> None:
    await ack()
