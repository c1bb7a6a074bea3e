"""Correcting the label a moderator's judgement left on a comment ("not an attack: spam").
The change goes through :func:`moderation.services.labels.correct_category`, which audits it."""

from __future__ import annotations

from typing import Annotated

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from pydantic import AfterValidator

from moderation.clock import utcnow
from moderation.dashboard.auth import current_moderator, requires
from moderation.dashboard.blueprint import bp
from moderation.dashboard.common import parse
from moderation.dashboard.forms import Input
from moderation.extensions import db
from moderation.services import labels

#: The form's value for "not a violation".
NOT_A_VIOLATION = "none"


def _label_choice(value: str) -> str:
    if value != NOT_A_VIOLATION and value not in labels.LABEL_CATEGORIES:
        choices = ", ".join((*labels.LABEL_CATEGORIES, NOT_A_VIOLATION))
        raise ValueError(f"must be one of {choices}")
    return value


class LabelInput(Input):
    category: Annotated[str, AfterValidator(_label_choice)]


@bp.post("/comments/<int:comment_id>/label")
@requires("moderator")
def correct_label(comment_id: int) -> ResponseReturnValue:
    form = parse(LabelInput, request.form)
    category = None if form.category == NOT_A_VIOLATION else form.category
    try:
        row = labels.correct_comment_label(
            comment_id, category, actor=current_moderator().actor, now=utcnow()
        )
    except labels.LabelError as exc:
        db.session.rollback()
        flash(f"Label not changed: {exc}.", "error")
    else:
        if row is None:
            abort(404)
        db.session.commit()
        flash(f"Label corrected: {category or 'not a violation'}.", "success")
    return redirect(url_for("dashboard.comment", comment_id=comment_id))
