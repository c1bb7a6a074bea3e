"""The category registry itself: names, identity, validation, the live views."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from moderation import categories
from moderation.categories import CATEGORIES, Category
from moderation.dashboard.style import category_css
from moderation.integrations.attributes import ATTRIBUTES
from moderation.services.review import REJECT_REASONS


@pytest.fixture(autouse=True)
def _builtin_categories_afterwards() -> Iterator[None]:
    yield
    categories.use(None)


def test_builtin_categories_in_their_order() -> None:
    assert [str(c) for c in CATEGORIES] == ["profanity", "attack", "threat", "hate", "spam"]
    assert list(Category) == list(CATEGORIES)
    assert categories.trained() == (
        Category.PROFANITY,
        Category.ATTACK,
        Category.THREAT,
        Category.HATE,
    )


def test_a_category_is_its_name_and_one_shared_instance() -> None:
    attack = Category("attack")
    assert attack is Category.ATTACK
    assert attack == "attack" and attack.value == "attack" and str(attack) == "attack"
    assert {"attack": 1}[attack] == 1
    assert pickle.loads(pickle.dumps(attack)) is Category.ATTACK
    assert Category(attack) is attack
    with pytest.raises(ValueError, match="'doxxing' is not a category"):
        Category("doxxing")
    assert "doxxing" not in Category and "attack" in Category


def test_pydantic_validates_against_the_registry() -> None:
    class Model(BaseModel):
        category: Category

    assert Model.model_validate({"category": "hate"}).category is Category.HATE
    assert Model(category=Category.HATE).model_dump(mode="json") == {"category": "hate"}
    with pytest.raises(ValidationError, match="not a category"):
        Model.model_validate({"category": "rudeness"})


def test_declared_categories_reach_every_live_view(tmp_path: Path) -> None:
    (tmp_path / "categories.yaml").write_text(
        "categories:\n"
        "  doxxing:\n"
        "    label: doxxing\n"
        "    description: private details\n"
        "    perspective: [DOXXING, TOXICITY]\n"
        "    review_reason: publishes private details\n",
        encoding="utf-8",
    )
    categories.use(tmp_path)
    doxxing = Category("doxxing")
    assert list(CATEGORIES)[-1] is doxxing
    assert not categories.info(doxxing).trained  # rule-only
    assert "doxxing" not in categories.trained()
    assert ATTRIBUTES["DOXXING"].categories == (doxxing,)
    assert doxxing in ATTRIBUTES["TOXICITY"].categories
    assert doxxing in ATTRIBUTES["TOXICITY_FAST"].categories
    assert doxxing not in ATTRIBUTES["SEVERE_TOXICITY"].categories
    assert list(REJECT_REASONS) == [*(str(c) for c in CATEGORIES), "off_topic", "other"]
    assert "cat-doxxing" in category_css()

    categories.use(None)
    assert "doxxing" not in CATEGORIES
    assert "DOXXING" not in ATTRIBUTES
    assert "doxxing" not in REJECT_REASONS


def test_builtin_attribute_map_is_perspectives() -> None:
    def names(attribute: str) -> set[str]:
        return {str(c) for c in ATTRIBUTES[attribute].categories}

    assert names("TOXICITY") == names("TOXICITY_FAST") == {"profanity", "attack", "threat", "hate"}
    assert names("SEVERE_TOXICITY") == {"attack", "threat", "hate"}
    assert ATTRIBUTES["SEVERE_TOXICITY"].transform(0.5) == 0.25
    assert ATTRIBUTES["TOXICITY"].transform(0.5) == 0.5
    single = {"PROFANITY": "profanity", "INSULT": "attack", "THREAT": "threat"}
    single |= {"IDENTITY_ATTACK": "hate", "SPAM": "spam"}
    for attribute, category in single.items():
        assert names(attribute) == {category}
    assert len(ATTRIBUTES) == 8


def test_builtin_colours_are_the_former_style_sheets() -> None:
    css = category_css()
    for rule in (
        "mark.hl-model.cat-profanity, sup.cat-profanity { text-decoration-color: #d9822b; }",
        "mark.hl-model.cat-attack, sup.cat-attack { text-decoration-color: #c23b6a; }",
        "mark.hl-model.cat-spam, sup.cat-spam { text-decoration-color: #2f7fbf; }",
        "mark.hl-rule.cat-attack { background: #ffd0df; }",
        "mark.hl-rule.cat-threat { background: #ead2f7; }",
        "mark.hl-rule.cat-hate { background: #ffcdc9; }",
        "mark.hl-rule.cat-spam { background: #cfe5f7; }",
    ):
        assert rule in css
    assert "hl-rule.cat-profanity" not in css  # the default yellow, as before
