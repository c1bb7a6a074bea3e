from __future__ import annotations

import csv
from pathlib import Path

import pytest

from moderation.scoring.types import Category
from moderation.training.datasets import (
    Example,
    clean_text,
    dedup_key,
    evaluation_keys,
    load_convabuse,
    load_davidson,
    load_evaluation_sets,
    load_impermium_train,
    load_olid_train,
    load_toxic_spans_train,
    load_training_corpus,
    load_wiki,
    merge_duplicates,
    unescape_kaggle,
)

P, A, T, H = Category.PROFANITY, Category.ATTACK, Category.THREAT, Category.HATE


@pytest.mark.parametrize(
    ("raw", "kwargs", "expected"),
    [
        ('"You fuck your dad."', {"kaggle": True}, "You fuck your dad."),
        ('"i don\'t.\\xa0 It seems"', {"kaggle": True}, "i don't. It seems"),
        ('"A\\\\xc2\\\\xa0majority\\\\n\\\\nUnless"', {"kaggle": True}, "A majority Unless"),
        ('"it\\\'s C\\xe1c b\\u1ea1n"', {"kaggle": True}, "it's Các bạn"),
        (
            "@USER @USER Go home you\u2019re drunk!!! URL",
            {"twitter": True},
            "Go home you\u2019re drunk!!!",
        ),
        ("RT @mayasolovely: a &amp; b http://t.co/x", {"twitter": True}, "a & b"),
        ("Tom &amp;amp; Jerry <br/>again", {}, "Tom & Jerry again"),
        ("URLs and @USERNAME stay", {}, "URLs and @USERNAME stay"),
    ],
)
def test_clean_text(raw: str, kwargs: dict[str, bool], expected: str) -> None:
    assert clean_text(raw, **kwargs) == expected


def test_unescape_keeps_plain_text() -> None:
    assert unescape_kaggle("no escapes here") == "no escapes here"


def test_dedup_key_ignores_case_punctuation_and_space() -> None:
    assert dedup_key("You're  an IDIOT!!") == dedup_key("youre an idiot")


def _write(path: Path, rows: list[list[str]], **kwargs: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, **kwargs).writerows(rows)  # type: ignore[arg-type]
    return path


def test_impermium_train(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "train.csv",
        [["Insult", "Date", "Comment"], ["1", "", '"you are an idiot"'], ["0", "", '"fuck"']],
    )
    rows = load_impermium_train(path)
    assert [(r.text, dict(r.labels)) for r in rows] == [
        ("you are an idiot", {A: 1}),
        ("fuck", {A: 0}),
    ]


def test_olid_mapping(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "olid.tsv",
        [
            ["id", "tweet", "subtask_a", "subtask_b", "subtask_c"],
            ["1", '@USER nice "quote', "NOT", "NULL", "NULL"],
            ["2", "@USER damn it URL", "OFF", "UNT", "NULL"],
            ["3", "@USER you idiot", "OFF", "TIN", "IND"],
            ["4", "@USER they are idiots", "OFF", "TIN", "GRP"],
        ],
        delimiter="\t",
        quoting=csv.QUOTE_NONE,
        quotechar=None,
    )
    rows = {r.text: dict(r.labels) for r in load_olid_train(path)}
    assert rows == {
        'nice "quote': {P: 0, A: 0},
        "damn it": {P: 1, A: 0},
        "you idiot": {A: 1},
        "they are idiots": {P: 1},
    }


def test_toxic_spans_votes(corpus_dir: Path) -> None:
    rows = load_toxic_spans_train(corpus_dir / "toxic_spans")
    insult_rows = [r for r in rows if r.text.startswith(("you are", "you're", "shut up", "only"))]
    assert insult_rows
    for row in insult_rows:  # two raters marked Insult, nobody anything else
        assert row.labels == {P: 0, A: 1, T: 0, H: 0}


def test_toxic_spans_single_rater_is_missing(tmp_path: Path) -> None:
    d = tmp_path / "ts"
    _write(d / "comments.csv", [["comment_id", "comment_text"], ["1", "damn you fool"]])
    _write(
        d / "annotations.csv",
        [
            ["annotation", "comment_id", "worker", "country", "all toxic", "not toxic"],
            ["0", "1", "a", "USA", "False", "False"],
            ["1", "1", "b", "USA", "False", "False"],
            ["2", "1", "c", "USA", "False", "False"],
        ],
    )
    _write(
        d / "spans.csv",
        [
            ["annotation", "type", "start", "end"],
            ["0", "Insult", 9, 13],
            ["1", "Insult", 9, 13],
            ["2", "Profane/Obscene", 0, 4],
            ["2", "Threat", 0, 99],
        ],
    )
    (row,) = load_toxic_spans_train(d)
    assert row.labels == {A: 1, H: 0}  # profanity and threat: one rater each -> missing


def test_davidson_wiki_and_convabuse(tmp_path: Path) -> None:
    dav = _write(
        tmp_path / "d.csv",
        [
            ["", "count", "hate_speech", "offensive_language", "neither", "class", "tweet"],
            ["0", "3", "3", "0", "0", "0", "h"],
            ["1", "3", "0", "3", "0", "1", "o"],
            ["2", "3", "0", "0", "3", "2", "n"],
        ],
    )
    assert [dict(r.labels) for r in load_davidson(dav)] == [{H: 1}, {P: 1, H: 0}, {P: 0, H: 0}]
    wiki = _write(
        tmp_path / "w.csv",
        [
            ["id", "text", "label", "api", "parent"],
            ["1", "fine", "0", "0.1", ""],
            ["2", "bad", "1", "0.9", ""],
        ],
    )
    assert [(r.text, dict(r.labels)) for r in load_wiki(wiki)] == [
        ("fine", {P: 0, A: 0, T: 0, H: 0})
    ]
    header = ["example_id", "user"] + [
        f"Annotator1_is_abuse.{k}" for k in ("1", "0", "-1", "-2", "-3")
    ]
    conv = _write(
        tmp_path / "c.csv",
        [header, ["1", "hello", "1", "", "", "", ""], ["2", "you suck", "", "", "1", "", ""]],
    )
    assert [r.text for r in load_convabuse(conv)] == ["hello"]


def test_merge_duplicates_fills_missing_categories() -> None:
    merged = merge_duplicates(
        [
            Example("You idiot!", "impermium", {A: 1}),
            Example("you idiot", "olid", {A: 0, P: 0}),
            Example("other", "olid", {A: 0}),
        ]
    )
    assert [(m.text, dict(m.labels)) for m in merged] == [
        ("You idiot!", {A: 1, P: 0}),
        ("other", {A: 0}),
    ]


def test_training_corpus_drops_evaluation_texts(corpus_dir: Path) -> None:
    corpus = load_training_corpus(corpus_dir)
    keys = evaluation_keys(corpus_dir)
    assert keys
    assert not any(dedup_key(ex.text) in keys for ex in corpus.examples)
    assert corpus.counts["impermium"]["eval_overlap_dropped"] == 1
    assert corpus.counts["toxic_spans"]["eval_overlap_dropped"] == 20
    sources = {ex.source for ex in corpus.examples}
    assert sources == {"impermium", "toxic_spans", "olid", "davidson", "wiki", "convabuse"}
    assert not any("@USER" in ex.text or "&amp;" in ex.text for ex in corpus.examples)


def test_missing_source_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"impermium_insults/train\.csv"):
        load_training_corpus(tmp_path, ["impermium"])


def test_evaluation_sets(corpus_dir: Path) -> None:
    sets = {s.name: s for s in load_evaluation_sets(corpus_dir)}
    assert {
        "impermium_test",
        "impermium_verification",
        "olid_test_ind",
        "olid_test_a",
        "tsd_test_profanity",
    } <= set(sets)
    assert sets["olid_test_a"].target == "any"
    assert sets["olid_test_ind"].positives == 8  # the IND tweets among 24
    assert sets["tsd_test_profanity"].positives == 2
    assert all("@USER" not in t for t in sets["olid_test_a"].texts)
