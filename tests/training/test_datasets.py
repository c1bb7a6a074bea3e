from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from moderation.scoring.types import Category
from moderation.training.datasets import (
    AUTHORED_DIR,
    DEFAULT_SOURCES,
    Example,
    authored_holdout,
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
    read_authored,
    unescape_kaggle,
)

ROOT = Path(__file__).resolve().parents[2]

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
    assert sources == set(DEFAULT_SOURCES)  # the names are spelt out in test_train.py
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


# --------------------------------------------------------------------------- authored comments


def test_shipped_authored_comments_are_valid_and_cover_every_kind() -> None:
    rows = read_authored()
    assert len(rows) >= 1500
    kinds = {row.kind for row in rows}
    assert {"threat", "veiled_threat", "group_hate", "insult_ordinary"} <= kinds
    assert all(row.example.source == "authored" for row in rows)
    assert all(set(row.example.labels) == {P, A, T, H} for row in rows)
    threats = [row for row in rows if row.kind in {"threat", "veiled_threat"}]
    assert all(row.example.labels[T] == 1 for row in threats)
    negatives = [row for row in rows if not row.violation]
    assert len(negatives) >= 500


def test_authored_comments_share_no_text_with_the_evaluation_files() -> None:
    """Training on an evaluation text would inflate its figures (the blind sets included)."""
    authored = {dedup_key(row.example.text) for row in read_authored()}
    files = sorted((ROOT / "eval").rglob("*.jsonl"))
    assert files
    for path in files:
        lines = path.read_text(encoding="utf-8").splitlines()
        keys = {dedup_key(json.loads(line)["text"]) for line in lines if line.strip()}
        shared = len(authored & keys)  # a count only: the message must not show blind texts
        assert shared == 0, f"{path.name}: {shared} texts also in the authored training data"


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"text": " ", "kind": "x", "profanity": 0, "attack": 0, "threat": 0, "hate": 0}', "text"),
        ('{"text": "hi", "profanity": 0, "attack": 0, "threat": 0, "hate": 0}', "kind"),
        (
            '{"text": "hi", "kind": "x", "profanity": 0, "attack": 2, "threat": 0, "hate": 0}',
            "attack",
        ),
        ('{"text": "hi", "kind": "x", "profanity": 0, "attack": 0, "threat": 0}', "hate"),
        (
            '{"text": "hi", "kind": "x", "profanity": true, "attack": 0, "threat": 0, "hate": 0}',
            "profanity",
        ),
    ],
)
def test_a_malformed_authored_line_names_its_file_and_line(
    tmp_path: Path, line: str, problem: str
) -> None:
    good = '{"text": "fine", "kind": "clean", "profanity": 0, "attack": 0, "threat": 0, "hate": 0}'
    (tmp_path / "b.jsonl").write_text(good + "\n\n" + line + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=rf"^b\.jsonl:3: .*{problem}"):
        read_authored(tmp_path)


def test_authored_holdout_is_stratified_deterministic_and_seeded() -> None:
    rows = read_authored()
    held = authored_holdout(rows, 0.2, seed=0)
    assert [r.origin for r in held] == [r.origin for r in authored_holdout(rows, 0.2, seed=0)]
    assert {r.origin for r in held} != {r.origin for r in authored_holdout(rows, 0.2, seed=1)}
    for kind in {r.kind for r in rows}:
        total = sum(r.kind == kind for r in rows)
        assert sum(r.kind == kind for r in held) == max(1, round(total * 0.2))


def test_training_corpus_reads_authored_and_leaves_the_holdout_out(
    corpus_dir: Path, tmp_path: Path
) -> None:
    line = '{{"text": "{}", "kind": "{}", "profanity": 0, "attack": 0, "threat": {}, "hate": 0}}'
    texts = [f"watch your back number {i}" for i in range(10)]
    (tmp_path / "a.jsonl").write_text(
        "".join(line.format(t, "veiled_threat", 1) + "\n" for t in texts), encoding="utf-8"
    )
    held = authored_holdout(read_authored(tmp_path), 0.2)
    corpus = load_training_corpus(
        corpus_dir,
        ["wiki", "authored"],
        exclude=[r.example.text for r in held],
        authored_dir=tmp_path,
    )
    kept = {ex.text for ex in corpus.examples if ex.source == "authored"}
    assert len(held) == 2
    assert kept == set(texts) - {r.example.text for r in held}
    assert corpus.counts["authored"]["held_out"] == 2
    assert all(ex.labels[T] == 1 for ex in corpus.examples if ex.source == "authored")
    assert AUTHORED_DIR.is_dir()
