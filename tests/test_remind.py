"""`qa-engine remind`: reminders before and after due dates, escalation, never twice, and nothing for work done."""
from __future__ import annotations

import threading
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from factories import make_in_review, make_institution, make_programme, make_submitted, make_user, seat
from flask.testing import FlaskCliRunner
from sql_counts import recorded
from sqlalchemy import func, select

from qa_engine.cli import cli
from qa_engine.db import utcnow
from qa_engine.domain.roles import InstitutionKind, Role
from qa_engine.domain.workflow import State
from qa_engine.models import OutboxMessage, ReminderSent
from qa_engine.services import reminders, reviews

TITLE = "Data Analytics for Public Health"


@pytest.fixture
def world(session):  # noqa: ANN001, ANN201
    """A programme in review, opened by one QA officer while a colleague looks on, and a reviewer."""
    agency = make_institution(session, kind=InstitutionKind.AGENCY)
    officer = make_user(session, Role.QA_OFFICER, institution=agency, full_name="Olga Officer")
    make_user(session, Role.QA_OFFICER, institution=agency, full_name="Colin Colleague")
    designer = make_user(session, Role.DESIGNER, full_name="Dana Designer")
    programme = make_programme(session, designer, data={"identification": {"title": TITLE}})
    make_submitted(session, programme, designer)
    review = make_in_review(session, programme, officer)
    reviewer = make_user(session, Role.REVIEWER, full_name="Zebulon Quixote")
    session.commit()
    return SimpleNamespace(officer=officer, designer=designer, programme=programme, review=review,
                           reviewer=reviewer)


def remind(app, day: date, *options: str):  # noqa: ANN001, ANN201
    return FlaskCliRunner(app).invoke(cli, ["remind", "--today", day.isoformat(), *options], catch_exceptions=False)


def mails(session) -> list[OutboxMessage]:  # noqa: ANN001
    session.commit()  # a fresh snapshot: see what the command committed
    session.expire_all()
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def new_mails(app, session, day: date) -> list[tuple[str, str]]:  # noqa: ANN001
    """(event, address) of what one run on `day` queued."""
    before = len(mails(session))
    remind(app, day)
    return [(mail.event, mail.to_address) for mail in mails(session)[before:]]


def long_date(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def test_remind_review_before_after_and_escalation_on_their_days(app, session, world) -> None:
    place = seat(session, world.review, world.reviewer, world.officer, status="accepted")
    session.commit()
    due = world.review.due_on
    log = {offset: new_mails(app, session, due + timedelta(days=offset)) for offset in range(-8, 17)}
    reviewer, officer = ("reminder", world.reviewer.email), ("escalation", world.officer.email)
    assert {offset: sent for offset, sent in log.items() if sent} == {
        -7: [reviewer], -2: [reviewer], 1: [reviewer], 7: [reviewer], 14: [officer]}
    before_2, after_1, escalation = mails(session)[1], mails(session)[2], mails(session)[4]
    assert before_2.subject == f"[QA Engine] Reminder: your review of “{TITLE}” is due on {long_date(due)}"
    assert f"is due on {long_date(due)}, in 2 days." in before_2.body_text
    assert f"http://127.0.0.1:5000/reviews/{place.id}/score" in before_2.body_text
    assert f'href="http://127.0.0.1:5000/reviews/{place.id}/score"' in before_2.body_html
    assert after_1.subject == f"[QA Engine] Overdue: your review of “{TITLE}” was due on {long_date(due)}"
    assert f"overdue: it was due on {long_date(due)}, 1 day ago." in after_1.body_text
    assert escalation.subject == f"[QA Engine] Escalation: a review of “{TITLE}” is 14 days overdue"
    assert (f"The review of “{TITLE}” by Zebulon Quixote was due on {long_date(due)} and has not been submitted. "
            "It is 14 days overdue. Please follow it up.") in escalation.body_text
    assert f"http://127.0.0.1:5000/programmes/{world.programme.id}" in escalation.body_text


def test_remind_prints_what_it_sent_and_a_count(app, session, world) -> None:
    place = seat(session, world.review, world.reviewer, world.officer, status="accepted")
    session.commit()
    due = world.review.due_on
    result = remind(app, due + timedelta(days=14))
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"sent: reminder review #{place.id} after-7 due {due} -> {world.reviewer.email}",
        f"sent: escalation review #{place.id} escalate due {due} -> {world.officer.email}",
        f"2 reminders sent on {due + timedelta(days=14)}; the mail worker delivers them.",
    ]


def test_remind_twice_the_same_day_sends_nothing_new(app, session, world) -> None:
    seat(session, world.review, world.reviewer, world.officer, status="accepted")
    session.commit()
    day = world.review.due_on - timedelta(days=2)
    assert remind(app, day).stdout.endswith("1 reminder sent on " + day.isoformat() + "; the mail worker delivers "
                                            "them.\n")
    again = remind(app, day)
    assert (again.exit_code, again.stdout) == (0, f"0 reminders sent on {day}; the mail worker delivers them.\n")
    assert len(mails(session)) == 1
    assert session.scalar(select(func.count()).select_from(ReminderSent)) == 1


def test_remind_dry_run_prints_and_records_nothing(app, session, world) -> None:
    place = seat(session, world.review, world.reviewer, world.officer, status="accepted")
    session.commit()
    due = world.review.due_on
    result = remind(app, due - timedelta(days=7), "--dry-run")
    assert result.stdout.splitlines() == [
        f"would send: reminder review #{place.id} before-7 due {due} -> {world.reviewer.email}",
        f"1 reminder would be sent on {due - timedelta(days=7)} (dry run: nothing recorded or sent).",
    ]
    assert mails(session) == []
    assert session.scalar(select(func.count()).select_from(ReminderSent)) == 0


def test_remind_a_run_that_lost_the_race_sends_nothing_twice(app, session, world) -> None:
    seat(session, world.review, world.reviewer, world.officer, status="accepted")
    session.commit()
    day = world.review.due_on + timedelta(days=14)
    settings = app.extensions[reviews.SETTINGS_KEY]
    with app.app_context():
        stale = reminders.plan(session, settings, day)  # planned before the other run recorded anything
    session.commit()
    assert len(stale) == 2
    assert remind(app, day).exit_code == 0
    with app.app_context():
        assert [reminders.send(session, planned) for planned in stale] == [False, False]
    session.commit()
    assert len(mails(session)) == 2
    assert session.scalar(select(func.count()).select_from(ReminderSent)) == 2


@pytest.mark.parametrize("attempt", range(10))
def test_remind_two_runs_at_once_send_each_reminder_once(app, session, world, attempt: int) -> None:
    other = make_user(session, Role.REVIEWER)
    seat(session, world.review, world.reviewer, world.officer, status="accepted")
    seat(session, world.review, other, world.officer, status="accepted", profile="student")
    session.commit()
    day = world.review.due_on + timedelta(days=14)
    database, settings = app.extensions["qa_engine.db"], app.extensions[reviews.SETTINGS_KEY]
    barrier, sent = threading.Barrier(2), {}

    def run(name: str) -> None:
        with app.app_context():
            barrier.wait()
            with database.transaction() as own:
                sent[name] = len(reminders.run(own, settings, day))

    threads = [threading.Thread(target=run, args=(name,)) for name in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(sent.values()) == [0, 4]
    assert sorted((mail.event, mail.to_address) for mail in mails(session)) == sorted(
        [("reminder", world.reviewer.email), ("reminder", other.email)] + [("escalation", world.officer.email)] * 2)


@pytest.mark.parametrize("status", ["submitted", "removed", "declined"])
def test_remind_sends_nothing_for_a_seat_that_is_done_or_gone(app, session, world, status: str) -> None:
    seat(session, world.review, world.reviewer, world.officer, status=status)
    session.commit()
    due = world.review.due_on
    assert [new_mails(app, session, due + timedelta(days=offset)) for offset in (-7, -2, 1, 7, 14, 30)] == [[]] * 6


def test_remind_stops_when_the_review_is_submitted(app, session, world) -> None:
    place = seat(session, world.review, world.reviewer, world.officer, status="accepted")
    session.commit()
    due = world.review.due_on
    assert new_mails(app, session, due - timedelta(days=2)) == [("reminder", world.reviewer.email)]
    place.status, place.submitted_at = "submitted", utcnow()
    session.commit()
    assert [new_mails(app, session, due + timedelta(days=offset)) for offset in (1, 7, 14)] == [[]] * 3


def test_remind_writes_to_active_users_only_but_still_escalates(app, session, world) -> None:
    place = seat(session, world.review, world.reviewer, world.officer, status="accepted")
    world.reviewer.is_active = False
    session.commit()
    due = world.review.due_on
    assert new_mails(app, session, due - timedelta(days=2)) == []
    result = remind(app, due + timedelta(days=14))
    assert result.stdout.splitlines()[:-1] == [
        f"sent: escalation review #{place.id} escalate due {due} -> {world.officer.email}"]


def test_remind_ignores_programmes_no_longer_in_review(app, session, world) -> None:
    seat(session, world.review, world.reviewer, world.officer, status="accepted")
    world.programme.state = State.WITHDRAWN
    session.commit()
    assert new_mails(app, session, world.review.due_on - timedelta(days=2)) == []


def test_remind_invitation_then_review_of_the_same_seat(app, session, world) -> None:
    place = seat(session, world.review, world.reviewer, world.officer, status="invited")
    session.commit()
    answer_by = place.invited_at.date() + timedelta(days=5)  # INVITATION_ANSWER_DAYS
    assert new_mails(app, session, answer_by - timedelta(days=2)) == [("reminder", world.reviewer.email)]
    invitation = mails(session)[-1]
    assert invitation.subject == f"[QA Engine] Reminder: please answer the invitation to review “{TITLE}”"
    assert f"your answer is due on {long_date(answer_by)}, in 2 days." in invitation.body_text
    assert f"http://127.0.0.1:5000/reviews/{place.id}" in invitation.body_text
    assert new_mails(app, session, answer_by + timedelta(days=14)) == [
        ("reminder", world.reviewer.email), ("escalation", world.officer.email)]
    assert "Zebulon Quixote has not answered the invitation" in mails(session)[-1].body_text
    place.status, place.responded_at = "accepted", utcnow()
    session.commit()
    # Accepted: the invitation's reminders are over; the review's own start, though their codes look alike.
    assert new_mails(app, session, world.review.due_on - timedelta(days=2)) == [("reminder", world.reviewer.email)]
    assert mails(session)[-1].subject.startswith("[QA Engine] Reminder: your review of")


def provider_response(session, world, due_in: int = 20) -> date:  # noqa: ANN001
    """The draft report went to the provider today; the response is due in `due_in` days."""
    seat(session, world.review, world.reviewer, world.officer, status="submitted")
    world.programme.state = State.PROVIDER_RESPONSE
    world.review.report_sent_at = utcnow()
    world.review.response_due_on = date.today() + timedelta(days=due_in)
    session.commit()
    return world.review.response_due_on


def test_remind_provider_response_goes_to_the_designer_and_never_names_a_reviewer(app, session, world) -> None:
    due = provider_response(session, world)
    assert new_mails(app, session, due - timedelta(days=2)) == [("reminder", world.designer.email)]
    assert new_mails(app, session, due + timedelta(days=14)) == [
        ("reminder", world.designer.email), ("escalation", world.officer.email)]
    before, after, escalation = mails(session)
    assert before.subject == (f"[QA Engine] Reminder: your response to the draft panel report on “{TITLE}” is due on "
                              f"{long_date(due)}")
    assert f"http://127.0.0.1:5000/programmes/{world.programme.id}" in before.body_text
    for mail in (before, after):
        text = mail.subject + mail.body_text + mail.body_html
        assert "Zebulon" not in text and "Quixote" not in text and world.reviewer.email not in text
    assert escalation.subject == f"[QA Engine] Escalation: the provider’s response on “{TITLE}” is 14 days overdue"


def test_remind_provider_response_stops_once_answered(app, session, world) -> None:
    due = provider_response(session, world)
    world.review.response, world.review.responded_at = "Our answer to the panel.", utcnow()
    session.commit()
    assert [new_mails(app, session, due + timedelta(days=offset)) for offset in (-2, 1, 14)] == [[]] * 3


def test_remind_rejects_a_malformed_day(app) -> None:
    result = FlaskCliRunner(app).invoke(cli, ["remind", "--today", "2026-13-01"])
    assert result.exit_code == 2
    assert "Invalid value for '--today'" in result.stderr


def test_remind_plans_with_the_same_number_of_statements_for_2_and_8_seats(app, session, world) -> None:
    engine, settings = app.extensions["qa_engine.db"].engine, app.extensions[reviews.SETTINGS_KEY]
    day = world.review.due_on + timedelta(days=14)

    def statements() -> tuple[int, int]:
        with recorded(engine) as seen, app.app_context(), app.extensions["qa_engine.db"].new_session() as own:
            planned = reminders.plan(own, settings, day)
        return len(seen), len(planned)

    for profile in ("academic", "student"):
        seat(session, world.review, make_user(session, Role.REVIEWER), world.officer, profile=profile)
    session.commit()
    at_2 = statements()
    for _ in range(6):
        seat(session, world.review, make_user(session, Role.REVIEWER), world.officer, status="invited")
    session.commit()
    at_8 = statements()
    assert (at_2[1], at_8[1]) == (4, 16)
    assert at_2[0] == at_8[0]


def conditional_approval(session, world, due_in: int = 60):  # noqa: ANN001, ANN201
    """The programme was approved today with one condition due in `due_in` days."""
    from qa_engine.domain.outcomes import Outcome
    from qa_engine.models import Condition, Decision, DecisionStatus

    world.programme.state = State.CONDITIONS
    decision = Decision(programme_id=world.programme.id, version_number=1, status=DecisionStatus.EFFECTIVE,
                        outcome=Outcome.APPROVED_WITH_CONDITIONS, rationale="Sound, one gap.",
                        valid_from=date.today(), valid_until=date.today() + timedelta(days=1000),
                        decision_body="Accreditation committee", decided_by_id=world.officer.id,
                        decided_on=date.today())
    session.add(decision)
    session.flush()
    condition = Condition(decision_id=decision.id, number=1, text="Publish the RPL procedure.",
                          evidence_required="The published procedure.", due_on=date.today() + timedelta(days=due_in))
    session.add(condition)
    session.commit()
    return condition


def test_remind_conditions_before_and_after_their_due_date_and_escalates_once(app, session, world) -> None:
    condition = conditional_approval(session, world)
    due = condition.due_on
    assert new_mails(app, session, due - timedelta(days=7)) == [("reminder", world.designer.email)]
    assert new_mails(app, session, due - timedelta(days=7)) == []
    assert new_mails(app, session, due + timedelta(days=14)) == [
        ("reminder", world.designer.email), ("escalation", world.officer.email)]
    before = mails(session)[0]
    assert before.subject == (f"[QA Engine] Reminder: a condition of the approval of “{TITLE}” is due on "
                              f"{long_date(due)}")
    assert f"http://127.0.0.1:5000/programmes/{world.programme.id}/conditions" in before.body_text


def test_remind_nothing_for_a_condition_that_is_met(app, session, world) -> None:
    from qa_engine.domain.decisions import ConditionStatus

    condition = conditional_approval(session, world)
    condition.status = ConditionStatus.MET
    session.commit()
    assert [new_mails(app, session, condition.due_on + timedelta(days=offset)) for offset in (-7, 1, 14)] == [[]] * 3
