"""The accreditation process: its states. The transition table arrives with the review workflow."""
from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    SCREENING = "screening"
    RETURNED = "returned"
    IN_REVIEW = "in_review"
    CONSOLIDATION = "consolidation"
    PROVIDER_RESPONSE = "provider_response"
    DECISION_PENDING = "decision_pending"
    DECIDED = "decided"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        """The state as shown to people."""
        return self.value.replace("_", " ").capitalize()
