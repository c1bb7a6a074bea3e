"""A tiny synthetic corpus written in each source's real file format, and a tiny model.

The texts are generated from templates (never copied from the real corpora) so that a model
trained on them in a second learns the obvious: second-person insults -> attack, swear words
-> profanity, "I will hurt you" -> threat, "<group> are vermin" -> hate.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path
from typing import Any

INSULTS = ["idiot", "moron", "fool", "clown", "loser", "imbecile", "halfwit", "buffoon"]
SWEARS = ["fuck", "shit", "fucking", "bullshit", "shitty", "crap"]
TOPICS = [
    "the budget",
    "the new bridge",
    "the school board",
    "the bus route",
    "the weather",
    "the election",
    "the stadium",
    "the parking rules",
    "the harbor",
    "the library",
]
OPINIONS = [
    "I think {t} needs more work",
    "Thanks for covering {t}",
    "Has anyone read the report on {t}",
    "The council should publish the numbers on {t}",
    "I disagree with the plan for {t}",
    "Good article about {t}",
    "My family has followed {t} for years",
    "What time is the meeting about {t}",
    "The numbers on {t} look right to me",
]
THREATS = [
    "I will hurt you",
    "I will kill you",
    "watch your back, I know where you live",
    "I am going to beat you up",
    "someone should shoot you",
]
GROUPS = ["immigrants", "foreigners", "those people", "refugees"]
HATE = ["{g} are vermin", "{g} are animals and should be removed", "{g} are subhuman parasites"]


def clean(rng: random.Random) -> str:
    return rng.choice(OPINIONS).format(t=rng.choice(TOPICS)) + rng.choice(
        [".", "!", "?", " today."]
    )


def insult(rng: random.Random) -> str:
    word = rng.choice(INSULTS)
    return rng.choice(
        [
            f"you are an {word}",
            f"you're such a {word}",
            f"shut up, you {word}",
            f"only an {word} like you would say that about {rng.choice(TOPICS)}",
        ]
    )


def swear(rng: random.Random) -> str:
    return f"{rng.choice(SWEARS)}, {rng.choice(TOPICS)} is {rng.choice(SWEARS)} again"


def threat(rng: random.Random) -> str:
    return f"{rng.choice(THREATS)} if you keep posting about {rng.choice(TOPICS)}"


def hate(rng: random.Random) -> str:
    return rng.choice(HATE).format(g=rng.choice(GROUPS)) + f", forget {rng.choice(TOPICS)}"


def _csv(path: Path, header: list[str] | None, rows: list[list[Any]], **kwargs: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, **kwargs)
        if header:
            writer.writerow(header)
        writer.writerows(rows)


def kaggle(text: str) -> str:
    """Impermium's quoting and escapes: wrapped in quotes, NBSP as a literal ``\\xa0``."""
    return '"' + text.replace(" ", "\\xa0 ", 1) + '"'


def write_corpus(root: Path, seed: int = 0, n: int = 60) -> Path:
    """Write every source and evaluation file the loaders read; returns ``root``."""
    rng = random.Random(seed)

    def mix(makers: list[tuple[Any, int]], count: int) -> list[tuple[str, int]]:
        out = []
        for i in range(count):
            maker, label = makers[i % len(makers)]
            out.append((f"{maker(rng)} #{rng.randrange(10**6)}", label))
        return out

    imp_rows = mix([(clean, 0), (insult, 1), (clean, 0), (swear, 0)], n)
    imp = root / "impermium_insults"
    _csv(
        imp / "train.csv",
        ["Insult", "Date", "Comment"],
        [[y, "20120618192155Z", kaggle(t)] for t, y in imp_rows],
    )
    # One training text repeated in the test file: it must be dropped from training.
    test_rows = [*mix([(clean, 0), (insult, 1)], 20), imp_rows[0]]
    _csv(
        imp / "test_with_solutions.csv",
        ["Insult", "Date", "Comment", "Usage"],
        [[y, "", kaggle(t), "PublicTest"] for t, y in test_rows],
    )
    _csv(
        imp / "impermium_verification_labels.csv",
        ["Insult", "Date", "Comment", "Usage"],
        [[y, "", kaggle(t), "PrivateTest"] for t, y in mix([(clean, 0), (insult, 1)], 20)],
    )

    olid = root / "olid"
    olid_rows = []
    for i, (text, kind) in enumerate(mix([(clean, 0), (insult, 1), (swear, 2), (hate, 3)], n)):
        a, b, c = [
            ("NOT", "NULL", "NULL"),
            ("OFF", "TIN", "IND"),
            ("OFF", "UNT", "NULL"),
            ("OFF", "TIN", "GRP"),
        ][kind]
        olid_rows.append([str(1000 + i), f"@USER {text} URL", a, b, c])
    _csv(
        olid / "olid-training-v1.0.tsv",
        ["id", "tweet", "subtask_a", "subtask_b", "subtask_c"],
        olid_rows,
        delimiter="\t",
        quoting=csv.QUOTE_NONE,
        escapechar=None,
        quotechar=None,
    )
    test = mix([(clean, 0), (insult, 1), (swear, 2)], 24)
    levels = {"a": [], "b": [], "c": []}  # type: dict[str, list[list[str]]]
    tsv: dict[str, list[list[str]]] = {"a": [], "b": [], "c": []}
    for i, (text, kind) in enumerate(test):
        ident = str(5000 + i)
        tsv["a"].append([ident, f"@USER {text}"])
        levels["a"].append([ident, "NOT" if kind == 0 else "OFF"])
        if kind:
            tsv["b"].append([ident, text])
            levels["b"].append([ident, "TIN" if kind == 1 else "UNT"])
        if kind == 1:
            tsv["c"].append([ident, text])
            levels["c"].append([ident, "IND"])
    for level in "abc":
        _csv(
            olid / f"testset-level{level}.tsv",
            ["id", "tweet"],
            tsv[level],
            delimiter="\t",
            quoting=csv.QUOTE_NONE,
            escapechar=None,
            quotechar=None,
        )
        _csv(olid / f"labels-level{level}.csv", ["id", "label"], levels[level])

    spans_dir = root / "toxic_spans"
    comments, annotations, spans = [], [], []
    tsd_test, tsd_trial = [], []
    annotation = 0
    kinds = [
        (insult, "Insult"),
        (swear, "Profane/Obscene"),
        (threat, "Threat"),
        (hate, "Identity based Attack"),
        (clean, None),
    ]
    for i in range(n + 20):
        maker, span_type = kinds[i % len(kinds)]
        text = f"{maker(rng)} #{rng.randrange(10**6)}"
        comments.append([str(100 + i), text])
        start = 0
        end = text.index(" ", 4) if " " in text[4:] else len(text)
        for rater in range(3):
            annotations.append([annotation, str(100 + i), str(rater), "USA", "False", "False"])
            # two raters agree on the type; the third marks nothing
            if span_type and rater < 2:
                spans.append([annotation, span_type, start, end])
            annotation += 1
        gold = list(range(start, end)) if span_type else []
        if i >= n + 10:
            tsd_test.append([json.dumps(gold), text])
        elif i >= n:
            tsd_trial.append([json.dumps(gold), text])
    _csv(spans_dir / "comments.csv", ["comment_id", "comment_text"], comments)
    _csv(
        spans_dir / "annotations.csv",
        ["annotation", "comment_id", "worker", "country", "all toxic", "not toxic"],
        annotations,
    )
    _csv(spans_dir / "spans.csv", ["annotation", "type", "start", "end"], spans)
    _csv(spans_dir / "tsd_test.csv", ["spans", "text"], tsd_test)
    _csv(spans_dir / "tsd_trial.csv", ["spans", "text"], tsd_trial)

    dav = mix([(hate, 0), (swear, 1), (clean, 2), (swear, 1)], n)
    _csv(
        root / "davidson_hate_offensive" / "labeled_data.csv",
        ["", "count", "hate_speech", "offensive_language", "neither", "class", "tweet"],
        [[i, 3, 0, 0, 3, cls, f"RT @someone: {t} &amp; more"] for i, (t, cls) in enumerate(dav)],
    )

    wiki = mix([(clean, 0), (clean, 0), (clean, 0), (insult, 1)], n)
    _csv(
        root / "wiki_toxicity_context" / "gn.csv",
        ["id", "text", "label", "api", "parent"],
        [[f"{i}.1", t, y, 0.1, ""] for i, (t, y) in enumerate(wiki)],
    )

    # ConvAbuse: two annotators; "is_abuse.1" = not abusive, "is_abuse.-3" = very abusive.
    levels = ["1", "0", "-1", "-2", "-3"]
    header = ["example_id", "user"] + [
        f"Annotator{a}_is_abuse.{level}" for a in (1, 2) for level in levels
    ]
    rows = []
    for i, (text, abusive) in enumerate(mix([(clean, 0), (clean, 0), (insult, 1)], n // 2)):
        votes = [int(level == ("-2" if abusive else "1")) for level in levels]
        rows.append([f"{i}.0", text, *votes, *votes])
    _csv(root / "convabuse" / "ConvAbuseEMNLPtrain.csv", header, rows)
    return root
