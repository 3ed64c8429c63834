"""The terminal chat used by `preflight demo`: the same commands, buttons as numbered choices."""
