"""What Preflight says about Slack itself: channels it cannot post in, permissions, expired links.

The walk's own words live in bot/conversation/messages.py; these are only the Slack-specific ones.
"""

from __future__ import annotations

INVITE = "Invite me with `/invite @Preflight` and try again."


def channel_problem(error: str) -> str:
    """Why a channel refused a post, and what the person can do about it."""
    if error == "is_archived":
        return (
            "I can't post in this channel because it is archived, so here is my answer privately. "
            "Unarchive the channel, or start a checklist in another one with `/preflight start`."
        )
    if error in ("not_in_channel", "channel_not_found"):
        return f"I'm not a member of this channel, so here is my answer privately. {INVITE}"
    return f"Slack refused my message in this channel ({error}), so here is my answer privately."


def missing_permission(scope: str | None, install_url: str) -> str:
    what = f"the `{scope}` permission" if scope else "a permission it needs"
    return (
        f"Preflight is missing {what} in this workspace. A Slack admin can grant it by reinstalling the app: "
        f"[Add Preflight to Slack]({install_url})."
    )


def attachment_refused(filename: str, error: str) -> str:
    if error in ("not_in_channel", "channel_not_found"):
        return f"I couldn't attach `{filename}`: Slack only lets me share files in channels I'm in. {INVITE}"
    if error == "is_archived":
        return f"I couldn't attach `{filename}`: this channel is archived."
    return f"I couldn't attach `{filename}` ({error}). Ask again with `/preflight export deactivation`."


TRIGGER_EXPIRED = "Slack closed the window for opening that form before I could. Press the button again."
FINALE_CHECKING = "Checking the Finale key with Finale…"
HOME_EMPTY = (
    "No checklist you can see yet. In the channel where your team prepares the go-live, type `/preflight start`."
)


def qbo_connected(company: str, user_name: str) -> str:
    return f"{user_name} connected Preflight to QuickBooks Online company **{company}**."


FORM_UNREADABLE = (
    "Preflight could not read which channel this form belongs to, so nothing was recorded. Close the form and "
    "open it again from the checklist's channel."
)
