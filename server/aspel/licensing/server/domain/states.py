"""The states stored in rows, named once for the domain and the store.

A leaf (it imports nothing), so the store's queries and models may name a
state without depending on the domain's rules, and no state is spelled as a
literal in two layers. The migrations keep their own literals: they are the
schema as it was written, not as it is named today.
"""

from __future__ import annotations

# A subscription's stored `status`. INACTIVE is never stored: it is derived
# from a SUPERSEDED serial's retire date and the clock (domain/subscriptions.py).
ACTIVE = "ACTIVE"
SUPERSEDED = "SUPERSEDED"
SUSPENDED = "SUSPENDED"
INACTIVE = "INACTIVE"
# Never stored either: an ACTIVE subscription whose next payment date has
# passed without a recorded payment (domain/subscriptions.py).
OVERDUE = "OVERDUE"

# A subscription's `modality`.
SUBSCRIPTION = "SUBSCRIPTION"
PERPETUAL_LICENSE = "PERPETUAL_LICENSE"

# An outbox message's `state` (mail/worker.py delivers them).
PENDING = "PENDING"
SENDING = "SENDING"
SENT = "SENT"
FAILED = "FAILED"
