"""Who people are to the engine: roles, and the plain facts about an actor that permissions read."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    QA_OFFICER = "qa_officer"
    REVIEWER = "reviewer"
    DESIGNER = "designer"

    @property
    def label(self) -> str:
        """The role's name as people say it."""
        return _LABELS[self]


_LABELS = {
    Role.ADMIN: "Administrator",
    Role.QA_OFFICER: "QA officer",
    Role.REVIEWER: "External reviewer",
    Role.DESIGNER: "Programme designer",
}


class InstitutionKind(StrEnum):
    AGENCY = "agency"  # the QA agency or QA office running the engine
    PROVIDER = "provider"  # an institution whose programmes are reviewed


@dataclass(frozen=True)
class Actor:
    """A signed-in person as the rules see them: no ORM, no request."""

    user_id: int
    institution_id: int
    roles: frozenset[Role]

    def has(self, *roles: Role) -> bool:
        """True when the actor holds at least one of `roles`."""
        return not self.roles.isdisjoint(roles)
