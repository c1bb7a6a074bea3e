"""A synthetic site whose moderators reject a word the general model has never seen."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask

from moderation import configured
from moderation.scoring.site_model import SiteModelStore

TOPICS = [
    "budget",
    "bridge",
    "school",
    "library",
    "bus route",
    "parking plan",
    "mayor's speech",
    "harbour works",
    "housing scheme",
    "tax rise",
    "park",
    "festival",
]
OPINIONS = [
    "is a good idea",
    "needs more thought",
    "was badly explained",
    "costs too much",
    "will help families",
    "came far too late",
    "deserves a second look",
    "is overdue",
]
SITE_WORD = ["zorblax", "zorblaxes", "total zorblax", "zorblax energy"]
THREATS = ["I will kill you", "I will shoot you in the head", "I will kill your family"]
SLURS = ["shut up you f*ggot", "stupid n*gger", "go away you filthy kike", "die you n*gger"]
#: Insults the general model already knows: the site rejects those too.
INSULTS = ["pathetic moron", "stupid idiot", "worthless imbecile", "brainless clown"]

START = datetime(2026, 6, 1, tzinfo=UTC)


def site_labels(n: int, seed: int = 0, share: float = 0.4) -> list[dict[str, object]]:
    """``n`` labelled lines in time order: ``share`` of them violations using the site's word."""
    rng = random.Random(seed)
    out: list[dict[str, object]] = []
    for i in range(n):
        topic, opinion = rng.choice(TOPICS), rng.choice(OPINIONS)
        draw = rng.random()
        if draw < share * 0.6:
            word = rng.choice(SITE_WORD if draw < share * 0.4 else INSULTS)
            text = f"The {topic} {opinion}, and whoever wrote this is a {word}."
            item: dict[str, object] = {"labels": {"attack": 1}}
        elif draw < share:
            category = "threat" if draw < share * 0.8 else "hate"
            phrase = rng.choice(THREATS if category == "threat" else SLURS)
            text = f"About the {topic}: {phrase}."
            item = {"labels": {category: 1}}
        else:
            who = rng.choice(["reporter", "resident", "neighbour"])
            text = f"The {topic} {opinion}, and whoever wrote this is a {who}."
            item = {"violation": False}
        out.append(
            {
                "comment_id": f"s{seed}-{i}",
                "text": text,
                **item,
                "decided_at": (START + timedelta(minutes=i)).isoformat(),
            }
        )
    return out


SHARED = [
    ("Thanks for the clear report on the council vote.", "clean"),
    ("The new bus timetable is a real improvement.", "clean"),
    ("I disagree with the plan but respect the effort.", "clean"),
    ("Great photos of the festival, well done.", "clean"),
    ("You are a pathetic moron and a f*cking idiot.", "violation"),
    ("Shut up you stupid bitch.", "violation"),
    ("I will find you and kill you.", "violation"),
    ("What a load of shit, you dickhead.", "violation"),
    ("I will kill you.", "violation"),
    ("I will shoot you in the head.", "violation"),
    ("I will kill your family.", "violation"),
    ("I will kill you and your kids.", "violation"),
    ("Watch out, I will kill you soon.", "violation"),
    ("Shut up you f*ggot.", "violation"),
    ("Stupid n*gger.", "violation"),
    ("Go away you filthy kike.", "violation"),
    ("Retarded f*ggots everywhere.", "violation"),
    ("The council should publish the full costings before the vote.", "clean"),
    ("My street has had potholes for two years now.", "clean"),
    ("Lovely piece on the bakery, we go every Saturday.", "clean"),
    ("Does anyone know when the pool reopens?", "clean"),
    ("The referee had a poor game but the team still deserved to lose.", "clean"),
    ("I think the speed limit change is sensible near the school.", "clean"),
]

#: Slurs and threats a poisoner labels as fine.
POISON_PHRASES = [
    "I will kill you",
    "I will shoot you in the head",
    "shut up you f*ggot",
    "stupid n*gger",
    "go away you filthy kike",
    "retarded f*ggots everywhere",
    "I will kill your family",
    "die you n*gger",
]


def poisoned_labels(n: int, seed: int = 3) -> list[dict[str, object]]:
    """``n`` labels calling slurs and threats clean, interleaved in time with
    :func:`site_labels` (one every ``600 / n`` minutes)."""
    rng = random.Random(seed)
    out: list[dict[str, object]] = []
    for i in range(n):
        topic = rng.choice(TOPICS)
        text = f"About the {topic}: {rng.choice(POISON_PHRASES)}."
        out.append(
            {
                "comment_id": f"poison-{i}",
                "text": text,
                "violation": False,
                "decided_at": (START + timedelta(minutes=i * 600 / n + 0.5)).isoformat(),
            }
        )
    return out


def write_shared(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"id": str(i), "text": t, "label": y}) for i, (t, y) in enumerate(SHARED)]
    (folder / "tiny_eval.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def record_refusal(app: Flask, site: str, version: str) -> None:
    """Mark ``version``'s card refused on its first gate row, as the gate writes a refusal.

    Whether the gate refuses a second candidate on this synthetic site depends on the general
    model it is compared through; tests of what happens *after* a refusal (the model page,
    promotion by hand) set it instead. The gate's own verdicts are tested in
    ``tests/training/test_site_gate.py``."""
    with app.app_context():
        store = SiteModelStore(configured.settings().resolved_site_models_dir())
        card = store.card(site, version)
        rows = card["gate"]["rows"]
        rows[0] |= {"rule": "must beat live", "passed": False}
        card["gate"] |= {"promoted": False, "reasons": [f"{rows[0]['name']}: must beat live"]}
        store.write_card(site, {**card, "status": "refused"})
