"""Channel reminders: one scheduled job per checklist, rebuilt from the database at start."""
