"""`preflight`: the command line, assembled from every registered surface."""

from __future__ import annotations

from bot.cli import build_app, run
from preflight.surfaces import SURFACES

app = build_app(SURFACES)


def main() -> None:
    run(app)


if __name__ == "__main__":  # `python -m preflight.main serve`, as the replica tests and the benchmark start it
    main()
