"""How approvals end or are renewed: `qa-engine expire` and its reminders, withdrawal by a QA officer, periodic
review by the designer, and what the programme page's appeal and approval macros show."""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from factories import make_programme, make_submitted, make_user, sound_proposal
from flask import render_template_string
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from test_appeals import GROUNDS, decided, entries, fresh, lodged, mails, people_fixture, post_appeal  # noqa: F401

from qa_engine.commands.validity import expire
from qa_engine.domain.decisions import AppealOutcome
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.roles import Role
from qa_engine.domain.workflow import State
from qa_engine.models import Appeal, Programme, ProgrammeVersion, ReminderSent
from qa_engine.services import appeals, decision_records, users, validity

TODAY = date.today()
REASON = "The provider no longer delivers the programme as approved: the practical modules were dropped."


def run(app, *args: str):  # noqa: ANN001, ANN201
    return FlaskCliRunner(app).invoke(expire, list(args), catch_exceptions=False)


def state_of(session, programme_id: int) -> State:  # noqa: ANN001
    fresh(session)
    return session.get(Programme, programme_id).state


def reminder_codes(session) -> list[tuple[int, str]]:  # noqa: ANN001
    fresh(session)
    return list(session.execute(select(ReminderSent.subject_id, ReminderSent.code)
                                .where(ReminderSent.kind == "expiry").order_by(ReminderSent.id)).all())


# Expiry -------------------------------------------------------------------------------------------------------


def test_expire_ends_approvals_whose_validity_ended_and_tells_the_designer(app, session, people) -> None:
    ended = decided(session, people, Outcome.APPROVED, state=State.APPROVED, decided_on=TODAY - timedelta(days=400),
                    valid_until=TODAY - timedelta(days=1))
    conditional = decided(session, people, Outcome.APPROVED_WITH_CONDITIONS, state=State.CONDITIONS,
                          decided_on=TODAY - timedelta(days=400), valid_until=TODAY - timedelta(days=3))
    last_day = decided(session, people, Outcome.APPROVED, state=State.APPROVED, decided_on=TODAY - timedelta(days=400),
                       valid_until=TODAY)
    in_review_again = decided(session, people, Outcome.APPROVED, state=State.SUBMITTED,
                              decided_on=TODAY - timedelta(days=400), valid_until=TODAY - timedelta(days=1))
    result = run(app)
    assert result.exit_code == 0
    assert result.output.splitlines()[:2] == [
        f"expired: programme #{ended.programme_id} “{ended.programme.title}” "
        f"(valid until {(TODAY - timedelta(days=1)).isoformat()})",
        f"expired: programme #{conditional.programme_id} “{conditional.programme.title}” "
        f"(valid until {(TODAY - timedelta(days=3)).isoformat()})"]
    assert f"reminded: programme #{last_day.programme_id} before-30" in result.output  # its last day
    assert f"2 approvals expired, 1 reminder sent on {TODAY.isoformat()}" in result.output
    assert [state_of(session, d.programme_id) for d in (ended, conditional, last_day, in_review_again)] == [
        State.EXPIRED, State.EXPIRED, State.APPROVED, State.SUBMITTED]
    entry = entries(session, ended.programme_id)[-1]
    assert (entry.action, entry.actor_id, entry.actor_role) == ("programme.expire", None, "qa_officer")
    assert json.loads(entry.details) == {"action": "expire", "from": "approved", "to": "expired",
                                         "decision": ended.id,
                                         "valid_until": (TODAY - timedelta(days=1)).isoformat()}
    sent = mails(session, "approval_expired")
    assert [m.recipient_id for m in sent] == [people.designer.id] * 2
    assert "is no longer accredited" in sent[0].body_text
    assert ended.programme_id not in {p.id for _d, p in session.execute(decision_records.accredited(TODAY))}


def test_expire_twice_changes_nothing_the_second_time(app, session, people) -> None:
    ended = decided(session, people, Outcome.APPROVED, state=State.APPROVED, decided_on=TODAY - timedelta(days=400),
                    valid_until=TODAY - timedelta(days=1))
    assert "1 approval expired" in run(app).output
    trail = len(entries(session, ended.programme_id))
    again = run(app)
    assert again.exit_code == 0 and "0 approvals expired, 0 reminders sent" in again.output
    assert len(entries(session, ended.programme_id)) == trail
    assert len(mails(session, "approval_expired")) == 1


def test_an_approval_already_expired_by_a_racing_run_is_skipped(app, session, people) -> None:
    ended = decided(session, people, Outcome.APPROVED, state=State.APPROVED, decided_on=TODAY - timedelta(days=400),
                    valid_until=TODAY - timedelta(days=1))
    [found] = validity.due_to_expire(session, TODAY)
    programme = session.get(Programme, ended.programme_id)
    programme.state, programme.version = State.EXPIRED, programme.version + 1  # the other run won meanwhile
    session.commit()
    assert validity.expire(session, found) is False
    session.commit()
    assert [e.action for e in entries(session, ended.programme_id)] == ["programme.create"]
    assert mails(session, "approval_expired") == []


def test_a_dry_run_changes_and_sends_nothing(app, session, people) -> None:
    ended = decided(session, people, Outcome.APPROVED, state=State.APPROVED, decided_on=TODAY - timedelta(days=400),
                    valid_until=TODAY - timedelta(days=1))
    decided(session, people, Outcome.APPROVED, state=State.APPROVED, valid_until=TODAY + timedelta(days=30))
    result = run(app, "--dry-run")
    assert result.exit_code == 0
    assert f"would expire: programme #{ended.programme_id}" in result.output
    assert "would remind: programme #" in result.output and "before-30" in result.output
    assert "1 approval would expire, 1 reminder would be sent" in result.output
    assert state_of(session, ended.programme_id) == State.APPROVED
    assert (reminder_codes(session), mails(session, "approval_expiring")) == ([], [])


def test_today_can_be_given_and_a_malformed_date_is_refused(app, session, people) -> None:
    decision = decided(session, people, Outcome.APPROVED, state=State.APPROVED, valid_until=TODAY + timedelta(days=10))
    later = (TODAY + timedelta(days=11)).isoformat()
    assert f"1 approval expired, 0 reminders sent on {later}" in run(app, "--today", later).output
    assert state_of(session, decision.programme_id) == State.EXPIRED
    wrong = FlaskCliRunner(app).invoke(expire, ["--today", "31/12/2026"])
    assert wrong.exit_code == 2 and "'31/12/2026' does not match the format '%Y-%m-%d'" in wrong.output


# Reminders ----------------------------------------------------------------------------------------------------


def test_reminders_go_out_180_90_and_30_days_before_each_exactly_once(app, session, people) -> None:
    end = TODAY + timedelta(days=200)
    decision = decided(session, people, Outcome.APPROVED, state=State.APPROVED, valid_until=end)
    for days_left, sent in [(200, []), (180, ["before-180"]), (179, []), (90, ["before-90"]), (90, []),
                            (31, []), (30, ["before-30"]), (1, []), (0, [])]:
        day = (end - timedelta(days=days_left)).isoformat()
        output = run(app, "--today", day).output
        assert [line.split()[3] for line in output.splitlines() if line.startswith("reminded:")] == sent, day
    assert reminder_codes(session) == [(decision.id, "before-180"), (decision.id, "before-90"),
                                       (decision.id, "before-30")]
    messages = mails(session, "approval_expiring")
    assert [m.recipient_id for m in messages] == [people.designer.id] * 3
    assert messages[0].subject.endswith(f"The approval of {decision.programme.title} ends in 180 days")
    assert f"valid until {end.isoformat()}" in messages[-1].body_text
    assert state_of(session, decision.programme_id) == State.APPROVED


def test_missed_reminders_are_not_sent_in_a_burst(app, session, people) -> None:
    decision = decided(session, people, Outcome.APPROVED_WITH_CONDITIONS, state=State.CONDITIONS,
                       valid_until=TODAY + timedelta(days=20))
    output = run(app).output
    assert f"reminded: programme #{decision.programme_id} before-30 (valid until" in output
    assert reminder_codes(session) == [(decision.id, "before-30")]


def test_an_approval_in_periodic_review_is_still_reminded_and_a_withdrawn_one_is_not(app, session,
                                                                                     people) -> None:
    renewing = decided(session, people, Outcome.APPROVED, state=State.DRAFT, valid_until=TODAY + timedelta(days=30))
    withdrawn = decided(session, people, Outcome.APPROVED, state=State.APPROVAL_WITHDRAWN,
                        valid_until=TODAY + timedelta(days=30))
    run(app)
    assert reminder_codes(session) == [(renewing.id, "before-30")]
    assert withdrawn.id not in {subject for subject, _ in reminder_codes(session)}


def test_a_reminder_recorded_by_a_racing_run_is_skipped(app, session, people) -> None:
    decided(session, people, Outcome.APPROVED, state=State.APPROVED, valid_until=TODAY + timedelta(days=30))
    [reminder] = validity.due_reminders(session, TODAY, (180, 90, 30))
    with app.app_context():
        assert validity.send_reminder(session, reminder, TODAY) is True
        session.commit()
        assert validity.send_reminder(session, reminder, TODAY) is False  # the unique key refuses the second row
        session.commit()
    assert len(reminder_codes(session)) == 1 and len(mails(session, "approval_expiring")) == 1


def test_reminders_go_to_the_providers_designers_when_the_designer_left(app, session, people) -> None:
    decision = decided(session, people, Outcome.APPROVED, state=State.APPROVED, valid_until=TODAY + timedelta(days=30))
    partner = make_user(session, Role.DESIGNER, institution=people.provider)
    users.set_active(session, people.designer, False, by=people.admin)
    session.commit()
    output = run(app).output
    assert f"before-30 (valid until {decision.valid_until.isoformat()}) -> {partner.email}" in output
    assert [m.recipient_id for m in mails(session, "approval_expiring")] == [partner.id]


# Withdrawal ---------------------------------------------------------------------------------------------------


def test_officer_withdraws_an_approval_with_reasons_and_the_designer_may_appeal(app, session, people,
                                                                                client_for) -> None:
    decision = decided(session, people, Outcome.APPROVED, state=State.APPROVED)
    client = client_for(people.officer)
    form = client.get(f"/qa/programmes/{decision.programme_id}/withdraw-approval").get_data(as_text=True)
    assert "may appeal within 30 days" in form and 'name="reason"' in form
    response = client.post_form(f"/qa/programmes/{decision.programme_id}/withdraw-approval", {"reason": REASON},
                                token_from="/")
    assert response.headers["Location"] == f"/programmes/{decision.programme_id}"
    assert state_of(session, decision.programme_id) == State.APPROVAL_WITHDRAWN
    deadline = (TODAY + timedelta(days=30)).isoformat()
    entry = entries(session, decision.programme_id)[-1]
    assert (entry.action, entry.actor_id, json.loads(entry.details)) == (
        "programme.withdraw_approval", people.officer.id,
        {"action": "withdraw_approval", "from": "approved", "to": "approval_withdrawn", "decision": decision.id,
         "withdrawn_on": TODAY.isoformat(), "appeal_deadline": deadline, "comment": REASON})
    [mail] = mails(session, "approval_withdrawn")
    assert mail.recipient_id == people.designer.id
    assert REASON in mail.body_text and f"appeal against the withdrawal until {deadline}" in mail.body_text
    assert f"/programmes/{decision.programme_id}/appeal" in mail.body_text
    assert decision.programme_id not in {p.id for _d, p in session.execute(decision_records.accredited(TODAY))}
    # The designer appeals against the withdrawal; the panel upholds it and the programme is decided afresh.
    designer = client_for(people.designer)
    page = designer.get(f"/programmes/{decision.programme_id}/appeal").get_data(as_text=True)
    assert "The approval was withdrawn on" in page and f"Appeals may be lodged until {deadline}." in page
    assert post_appeal(designer, decision.programme_id).status_code == 302
    fresh(session)
    appeal = session.scalars(select(Appeal).where(Appeal.programme_id == decision.programme_id)).one()
    assert json.loads(entries(session, decision.programme_id, "appeal.")[-1].details)["against"] == "withdrawal"
    assert "has appealed against the withdrawal of the approval" in mails(session, "appeal_lodged")[0].body_text
    appeal.handler_ids = json.dumps([people.outsider.id])
    session.commit()
    shown = client_for(people.outsider).get(f"/qa/appeals/{appeal.id}").get_data(as_text=True)
    assert "Appealed: the withdrawal of the approval" in shown and REASON in shown
    assert client_for(people.outsider).post_form(f"/qa/appeals/{appeal.id}/outcome",
                                                 {"outcome": "upheld", "reason": "The modules are delivered."},
                                                 token_from="/").status_code == 302
    assert state_of(session, decision.programme_id) == State.DECISION_PENDING


def test_the_window_for_appealing_a_withdrawal_closes(app, session, people, client_for) -> None:
    decision = decided(session, people, Outcome.APPROVED, state=State.APPROVED)
    programme = session.get(Programme, decision.programme_id)
    with app.app_context():
        validity.withdraw_approval(session, programme, actor=people.officer, reason=REASON,
                                   today=TODAY - timedelta(days=31), appeal_days=30)
    session.commit()
    response = post_appeal(client_for(people.designer), decision.programme_id)
    assert response.status_code == 409
    assert f"The time to appeal ended on {(TODAY - timedelta(days=1)).isoformat()}" in response.get_data(as_text=True)


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_withdrawal_needs_its_reasons(app, session, people, client_for, reason: str) -> None:
    decision = decided(session, people, Outcome.APPROVED_WITH_CONDITIONS, state=State.CONDITIONS)
    response = client_for(people.officer).post_form(f"/qa/programmes/{decision.programme_id}/withdraw-approval",
                                                    {"reason": reason}, token_from="/")
    assert response.status_code == 422
    assert 'id="reason-error"' in response.get_data(as_text=True)
    assert state_of(session, decision.programme_id) == State.CONDITIONS
    with pytest.raises(validity.ReasonRequired):
        validity.withdraw_approval(session, session.get(Programme, decision.programme_id), actor=people.officer,
                                   reason=reason, today=TODAY, appeal_days=30)


def test_only_an_approval_can_be_withdrawn_and_only_by_a_qa_officer(app, session, people, client_for) -> None:
    rejected = decided(session, people, Outcome.REJECTED, state=State.REJECTED)
    response = client_for(people.officer).post_form(f"/qa/programmes/{rejected.programme_id}/withdraw-approval",
                                                    {"reason": REASON}, token_from="/")
    assert response.status_code == 409
    assert "“Withdraw approval” is not possible for a rejected programme." in response.get_data(as_text=True)
    page = client_for(people.officer).get(f"/qa/programmes/{rejected.programme_id}/withdraw-approval")
    assert "This programme holds no approval to withdraw." in page.get_data(as_text=True)
    approved = decided(session, people, Outcome.APPROVED, state=State.APPROVED)
    for person in (people.admin, people.designer):
        assert client_for(person).post_form(f"/qa/programmes/{approved.programme_id}/withdraw-approval",
                                            {"reason": REASON}, token_from="/").status_code == 403
    assert state_of(session, approved.programme_id) == State.APPROVED


# Periodic review ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", [State.APPROVED, State.EXPIRED])
def test_periodic_review_opens_a_draft_from_the_approved_version_and_the_approval_stands(
        app, session, people, client_for, state: State) -> None:
    programme = make_programme(session, people.designer, data=sound_proposal())
    make_submitted(session, programme, people.designer)
    ends = TODAY + timedelta(days=100) if state is State.APPROVED else TODAY - timedelta(days=1)
    decision = decided(session, people, Outcome.APPROVED, state=state, decided_on=TODAY - timedelta(days=500),
                       valid_until=ends, programme=programme)
    approved = session.scalars(select(ProgrammeVersion).where(ProgrammeVersion.programme_id == programme.id)).one()
    client = client_for(people.designer)
    response = client.post_form(f"/programmes/{programme.id}/periodic-review", token_from="/")
    assert response.headers["Location"] == f"/programmes/{programme.id}"
    fresh(session)
    programme = session.get(Programme, decision.programme_id)
    assert (programme.state, programme.draft, programme.current_version) == (State.DRAFT, approved.content, 1)
    entry = entries(session, programme.id)[-1]
    assert (entry.action, json.loads(entry.details)) == ("programme.start_periodic_review", {
        "action": "start_periodic_review", "from": state.value, "to": "draft", "from_version": 1,
        "decision": decision.id})
    page = client.get(f"/programmes/{programme.id}").get_data(as_text=True)
    assert "The periodic review has started: a new draft was opened from version 1." in page
    # The next submission is a new version going through the whole process; the approval stands until it ends.
    assert client.post_form(f"/programmes/{programme.id}/submit", token_from="/").status_code == 302
    fresh(session)
    programme = session.get(Programme, decision.programme_id)
    assert (programme.state, programme.current_version) == (State.SUBMITTED, 2)
    accredited = {p.id for _d, p in session.execute(decision_records.accredited(TODAY))}
    assert (programme.id in accredited) is (state is State.APPROVED)


def test_periodic_review_needs_an_approved_or_expired_programme_of_ones_own(app, session, people,
                                                                           client_for) -> None:
    rejected = decided(session, people, Outcome.REJECTED, state=State.REJECTED)
    response = client_for(people.designer).post_form(f"/programmes/{rejected.programme_id}/periodic-review",
                                                     token_from="/")
    assert response.status_code == 409
    assert "“Start periodic review” is not possible for a rejected programme." in response.get_data(as_text=True)
    approved = decided(session, people, Outcome.APPROVED, state=State.APPROVED)
    stranger = make_user(session, Role.DESIGNER)
    session.commit()
    assert client_for(stranger).post_form(f"/programmes/{approved.programme_id}/periodic-review",
                                          token_from="/").status_code == 404
    assert client_for(people.officer).post_form(f"/programmes/{approved.programme_id}/periodic-review",
                                                token_from="/").status_code == 403
    assert state_of(session, approved.programme_id) == State.APPROVED


# The programme page's macros ----------------------------------------------------------------------------------

MACROS = ('{% from "appeals/_summary.html" import approval_status, appeal_status, approval_actions %}'
          '<div id="status">{{ approval_status(summary) }}</div><div id="appeal">{{ appeal_status(summary) }}</div>'
          '<div id="actions">{{ approval_actions(summary, programme) }}</div>')


def summary_html(app, session, programme_id: int, person) -> str:  # noqa: ANN001
    fresh(session)
    programme = session.get(Programme, programme_id)
    summary = appeals.summary(session, programme, session.get(type(person), person.id).actor, today=TODAY, days=30)
    with app.test_request_context("/"):
        return " ".join(render_template_string(MACROS, summary=summary, programme=programme).split())


def test_macros_offer_the_designer_an_appeal_and_the_officer_nothing_to_withdraw(app, session, people) -> None:
    decision = decided(session, people, Outcome.REJECTED, state=State.REJECTED)
    designer = summary_html(app, session, decision.programme_id, people.designer)
    assert f'href="/programmes/{decision.programme_id}/appeal" role="button">Lodge an appeal</a>' in designer
    assert f"The provider may appeal against the decision until {(TODAY + timedelta(days=30)).isoformat()}." in (
        designer)
    officer = summary_html(app, session, decision.programme_id, people.officer)
    assert "Lodge an appeal" not in officer and "Withdraw the approval" not in officer
    assert "Approved until" not in officer


def test_macros_offer_withdrawal_to_officers_and_periodic_review_to_designers(app, session, people) -> None:
    decision = decided(session, people, Outcome.APPROVED, state=State.APPROVED, valid_until=TODAY + timedelta(days=99))
    officer = summary_html(app, session, decision.programme_id, people.officer)
    assert f'href="/qa/programmes/{decision.programme_id}/withdraw-approval"' in officer
    assert f"Approved until {(TODAY + timedelta(days=99)).isoformat()}." in officer
    assert "Start the periodic review" not in officer and 'id="appeal-heading"' not in officer
    designer = summary_html(app, session, decision.programme_id, people.designer)
    assert f'action="/programmes/{decision.programme_id}/periodic-review"' in designer
    assert "Start the periodic review" in designer and "Withdraw the approval" not in designer
    assert "Lodge an appeal" not in designer


def test_macros_show_an_open_appeal_then_its_outcome(app, session, people) -> None:
    decision = decided(session, people, Outcome.REJECTED, state=State.REJECTED)
    appeal = lodged(session, people, decision, handlers=[people.outsider])
    designer = summary_html(app, session, decision.programme_id, people.designer)
    assert "is waiting for the appeal panel's outcome." in designer and "Lodge an appeal" not in designer
    assert "/qa/appeals/" not in designer
    officer = summary_html(app, session, decision.programme_id, people.officer)
    assert f'href="/qa/appeals/{appeal.id}">Open the appeal</a>' in officer
    with app.app_context():
        appeals.record_outcome(session, session.get(Appeal, appeal.id), actor=people.outsider,
                               outcome=AppealOutcome.DISMISSED, reason="The grounds are not borne out.")
    session.commit()
    designer = summary_html(app, session, decision.programme_id, people.designer)
    assert "<strong>Dismissed</strong> — the decision stands." in designer
    assert "The grounds are not borne out." in designer and "Omar" not in designer
    assert GROUNDS not in designer
