"""Access matrix: Appeals, validity and expiry of approvals, their withdrawal, and periodic review.

In the world under test (tests/test_access_matrix.py) the appeal on the decided programme has no panel and no
document yet: officers and administrators see it; nobody may record its outcome (officers and administrators
not on the panel get 403, reviewers 404) and there is no document to download. On the programme under review
the designer's appeal page says no appeal is possible (200) and a post answers 422; the QA officer's withdrawal
form answers 200, and 422 without a reason; starting a periodic review answers 409.

`world_args` adds an appeal with one document and the unassigned reviewer on its panel; with it,
`WITH_A_PANEL` holds for the routes it changes (tests/test_appeals_access.py checks that world).
"""
from __future__ import annotations

from pathlib import Path

from access_matrix import ADMIN, DESIGNER, EVERYONE, OFFICERS, QA_OFFICER, REVIEWERS, UNASSIGNED_REVIEWER  # noqa: F401

NOBODY: frozenset[str] = frozenset()
ON_THE_PANEL = frozenset({UNASSIGNED_REVIEWER})

ROUTES: dict[str, dict[str, frozenset[str]]] = {
    "appeals.lodge": {"GET": frozenset({DESIGNER}), "POST": frozenset({DESIGNER})},
    "appeals.index": {"GET": OFFICERS},
    "appeals.show": {"GET": OFFICERS},
    "appeals.document": {"GET": NOBODY},
    "appeals.appoint": {"POST": frozenset({QA_OFFICER})},
    "appeals.record_outcome": {"POST": NOBODY},
    "appeals.withdraw_approval": {"GET": frozenset({QA_OFFICER}), "POST": frozenset({QA_OFFICER})},
    "appeals.periodic_review": {"POST": frozenset({DESIGNER})},
}

#: Once the appeal has a document and the unassigned reviewer sits on its panel.
WITH_A_PANEL: dict[str, dict[str, frozenset[str]]] = {
    "appeals.show": {"GET": OFFICERS | ON_THE_PANEL},
    "appeals.document": {"GET": OFFICERS | ON_THE_PANEL},
    "appeals.record_outcome": {"POST": ON_THE_PANEL},
}


def world_args(session, *, designer, officer, handler, uploads: Path) -> dict:  # noqa: ANN001
    """Add a rejected programme of the designer's institution with an open appeal (one document; `handler` on its
    panel) and return the url arguments the appeal routes need: {"appeal_id": ...}. `number` (1) is the document."""
    import json
    from datetime import date

    from factories import make_attachment, make_programme, make_submitted

    from qa_engine.domain.outcomes import Outcome
    from qa_engine.domain.workflow import State
    from qa_engine.models import Appeal, Decision, DecisionStatus

    programme = make_programme(session, designer)
    document = make_attachment(session, programme, designer, uploads, filename="grounds.pdf")
    make_submitted(session, programme, designer)
    programme.state = State.REJECTED
    decision = Decision(programme_id=programme.id, version_number=1, status=DecisionStatus.EFFECTIVE,
                        outcome=Outcome.REJECTED, rationale="The outcomes cannot be assessed.",
                        decision_body="Accreditation committee", decided_by_id=officer.id, decided_on=date.today(),
                        appeal_deadline=date.today())
    session.add(decision)
    session.flush()
    appeal = Appeal(decision_id=decision.id, programme_id=programme.id, grounds="The panel misread the outcomes.",
                    documents=json.dumps([document.id]), lodged_by_id=designer.id,
                    handler_ids=json.dumps([handler.id]))
    session.add(appeal)
    session.flush()
    return {"appeal_id": appeal.id}
