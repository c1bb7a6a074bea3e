"""Loaders for the labelled corpora in ``shared/corpus`` and the evaluation sets.

Every training row becomes an :class:`Example` whose ``labels`` hold only the categories the
source actually labels; a category a source does not label is *missing* (not a negative), so
the trainer builds one training set per category from the rows that know it (a masked loss).

Label mapping (the reasoning is in ``docs/model.md``):

* impermium: attack = Insult; profanity, threat, hate missing.
* olid: profanity = OFF-UNT and OFF-TIN-GRP/OTH 1 / NOT 0 (offensive language not aimed at
  an individual); attack = OFF-TIN-IND 1, NOT and OFF-UNT 0; threat and hate missing.
* toxic_spans: each category from the raters' typed spans (Profane/Obscene, Insult, Threat,
  Identity based Attack).
* davidson: profanity = offensive 1 / neither 0; hate = hate 1 / other 0; attack, threat
  missing.
* wiki (gn/gc), convabuse: non-toxic / not-abusive rows are 0 for every category; the
  others are dropped.
* authored: comments written for this project (``moderation/training/authored``, shipped in
  the package), every category labelled 0/1 on each line.

toxic_spans: >= 2 raters marked a span of that type -> 1, no rater -> 0, exactly one -> missing.

Texts are cleaned of source artefacts (:func:`clean_text`) so that they look like what the
service receives, deduplicated across sources on :func:`dedup_key`, and every training text whose
key also occurs in an evaluation file is dropped (:func:`evaluation_keys`).
"""

from __future__ import annotations

import ast
import csv
import hashlib
import html
import json
import logging
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from moderation.categories import trained as trained_categories
from moderation.scoring.types import Category

logger = logging.getLogger(__name__)

csv.field_size_limit(sys.maxsize)

#: Categories the classifier scores: the registry's ``trained`` ones (spam is rules-only).
MODEL_CATEGORIES: tuple[Category, ...] = trained_categories()

# --------------------------------------------------------------------------- text cleaning

_ESCAPE_RE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|[nrt'\"\\])")
_TAG_RE = re.compile(r"</?[a-zA-Z][^<>]{0,200}>")
_URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MASK_RE = re.compile(r"(?<!\w)(?:@USER|URL)(?!\w)")
_MENTION_RE = re.compile(r"(?<!\w)@\w{1,30}:?")
_RT_RE = re.compile(r"(?<!\w)RT(?!\w)")
_SPACE_RE = re.compile(r"\s+")
_KEY_DROP_RE = re.compile(r"[^0-9a-z]+")


def _unescape_once(text: str) -> str:
    """Decode one level of Kaggle's literal escapes (``\\xNN`` bytes form UTF-8 where they can)."""

    def byte_or_text(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] == "x":
            # A surrogate stands for one raw byte until the whole string is re-decoded below.
            return chr(0xDC00 + int(code[1:], 16))
        if code[0] == "u":
            return chr(int(code[1:], 16))
        return {"n": " ", "r": " ", "t": " ", "'": "'", '"': '"', "\\": "\\"}[code]

    staged = _ESCAPE_RE.sub(byte_or_text, text)
    if not any(0xDC80 <= ord(ch) <= 0xDCFF for ch in staged):
        return staged
    # Re-read runs of escaped bytes as UTF-8; bytes that are not valid UTF-8 are Latin-1.
    raw = staged.encode("utf-8", errors="surrogateescape")
    decoded = raw.decode("utf-8", errors="surrogateescape")
    return "".join(chr(ord(ch) - 0xDC00) if 0xDC80 <= ord(ch) <= 0xDCFF else ch for ch in decoded)


def unescape_kaggle(text: str) -> str:
    """Undo the (sometimes doubled) literal escape sequences of the Impermium files."""
    for _ in range(3):
        decoded = _unescape_once(text)
        if decoded == text:
            break
        text = decoded
    return text


def clean_text(raw: str, *, kaggle: bool = False, twitter: bool = False) -> str:
    """Turn a corpus cell into the comment a site would have sent us.

    ``kaggle`` strips the extra ``"..."`` quoting and decodes escapes; ``twitter`` removes
    ``@USER``/``URL`` masks, ``@mentions``, ``RT`` and links. HTML entities and tags are removed
    for every source; whitespace (including non-breaking spaces) is collapsed.
    """
    text = raw
    if kaggle:
        if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
            text = text[1:-1]
        text = unescape_kaggle(text)
    text = html.unescape(html.unescape(text))
    text = _TAG_RE.sub(" ", text)
    if twitter:
        text = _MASK_RE.sub(" ", text)
        text = _MENTION_RE.sub(" ", text)
        text = _RT_RE.sub(" ", text)
        text = _URL_RE.sub(" ", text)
    return _SPACE_RE.sub(" ", text).strip()


def dedup_key(text: str) -> str:
    """Comparison key: cleaned text, lowercased, letters and digits only."""
    return _KEY_DROP_RE.sub("", text.lower())


# --------------------------------------------------------------------------- value types


@dataclass(frozen=True, slots=True)
class Example:
    """One training text. ``labels`` holds 0/1 only for the categories the source labels."""

    text: str
    source: str
    labels: Mapping[Category, int]
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class EvalSet:
    """An evaluation set: ``target`` is a category, or ``"any"`` (score = max over categories)."""

    name: str
    target: str
    texts: tuple[str, ...]
    labels: tuple[int, ...]
    note: str = ""

    @property
    def positives(self) -> int:
        return sum(self.labels)


@dataclass(frozen=True, slots=True)
class SpanPost:
    """A toxic-spans post with gold toxic character offsets (>= 2 raters, any type)."""

    text: str
    spans: frozenset[int]


@dataclass(slots=True)
class TrainingCorpus:
    examples: list[Example]
    #: rows read per source before de-duplication, rows kept, rows dropped as eval overlap
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def for_category(self, category: Category) -> list[Example]:
        return [ex for ex in self.examples if category in ex.labels]


# --------------------------------------------------------------------------- file readers


def _read_csv(path: Path, delimiter: str = ",") -> Iterator[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        yield from csv.DictReader(handle, delimiter=delimiter)


def _labels(**kwargs: int | None) -> dict[Category, int]:
    return {Category(name): value for name, value in kwargs.items() if value is not None}


def read_impermium(path: Path) -> list[tuple[str, int]]:
    """``(text, insult)`` pairs from an Impermium CSV (train, test or verification)."""
    rows = []
    for row in _read_csv(path):
        text = clean_text(row["Comment"], kaggle=True)
        if text:
            rows.append((text, int(row["Insult"])))
    return rows


def load_impermium_train(path: Path) -> list[Example]:
    return [
        Example(text, "impermium", _labels(attack=insult)) for text, insult in read_impermium(path)
    ]


def read_olid(path: Path) -> list[dict[str, str]]:
    """Rows of an OLID TSV (tweets contain unbalanced quotes, so quoting is off)."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def load_olid_train(path: Path) -> list[Example]:
    examples = []
    for row in read_olid(path):
        text = clean_text(row["tweet"], twitter=True)
        if not text:
            continue
        a, b, c = row["subtask_a"], row["subtask_b"], row["subtask_c"]
        if a == "NOT":
            labels = _labels(profanity=0, attack=0)
        elif b == "UNT":
            labels = _labels(profanity=1, attack=0)
        elif c == "IND":
            labels = _labels(attack=1)
        else:
            # Offensive language aimed at a group or an organisation: offensive language for
            # the profanity head (the policy forbids it; docs/model.md); whether it also
            # attacks a person (a member, a leader) or is hate is not labelled.
            labels = _labels(profanity=1)
        examples.append(Example(text, "olid", labels))
    return examples


_SPAN_TYPES: dict[str, Category] = {
    "Insult": Category.ATTACK,
    "Insu": Category.ATTACK,
    "Profane/Obscene": Category.PROFANITY,
    "Threat": Category.THREAT,
    "Identity based Attack": Category.HATE,
    "Identity based ": Category.HATE,
}


@dataclass(frozen=True, slots=True)
class _SpanComment:
    text: str
    raters: int
    #: raters that marked at least one span of the category
    votes: Mapping[Category, int]
    #: per character offset, number of raters that marked it (any type, "Other" included)
    char_votes: Mapping[int, int]


def _read_toxic_spans(directory: Path) -> list[_SpanComment]:
    texts = {
        row["comment_id"]: row["comment_text"] for row in _read_csv(directory / "comments.csv")
    }
    annotation_comment: dict[str, str] = {}
    raters: dict[str, int] = defaultdict(int)
    for row in _read_csv(directory / "annotations.csv"):
        annotation_comment[row["annotation"]] = row["comment_id"]
        raters[row["comment_id"]] += 1
    votes: dict[str, dict[Category, set[str]]] = defaultdict(lambda: defaultdict(set))
    chars: dict[str, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    for row in _read_csv(directory / "spans.csv"):
        comment_id = annotation_comment.get(row["annotation"])
        if comment_id is None or comment_id not in texts:
            continue
        text = texts[comment_id]
        start, end = max(0, int(row["start"])), min(len(text), int(row["end"]))
        if end <= start or not text[start:end].strip():
            continue
        category = _SPAN_TYPES.get(row["type"])
        if category is not None:
            votes[comment_id][category].add(row["annotation"])
        for offset in range(start, end):
            chars[comment_id][offset].add(row["annotation"])
    comments = []
    for comment_id, text in texts.items():
        n = raters.get(comment_id, 0)
        if n == 0 or n > 20:  # unannotated, or the quiz post seen by hundreds of raters
            continue
        comments.append(
            _SpanComment(
                text=text,
                raters=n,
                votes={cat: len(ids) for cat, ids in votes[comment_id].items()},
                char_votes={off: len(ids) for off, ids in chars[comment_id].items()},
            )
        )
    return comments


def _vote_label(votes: int) -> int | None:
    if votes >= 2:
        return 1
    if votes == 0:
        return 0
    return None


def load_toxic_spans_train(directory: Path) -> list[Example]:
    """Civil Comments posts with typed spans; evaluation texts are removed by the caller."""
    examples = []
    for comment in _read_toxic_spans(directory):
        text = clean_text(comment.text)
        labels = {}
        for category in MODEL_CATEGORIES:
            label = _vote_label(comment.votes.get(category, 0))
            if label is not None:
                labels[category] = label
        if text and labels:
            examples.append(Example(text, "toxic_spans", labels))
    return examples


def load_davidson(path: Path) -> list[Example]:
    examples = []
    for row in _read_csv(path):
        text = clean_text(row["tweet"], twitter=True)
        if not text:
            continue
        cls = int(row["class"])
        if cls == 0:
            labels = _labels(hate=1)
        elif cls == 1:
            labels = _labels(profanity=1, hate=0)
        else:
            labels = _labels(profanity=0, hate=0)
        examples.append(Example(text, "davidson", labels))
    return examples


_ALL_ZERO = dict.fromkeys(MODEL_CATEGORIES, 0)


def load_wiki(path: Path) -> list[Example]:
    """Wikipedia talk comments: the non-toxic ones are negatives for every category."""
    examples = []
    for row in _read_csv(path):
        text = clean_text(row["text"])
        if text and row["label"].strip() in {"0", "0.0"}:
            examples.append(Example(text, "wiki", dict(_ALL_ZERO)))
    return examples


def _first_vote(cell: str) -> str:
    return cell.split(",")[0].strip()


def load_convabuse(path: Path) -> list[Example]:
    """User utterances to chatbots: majority "not abusive" ones are negatives for everything."""
    examples = []
    for row in _read_csv(path):
        text = clean_text(row["user"])
        if not text:
            continue
        abusive = not_abusive = 0
        for i in range(1, 9):
            if _first_vote(row.get(f"Annotator{i}_is_abuse.1", "") or "") == "1":
                not_abusive += 1
            elif any(
                _first_vote(row.get(f"Annotator{i}_is_abuse.{level}", "") or "") == "1"
                for level in ("0", "-1", "-2", "-3")
            ):
                abusive += 1
        if not_abusive > abusive and abusive == 0:
            examples.append(Example(text, "convabuse", dict(_ALL_ZERO)))
    return examples


# --------------------------------------------------------------------------- evaluation sets


def read_tsd(path: Path) -> list[SpanPost]:
    posts = []
    for row in _read_csv(path):
        spans = ast.literal_eval(row["spans"]) if row["spans"].strip() else []
        posts.append(SpanPost(row["text"], frozenset(int(s) for s in spans)))
    return posts


def _olid_test(directory: Path, level: str) -> dict[str, tuple[str, str]]:
    labels = {row["id"]: row["label"] for row in _read_csv(directory / f"labels-level{level}.csv")}
    return {
        row["id"]: (clean_text(row["tweet"], twitter=True), labels[row["id"]])
        for row in read_olid(directory / f"testset-level{level}.tsv")
    }


def load_evaluation_sets(data_dir: Path) -> list[EvalSet]:
    """Every evaluation set found under ``data_dir`` (missing files are skipped with a log line)."""
    sets: list[EvalSet] = []
    imp = data_dir / "impermium_insults"
    if (imp / "test_with_solutions.csv").exists():
        test = read_impermium(imp / "test_with_solutions.csv")
        sets.append(_eval("impermium_test", "attack", test))
        if (imp / "impermium_verification_labels.csv").exists():
            seen = {dedup_key(t) for t, _ in test}
            if (imp / "train.csv").exists():
                seen |= {dedup_key(t) for t, _ in read_impermium(imp / "train.csv")}
            ver = [
                (t, y)
                for t, y in read_impermium(imp / "impermium_verification_labels.csv")
                if dedup_key(t) not in seen
            ]
            sets.append(_eval("impermium_verification", "attack", ver, "train/test texts removed"))
    olid = data_dir / "olid"
    if (olid / "testset-levela.tsv").exists():
        level_a = _olid_test(olid, "a")
        level_c = _olid_test(olid, "c")
        ind = [
            (text, int(level_c.get(i, ("", ""))[1] == "IND")) for i, (text, _) in level_a.items()
        ]
        sets.append(_eval("olid_test_ind", "attack", ind, "OFF-TIN-IND vs every other tweet"))
        off = [(text, int(label == "OFF")) for text, label in level_a.values()]
        sets.append(_eval("olid_test_a", "any", off, "OFF vs NOT, score = max over categories"))
    spans_dir = data_dir / "toxic_spans"
    if (spans_dir / "tsd_test.csv").exists() and (spans_dir / "comments.csv").exists():
        by_text = {c.text: c for c in _read_toxic_spans(spans_dir)}
        posts = read_tsd(spans_dir / "tsd_test.csv")
        for category in MODEL_CATEGORIES:
            rows = []
            for post in posts:
                comment = by_text.get(post.text)
                votes = comment.votes.get(category, 0) if comment else 0
                rows.append((clean_text(post.text), int(votes >= 2)))
            sets.append(_eval(f"tsd_test_{category}", str(category), rows, ">= 2 raters typed it"))
    ethos = data_dir / "ethos" / "Ethos_Dataset_Binary.csv"
    if ethos.exists():
        rows = [
            (clean_text(r["comment"]), int(float(r["isHate"]) >= 0.5))
            for r in _read_csv(ethos, delimiter=";")
        ]
        sets.append(_eval("ethos_hate", "hate", rows, "isHate >= 0.5"))
    jigsaw = data_dir / "jigsaw_ibm_sample" / "test_examples.csv"
    if jigsaw.exists():
        jrows = list(_read_csv(jigsaw))
        for column, target in (("toxic", "any"), ("obscene", "profanity"), ("insult", "attack")):
            rows = [(clean_text(r["comment_text"]), int(r[column])) for r in jrows]
            sets.append(_eval(f"jigsaw_{column}", target, rows, "101 rows: smoke test"))
    return sets


def _eval(name: str, target: str, rows: Sequence[tuple[str, int]], note: str = "") -> EvalSet:
    rows = [(t, y) for t, y in rows if t]
    return EvalSet(name, target, tuple(t for t, _ in rows), tuple(y for _, y in rows), note)


def evaluation_keys(data_dir: Path) -> set[str]:
    """Keys of every evaluation-only text (tsd_trial included), for dropping from training."""
    keys: set[str] = set()
    imp = data_dir / "impermium_insults"
    for name in ("test_with_solutions.csv", "impermium_verification_labels.csv"):
        if (imp / name).exists():
            keys |= {dedup_key(t) for t, _ in read_impermium(imp / name)}
    olid = data_dir / "olid"
    for level in "abc":
        if (olid / f"testset-level{level}.tsv").exists():
            keys |= {
                dedup_key(clean_text(r["tweet"], twitter=True))
                for r in read_olid(olid / f"testset-level{level}.tsv")
            }
    for name in ("tsd_test.csv", "tsd_trial.csv"):
        path = data_dir / "toxic_spans" / name
        if path.exists():
            keys |= {dedup_key(clean_text(p.text)) for p in read_tsd(path)}
    ethos = data_dir / "ethos"
    for name in ("Ethos_Dataset_Binary.csv", "Ethos_Dataset_Multi_Label.csv"):
        if (ethos / name).exists():
            keys |= {
                dedup_key(clean_text(r["comment"])) for r in _read_csv(ethos / name, delimiter=";")
            }
    jigsaw = data_dir / "jigsaw_ibm_sample" / "test_examples.csv"
    if jigsaw.exists():
        keys |= {dedup_key(clean_text(r["comment_text"])) for r in _read_csv(jigsaw)}
    keys.discard("")
    return keys


# --------------------------------------------------------------------------- authored comments

#: Project-written labelled comments, shipped inside the package (not in the corpora folder).
AUTHORED_DIR = Path(__file__).resolve().parent / "authored"


@dataclass(frozen=True, slots=True)
class AuthoredComment:
    """One line of an authored file: its kind (for stratified hold-outs) and its example."""

    kind: str
    example: Example
    origin: str  # "file.jsonl:line", for error messages and audits

    @property
    def violation(self) -> bool:
        return any(self.example.labels.values())


def read_authored(directory: Path = AUTHORED_DIR) -> list[AuthoredComment]:
    """Every ``*.jsonl`` line under ``directory``: ``{"text", "kind", "profanity", "attack",
    "threat", "hate"}`` with labels 0 or 1. A malformed line raises ``ValueError`` naming its
    file and line, so a bad edit stops training instead of teaching the model nonsense."""
    rows: list[AuthoredComment] = []
    for path in sorted(directory.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            origin = f"{path.name}:{number}"
            try:
                data = json.loads(line)
            except ValueError:
                raise ValueError(f"{origin}: not valid JSON") from None
            if not isinstance(data, dict):
                raise ValueError(f"{origin}: not a JSON object")
            text, kind = data.get("text"), data.get("kind")
            if not isinstance(text, str) or not clean_text(text):
                raise ValueError(f"{origin}: 'text' must be a non-empty string")
            if not isinstance(kind, str) or not kind:
                raise ValueError(f"{origin}: 'kind' must be a non-empty string")
            labels: dict[Category, int] = {}
            for category in MODEL_CATEGORIES:
                value = data.get(str(category))
                if type(value) is not int or value not in (0, 1):
                    raise ValueError(f"{origin}: {str(category)!r} must be 0 or 1")
                labels[category] = value
            example = Example(clean_text(text), "authored", labels)
            rows.append(AuthoredComment(kind, example, origin))
    return rows


def authored_holdout(
    rows: Sequence[AuthoredComment], fraction: float, seed: int = 0
) -> list[AuthoredComment]:
    """A deterministic hold-out of ``fraction`` of each kind (at least one row per kind with
    two or more), chosen by a seeded hash of the text: the same rows on every machine."""
    by_kind: dict[str, list[AuthoredComment]] = defaultdict(list)
    for row in rows:
        by_kind[row.kind].append(row)
    held: list[AuthoredComment] = []
    for kind in sorted(by_kind):
        members = sorted(
            by_kind[kind],
            key=lambda r: hashlib.sha256(f"{seed}:{dedup_key(r.example.text)}".encode()).digest(),
        )
        count = round(len(members) * fraction)
        if len(members) >= 2:
            count = max(1, count)
        held.extend(members[:count])
    return held


# --------------------------------------------------------------------------- training corpus

#: Source name -> (loader, files relative to the data dir). Order = priority when de-duplicating.
SOURCES: dict[str, tuple[str, ...]] = {
    "impermium": ("impermium_insults/train.csv",),
    "toxic_spans": ("toxic_spans/comments.csv",),
    "olid": ("olid/olid-training-v1.0.tsv",),
    "davidson": ("davidson_hate_offensive/labeled_data.csv",),
    "wiki": ("wiki_toxicity_context/gn.csv", "wiki_toxicity_context/gc.csv"),
    "convabuse": ("convabuse/ConvAbuseEMNLPtrain.csv", "convabuse/ConvAbuseEMNLPvalid.csv"),
    # Not in the corpora folder: read from AUTHORED_DIR, inside the package.
    "authored": (),
}

#: Licence of each training source, as stated in its SOURCE.md (the model card repeats these).
LICENCES: dict[str, str] = {
    "impermium": "not stated (Kaggle 'Detecting Insults in Social Commentary' competition rules)",
    "toxic_spans": "CC0 1.0",
    "olid": "CC BY 4.0 (hosting repository)",
    "davidson": "MIT",
    "wiki": "Apache 2.0",
    "convabuse": "CC BY 4.0",
    "authored": "MIT (written for this project; moderation/training/authored/README.md)",
}

DEFAULT_SOURCES: tuple[str, ...] = (
    "impermium",
    "toxic_spans",
    "olid",
    "davidson",
    "wiki",
    "convabuse",
    "authored",
)


def _load_source(name: str, data_dir: Path, authored_dir: Path) -> list[Example]:
    paths = [data_dir / rel for rel in SOURCES[name]]
    if name == "impermium":
        return load_impermium_train(paths[0])
    if name == "toxic_spans":
        return load_toxic_spans_train(paths[0].parent)
    if name == "olid":
        return load_olid_train(paths[0])
    if name == "davidson":
        return load_davidson(paths[0])
    if name == "wiki":
        return [ex for p in paths if p.exists() for ex in load_wiki(p)]
    if name == "convabuse":
        return [ex for p in paths if p.exists() for ex in load_convabuse(p)]
    if name == "authored":
        return [row.example for row in read_authored(authored_dir)]
    raise ValueError(f"unknown training source {name!r}; known: {', '.join(SOURCES)}")


def merge_duplicates(examples: Iterable[Example]) -> list[Example]:
    """Keep the first example per :func:`dedup_key`; later copies only fill missing categories.

    Within one source, conflicting labels for the same text resolve to positive (a text some
    raters flagged is not a clean negative).
    """
    merged: dict[str, Example] = {}
    for ex in examples:
        key = dedup_key(ex.text)
        if not key:
            continue
        first = merged.get(key)
        if first is None:
            merged[key] = ex
            continue
        labels = dict(first.labels)
        for cat, value in ex.labels.items():
            if cat not in labels:
                labels[cat] = value
            elif ex.source == first.source:
                labels[cat] = max(labels[cat], value)
        merged[key] = Example(first.text, first.source, labels, first.weight)
    return list(merged.values())


def load_training_corpus(
    data_dir: Path,
    sources: Sequence[str] = DEFAULT_SOURCES,
    weights: Mapping[str, float] | None = None,
    *,
    exclude: Iterable[str] = (),
    authored_dir: Path = AUTHORED_DIR,
) -> TrainingCorpus:
    """All training rows of ``sources``, de-duplicated, with evaluation texts removed.

    ``exclude`` holds more texts to leave out (a hold-out, see :func:`authored_holdout`).
    Raises ``FileNotFoundError`` naming the first missing file of a requested source, and
    ``ValueError`` for an unknown source or a malformed authored line.
    """
    weights = weights or {}
    eval_keys = evaluation_keys(data_dir)
    held_keys = {dedup_key(text) for text in exclude} - eval_keys
    rows: list[Example] = []
    counts: dict[str, dict[str, int]] = {}
    for name in sources:
        if name not in SOURCES:
            raise ValueError(f"unknown training source {name!r}; known: {', '.join(SOURCES)}")
        first = data_dir / SOURCES[name][0] if SOURCES[name] else authored_dir
        if not first.exists():
            raise FileNotFoundError(f"training source {name!r} needs {first}")
        loaded = _load_source(name, data_dir, authored_dir)
        kept = [ex for ex in loaded if dedup_key(ex.text) not in eval_keys]
        overlap = len(loaded) - len(kept)
        kept = [ex for ex in kept if dedup_key(ex.text) not in held_keys]
        weight = weights.get(name, 1.0)
        rows.extend(Example(ex.text, ex.source, ex.labels, weight) for ex in kept)
        counts[name] = {"read": len(loaded), "eval_overlap_dropped": overlap}
        if held_keys:
            counts[name]["held_out"] = len(loaded) - overlap - len(kept)
        logger.info(
            "%s: %d rows (%d dropped as evaluation overlap)",
            name,
            len(kept),
            len(loaded) - len(kept),
        )
    examples = merge_duplicates(rows)
    for name in sources:
        counts[name]["kept"] = sum(1 for ex in examples if ex.source == name)
        for cat in MODEL_CATEGORIES:
            pos = sum(1 for ex in examples if ex.source == name and ex.labels.get(cat) == 1)
            neg = sum(1 for ex in examples if ex.source == name and ex.labels.get(cat) == 0)
            counts[name][f"{cat}_pos"] = pos
            counts[name][f"{cat}_neg"] = neg
    return TrainingCorpus(examples, counts)


def read_span_posts(path: Path) -> list[SpanPost]:
    """tsd_*.csv posts with their gold offsets (for explanation quality)."""
    return read_tsd(path)
