"""Surfaces: each subpackage turns native events into intents and renders Cards natively."""
