"""Correcting the label a moderator's judgement left on a comment ("not an attack: spam").
The change goes through :func:`moderation.services.labels.correct_category`, which audits it."""

from __future__ import annotations

from typing import Annotated

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from pydantic import AfterValidator

from moderation.dashboard import bp
from moderation.dashboard.auth import current_moderator, requires
from moderation.dashboard.common import parse
from moderation.dashboard.forms import Input
from moderation.extensions import db
from moderation.services import labels
from moderation.tables import Comment, utcnow

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
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        abort(404)
    category = None if form.category == NOT_A_VIOLATION else form.category
    try:
        labels.correct_category(comment, category, actor=current_moderator().actor, now=utcnow())
    except labels.LabelError as exc:
        db.session.rollback()
        flash(f"Label not changed: {exc}.", "error")
    else:
        db.session.commit()
        flash(f"Label corrected: {category or 'not a violation'}.", "success")
    return redirect(url_for("dashboard.comment", comment_id=comment_id))
