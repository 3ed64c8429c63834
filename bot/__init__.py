"""Preflight's platform-neutral core: settings, the checklist service, the conversation, reminders, the CLI."""
