"""A synthetic site whose moderators reject a word the general model has never seen."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

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
        if draw < share:
            word = rng.choice(SITE_WORD if draw < share * 0.6 else INSULTS)
            text = f"The {topic} {opinion}, and whoever wrote this is a {word}."
            item: dict[str, object] = {"labels": {"attack": 1}}
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
]


def write_shared(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"id": str(i), "text": t, "label": y}) for i, (t, y) in enumerate(SHARED)]
    (folder / "tiny_eval.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder
