"""Slack surface: Bolt listeners and Block Kit rendering."""
