"""The one way Preflight reads and writes its records: typed functions over a Session, one module per record.

No business rules here (the checklist service authorises and validates). Functions take a Session and leave
committing to the caller, except `connections.update_qbo_tokens`, which commits in its own short transaction
because a rotated QBO refresh token must never be lost.
"""
