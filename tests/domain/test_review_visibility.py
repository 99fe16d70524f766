"""Review visibility: exhaustive truth tables, stable aliases, and redaction of what designers see."""

from __future__ import annotations

import itertools
import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qa_engine.domain.review_visibility import (
    ANONYMOUS,
    INSTITUTION_WITHHELD,
    NAME_PARTICLES,
    Relation,
    ReviewerAlias,
    ReviewerIdentity,
    ReviewRecord,
    alias_label,
    can_see_marks,
    can_see_reviewer_identity,
    redact_for_designer,
    scrubber,
)

R = Relation
# (viewer, review_submitted, viewer_has_submitted, released_to_designers) for which marks are visible
MARKS_VISIBLE = {
    *((R.AUTHOR, *flags) for flags in itertools.product([False, True], repeat=3)),
    *((viewer, True, *flags) for viewer in (R.QA_OFFICER, R.ADMIN)
      for flags in itertools.product([False, True], repeat=2)),
    (R.PANEL_MEMBER, True, True, False), (R.PANEL_MEMBER, True, True, True),
    (R.PANEL_CHAIR, True, True, False), (R.PANEL_CHAIR, True, True, True),
    (R.DESIGNER, True, False, True), (R.DESIGNER, True, True, True),
}
IDENTITY_VISIBLE = {
    (R.AUTHOR, False), (R.AUTHOR, True), (R.PANEL_MEMBER, False), (R.PANEL_MEMBER, True),
    (R.PANEL_CHAIR, False), (R.PANEL_CHAIR, True), (R.QA_OFFICER, False), (R.QA_OFFICER, True),
    (R.ADMIN, False), (R.ADMIN, True), (R.DESIGNER, False),
}


@pytest.mark.parametrize(("viewer", "submitted", "viewer_submitted", "released"),
                         list(itertools.product(list(Relation), [False, True], [False, True], [False, True])))
def test_can_see_marks_truth_table(viewer, submitted, viewer_submitted, released):
    expected = (viewer, submitted, viewer_submitted, released) in MARKS_VISIBLE
    assert can_see_marks(viewer, submitted, viewer_has_submitted=viewer_submitted,
                         released_to_designers=released) is expected


def test_can_see_marks_table_size():
    assert len(MARKS_VISIBLE) == 8 + 8 + 4 + 2


@pytest.mark.parametrize(("viewer", "blind"), list(itertools.product(list(Relation), [False, True])))
def test_can_see_reviewer_identity_truth_table(viewer, blind):
    assert can_see_reviewer_identity(viewer, blind) is ((viewer, blind) in IDENTITY_VISIBLE)


@pytest.mark.parametrize(("index", "label"), [(0, "Reviewer A"), (25, "Reviewer Z"), (26, "Reviewer AA"),
                                              (27, "Reviewer AB"), (701, "Reviewer ZZ"), (702, "Reviewer AAA")])
def test_alias_label(index, label):
    assert alias_label(index) == label


def test_alias_label_negative_raises():
    with pytest.raises(ValueError, match="index: must be >= 0"):
        alias_label(-1)


def test_reviewer_alias_by_assignment_order():
    alias = ReviewerAlias.by_assignment_time([(30, date(2026, 2, 1)), (10, date(2026, 2, 3)), (20, date(2026, 2, 1))])
    assert alias.assignment_ids == (20, 30, 10)
    assert [alias.label(i) for i in (10, 20, 30)] == ["Reviewer C", "Reviewer A", "Reviewer B"]


def test_reviewer_alias_unknown_and_duplicate():
    with pytest.raises(KeyError):
        ReviewerAlias((1, 2)).label(3)
    with pytest.raises(ValueError, match="assignment_ids: must be unique"):
        ReviewerAlias((1, 1))


GARCIA = ReviewerIdentity(7, "María García López", "mgarcia@uni.example", "Universitat de Lleida")
SMITH = ReviewerIdentity(8, "Dr John Smith", "", "Acme Ltd")
REMOVED = ReviewerIdentity(9, "Petra Novak")


def record(assignment_id: int, who: ReviewerIdentity, text: str) -> ReviewRecord:
    return ReviewRecord(assignment_id, who, who.name, {"c1": 3, "c2": None}, {"general": text})


RECORDS = [
    record(2, SMITH, "As Dr Smith I agree with María García. Write to mgarcia@uni.example. Petra Novak left."),
    record(1, GARCIA, "At Universitat de Lleida we do this; garcía's view is firm. SMITH disagrees."),
]


def test_redact_for_designer_blind_removes_identities_and_traces():
    redacted = redact_for_designer(RECORDS, blind_mode=True, alias=ReviewerAlias((1, 2)), also_hide=[REMOVED])
    assert [(r.assignment_id, r.reviewer, r.label) for r in redacted] == [(1, None, "Reviewer A"),
                                                                         (2, None, "Reviewer B")]
    assert [dict(r.marks) for r in redacted] == [{"c1": 3, "c2": None}, {"c1": 3, "c2": None}]
    assert redacted[0].texts["general"] == (
        f"At {INSTITUTION_WITHHELD} we do this; Reviewer A's view is firm. Reviewer B disagrees.")
    assert redacted[1].texts["general"] == (
        "As Dr Reviewer B I agree with Reviewer A. Write to Reviewer A. a reviewer left.")


def test_redact_for_designer_open_mode_keeps_names_in_alias_order():
    redacted = redact_for_designer(RECORDS, blind_mode=False, alias=ReviewerAlias((1, 2)))
    assert redacted == (RECORDS[1], RECORDS[0])


def test_redact_for_designer_output_order_follows_alias_not_input():
    alias = ReviewerAlias((2, 1))
    forward = redact_for_designer(RECORDS, blind_mode=True, alias=alias)
    backward = redact_for_designer(list(reversed(RECORDS)), blind_mode=True, alias=alias)
    assert forward == backward
    assert [r.label for r in forward] == ["Reviewer A", "Reviewer B"]


def test_redact_for_designer_record_without_alias_raises():
    with pytest.raises(ValueError):
        redact_for_designer(RECORDS, blind_mode=True, alias=ReviewerAlias((1,)))


def test_redact_for_designer_no_records():
    assert redact_for_designer([], blind_mode=True, alias=ReviewerAlias(())) == ()


def test_redact_for_designer_does_not_touch_words_containing_a_name():
    person = ReviewerIdentity(1, "Ann Lee")
    redacted = redact_for_designer([record(1, person, "Annual leeway; Ann said so.")], blind_mode=True,
                                   alias=ReviewerAlias((1,)))
    assert redacted[0].texts["general"] == "Annual leeway; Reviewer A said so."


def test_scrubber_name_runs_particles_and_mixed_people():
    clean = scrubber([(ReviewerIdentity(1, "Ana de la Torre"), "Reviewer A"),
                      (ReviewerIdentity(2, "Li Wu"), "Reviewer B")])
    assert clean("Ana de la Torre, Torre, ANA TORRE and Dr. de la Torre") == (
        "Reviewer A, Reviewer A, Reviewer A and Dr. de la Reviewer A")
    assert clean("Li Wu met li wu; Li said") == "Reviewer B met Reviewer B; Li said"
    assert clean("Torre") == "Reviewer A"
    mixed = scrubber([(ReviewerIdentity(1, "Ana Torre"), "Reviewer A"),
                      (ReviewerIdentity(2, "Ana Moreno"), "Reviewer B")])
    assert mixed("Ana said; Moreno and Torre agree; ANA  TORRE too; Moreno Torre") == (
        f"{ANONYMOUS} said; Reviewer B and Reviewer A agree; Reviewer A too; {ANONYMOUS}")


word = st.text("bcdfghklmnpqrstvwxz", min_size=3, max_size=8).filter(lambda w: w not in NAME_PARTICLES)


@given(st.lists(st.tuples(word, word), min_size=1, max_size=4), st.lists(word, max_size=10), st.randoms())
def test_redact_for_designer_blind_leaves_no_name_in_text(names, filler, rnd):
    people = [ReviewerIdentity(n, f"{first.title()} {last.title()}") for n, (first, last) in enumerate(names)]
    mentions = [part.upper() if rnd.random() < 0.5 else part for p in people for part in (p.name, *p.name.split())]
    tokens = filler + mentions
    rnd.shuffle(tokens)
    records = [record(n, p, " ".join(tokens)) for n, p in enumerate(people)]
    redacted = redact_for_designer(records, blind_mode=True, alias=ReviewerAlias(tuple(range(len(people)))))
    for r in redacted:
        assert r.reviewer is None
        remaining = set(re.findall(r"\w+", r.texts["general"].casefold()))
        assert remaining.isdisjoint({part for p in people for part in p.name.casefold().split()})
