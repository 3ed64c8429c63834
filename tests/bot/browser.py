"""A stand-in for the owner's browser, run as `$BROWSER`: opens Intuit's consent address and follows its redirect
to Preflight's loopback callback, as a person signing in would."""

from __future__ import annotations

import sys

import requests

if __name__ == "__main__":
    response = requests.get(sys.argv[1], timeout=30)
    sys.exit(0 if response.ok else 1)
