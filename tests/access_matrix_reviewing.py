"""Access matrix: The reviewer's own work: invitations, the declaration, the scoring form, the documents.

Every reviewer reaches the list of their own reviews. A seat's pages answer only its own reviewer, and only
while the seat is live: the removed and the conflicted reviewers are refused on their own (closed) seats,
the unassigned one on the assigned reviewer's. Accepting or declining an invitation already accepted is a
409 and posting an empty form a 422: both count as let through. QA officers and administrators read one
review; only QA officers send it back.
"""
from __future__ import annotations

from access_matrix import ADMIN, ASSIGNED_REVIEWER, DESIGNER, OFFICERS, QA_OFFICER, REVIEWERS  # noqa: F401

OWN_SEAT = frozenset({ASSIGNED_REVIEWER})

ROUTES: dict[str, dict[str, frozenset[str]]] = {
    "reviewing.index": {"GET": REVIEWERS},
    "reviewing.invitation": {"GET": OWN_SEAT},
    "reviewing.accept": {"POST": OWN_SEAT},
    "reviewing.decline": {"POST": OWN_SEAT},
    "reviewing.declaration": {"GET": OWN_SEAT, "POST": OWN_SEAT},
    "reviewing.proposal": {"GET": OWN_SEAT},
    "reviewing.attachment": {"GET": OWN_SEAT},
    "reviewing.score": {"GET": OWN_SEAT, "POST": OWN_SEAT},
    "reviewing.panel": {"GET": OWN_SEAT},
    "reviewing.assignment": {"GET": OFFICERS},
    "reviewing.reopen": {"POST": frozenset({QA_OFFICER})},
}
