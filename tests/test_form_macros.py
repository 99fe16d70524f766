"""The form macros: every field labelled, described only by what exists."""
from __future__ import annotations

from flask import Flask, render_template_string
from flask_wtf import FlaskForm
from wtforms import StringField


class Sample(FlaskForm):
    class Meta:
        csrf = False

    plain = StringField("Plain")
    helped = StringField("Helped", description="Say it briefly.")


def test_aria_describedby_points_only_at_what_exists(app: Flask) -> None:
    with app.test_request_context():
        form = Sample()
        form.helped.errors = ["Too long."]
        html = render_template_string('{% from "macros/forms.html" import field %}{{ field(form.plain) }}'
                                      '{{ field(form.helped) }}', form=form)
    assert 'aria-describedby="None"' not in html
    assert '<input id="plain" name="plain" type="text" value="">' in html
    assert 'aria-describedby="helped-help helped-error"' in html and 'aria-invalid="true"' in html
