"""Benchmark the rule filter against better-profanity on real comments. Prints figures.

    python bench/rules.py [--corpus DIR] [--sample 300] [--variants 20000] [--limit N]

Reads comment texts from the shared corpus (impermium_insults/train.csv, olid training tweets,
toxic_spans/comments.csv; read only, nothing is copied) and prints:

1. speed (CPU time): comments/s of ``RuleFilter.find`` on every text (cold cache, then warm) and of
   better-profanity's ``contains_profanity`` on a random sample (it does ~10 texts/s), and
   the ratio;
2. agreement on every text between better-profanity and "ours flags" (a match of category
   profanity/attack/hate/threat with severity >= mild), with every disagreement explained.
   better-profanity is far too slow to run on every text, so the matrix uses an exact port of
   its algorithm (same tokenisation, same list, same character substitutions, with a hashed
   variant lookup instead of a linear scan); the port is checked against the real library on
   the timing sample and on all list terms, and any difference is printed;
3. the "no term missed" check: every term of better-profanity's list, written plainly and
   inside a sentence, and random variants generated with its CHARS_MAPPING, must be found;
4. coverage of the surge / dsojevic / ldnoobw word lists (audit only);
5. the worst case: chars/s, comments/s and work per character (``RuleFilter.work``) on
   adversarial texts of 10,000 characters built to make a matcher re-scan (repeated separators,
   letters alternating with punctuation, letters spelt out, runs of look-alikes, leet and
   wildcards, long tokens, pieces that each spell a term every join of them would only repeat),
   each on a fresh filter, and how many times slower than the typical case (the timing sample
   on a fresh filter, in chars/s).

Exit status 1 if the speed ratio is below 100x, a term or variant is missed, a
better-profanity-only disagreement is unexplained, or the worst case is more than 10x slower
than the typical case.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import string
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from better_profanity import Profanity  # noqa: E402

from moderation.scoring.rules import RuleFilter  # noqa: E402
from moderation.scoring.types import Category, Match, Severity  # noqa: E402

FLAG_CATEGORIES = {Category.PROFANITY, Category.ATTACK, Category.HATE, Category.THREAT}

# better-profanity's own substitutions, read from the library, for generating variants.
CHARS_MAPPING: dict[str, tuple[str, ...]] = Profanity().CHARS_MAPPING


# ----------------------------------------------------------------------------------------------
# Corpus


def _unescape_kaggle(text: str) -> str:
    """Decode the literal escape sequences of the Impermium files (see its SOURCE.md)."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    text = re.sub(r"\\{2,}", "\\\\", text)

    def bytes_run(m: re.Match[str]) -> str:
        raw = bytes(int(h, 16) for h in re.findall(r"\\x([0-9a-fA-F]{2})", m.group()))
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("latin-1")

    text = re.sub(r"(?:\\x[0-9a-fA-F]{2})+", bytes_run, text)
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    return text.replace("\\n", "\n").replace("\\r", " ").replace("\\t", " ").replace("\\'", "'")


def load_texts(corpus: Path) -> list[tuple[str, str]]:
    """(source, text) pairs from the three comment sets; missing files are skipped."""
    out: list[tuple[str, str]] = []
    imp = corpus / "impermium_insults" / "train.csv"
    if imp.exists():
        with imp.open(encoding="utf-8", newline="") as f:
            out += [("impermium", _unescape_kaggle(r["Comment"])) for r in csv.DictReader(f)]
    olid = corpus / "olid" / "olid-training-v1.0.tsv"
    if olid.exists():
        with olid.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
            for r in reader:
                tweet = re.sub(r"@USER|\bURL\b", "", r["tweet"]).strip()
                out.append(("olid", tweet))
    spans = corpus / "toxic_spans" / "comments.csv"
    if spans.exists():
        with spans.open(encoding="utf-8", newline="") as f:
            out += [("toxic_spans", r["comment_text"]) for r in csv.DictReader(f)]
    return [(s, t) for s, t in out if t.strip()]


# ----------------------------------------------------------------------------------------------
# better-profanity, ported for speed (same algorithm as better_profanity 0.7.0, MIT licence)


class PortedProfanity:
    """``Profanity.censor``/``contains_profanity`` with an O(1) word check.

    better-profanity compares each word with every ``VaryingString`` of its list (a linear
    scan); a word equals a VaryingString when it has the term's length and each character is
    one of the term character's substitutions. This port enumerates which list terms a word
    could equal (pruned by the set of term prefixes) instead. The tokenisation below is a
    line-by-line port of ``Profanity._hide_swear_words`` and its helpers.
    """

    def __init__(self, words: Iterable[str]) -> None:
        from better_profanity.constants import ALLOWED_CHARACTERS

        self.allowed = ALLOWED_CHARACTERS
        self.words = {w.lower() for w in words}
        self.prefixes = {w[:i] for w in self.words for i in range(len(w) + 1)}
        self.inverse: dict[str, set[str]] = defaultdict(set)
        for term_char, subs in CHARS_MAPPING.items():
            for sub in subs:
                self.inverse[sub].add(term_char)
        self.max_combinations = max(
            [1] + [sum(c not in self.allowed for c in w) for w in self.words]
        )

    def is_swear(self, word: str) -> bool:
        word = word.lower()
        stack = [""]
        for char in word:
            options = {char} | self.inverse.get(char, set())
            stack = [p + o for p in stack for o in options if p + o in self.prefixes]
            if not stack:
                return False
        return any(p in self.words for p in stack)

    def contains_profanity(self, text: str) -> bool:
        return text != self.censor(text)

    def censor(self, text: str, censor_char: str = "*") -> str:
        return self.censor_spans(text, censor_char)[0]

    def censor_spans(self, text: str, censor_char: str = "*") -> tuple[str, list[tuple[int, int]]]:
        """The censored text and the spans of ``text`` that were censored."""
        spans: list[tuple[int, int]] = []
        censored_text = ""
        cur_word = ""
        cur_start = 0
        skip_index = -1
        next_words_indices: list[tuple[str, int]] = []
        start_idx_of_next_word = self._start_of_next_word(text, 0)
        if start_idx_of_next_word >= len(text) - 1:
            return text, spans
        base = 0
        if start_idx_of_next_word > 0:
            censored_text = text[:start_idx_of_next_word]
            base = start_idx_of_next_word
            text = text[start_idx_of_next_word:]
        for index, char in enumerate(text):
            if index < skip_index:
                continue
            if char in self.allowed:
                if cur_word == "":
                    cur_start = index
                cur_word += char
                continue
            if cur_word.strip() == "":
                censored_text += char
                cur_word = ""
                continue
            next_words_indices = self._update_next_words(text, next_words_indices, index)
            contains, end_index = self._next_words_form_swear(cur_word, next_words_indices)
            if contains:
                cur_word = censor_char * 4
                skip_index = end_index
                char = ""
                next_words_indices = []
                end = end_index if text[end_index] not in self.allowed else end_index + 1
                spans.append((base + cur_start, base + end))
            if self.is_swear(cur_word):
                cur_word = censor_char * 4
                spans.append((base + cur_start, base + index))
            censored_text += cur_word + char
            cur_word = ""
        if cur_word != "" and skip_index < len(text) - 1:
            if self.is_swear(cur_word):
                cur_word = censor_char * 4
                spans.append((base + cur_start, base + len(text)))
            censored_text += cur_word
        return censored_text, spans

    def _next_words_form_swear(
        self, cur_word: str, words_indices: list[tuple[str, int]]
    ) -> tuple[bool, int]:
        full_word = cur_word.lower()
        full_word_with_separators = cur_word.lower()
        for index in range(0, len(words_indices), 2):
            single_word, end_index = words_indices[index]
            word_with_separators, _ = words_indices[index + 1]
            if single_word == "":
                continue
            full_word = f"{full_word}{single_word.lower()}"
            full_word_with_separators = f"{full_word_with_separators}{word_with_separators.lower()}"
            if self.is_swear(full_word) or self.is_swear(full_word_with_separators):
                return True, end_index
        return False, -1

    def _update_next_words(
        self, text: str, words_indices: list[tuple[str, int]], start_idx: int
    ) -> list[tuple[str, int]]:
        if not words_indices:
            words_indices = self._next_words(text, start_idx, self.max_combinations)
        else:
            del words_indices[:2]
            if words_indices and words_indices[-1][0] != "":
                words_indices += self._next_words(text, words_indices[-1][1], 1)
        return words_indices

    def _start_of_next_word(self, text: str, start_idx: int) -> int:
        for index in range(start_idx, len(text)):
            if text[index] in self.allowed:
                return index
        return len(text)

    def _next_word_and_end(self, text: str, start_idx: int) -> tuple[str, int]:
        next_word = ""
        index = start_idx
        for index in range(start_idx, len(text)):
            if text[index] in self.allowed:
                next_word += text[index]
                continue
            break
        return next_word, index

    def _next_words(self, text: str, start_idx: int, count: int = 1) -> list[tuple[str, int]]:
        start = self._start_of_next_word(text, start_idx)
        if start >= len(text) - 1:
            return [("", start), ("", start)]
        next_word, end_index = self._next_word_and_end(text, start)
        words = [(next_word, end_index), (f"{text[start_idx:start]}{next_word}", end_index)]
        if count > 1:
            words.extend(self._next_words(text, end_index, count - 1))
        return words


# ----------------------------------------------------------------------------------------------
# Helpers


def flags(matches: Sequence[Match]) -> bool:
    return any(
        m.category in FLAG_CATEGORIES and m.severity.rank >= Severity.MILD.rank for m in matches
    )


def timed(fn: Callable[[], object]) -> float:
    """CPU seconds ``fn`` takes (process time: steadier than wall time on a shared machine)."""
    start = time.process_time()
    fn()
    return time.process_time() - start


def adversarial_texts(length: int = 10_000) -> list[tuple[str, str]]:
    """(label, text) of ``length`` characters each, built to make a matcher re-scan."""
    rng = random.Random(10)

    def repeat(unit: str) -> str:
        return (unit * (length // len(unit) + 1))[:length]

    def alternate(letters: str, separators: str) -> str:
        return "".join(rng.choice(letters) + rng.choice(separators) for _ in range(length))[:length]

    homoglyphs = "асеорхуіѕԁɡᴋʟսᴜꜰ"
    leet = "aeiou01345@$!*#|+lfcksht"
    distinct = " ".join(
        f"{chr(97 + i % 26)}*{chr(97 + i // 26 % 26)}{chr(97 + i // 676 % 26)}"
        for i in range(2_000)
    )
    return [
        ('"f.u." repeated (the reported stall)', repeat("f.u.")),
        ('"a-b-c-" repeated', repeat("a-b-c-")),
        ('"sh.it." repeated', repeat("sh.it.")),
        ('"f*&k&" repeated', repeat("f*&k&")),
        ('"u." repeated (one letter, many pieces)', repeat("u.")),
        # Every piece is itself a listed term of one letter's skeleton ("kkk", "xxx", rated
        # none), and so is every window of pieces: each is refused as no worse than its pieces.
        ('"kkk&k_" repeated (a term\'s skeleton, refused)', repeat("kkk&k_")),
        ('"kkk." repeated', repeat("kkk.")),
        ('"xxx&xx_" repeated', repeat("xxx&xx_")),
        ("random letters and joint punctuation", alternate(string.ascii_lowercase, ".-_&'")),
        ("random leet and wildcards, joined", alternate(leet, ".-_&")),
        ('"f u c k " repeated (spaced letters)', repeat("f u c k ")),
        ("random letters, spaced", alternate(string.ascii_lowercase, " ")),
        ("random leet and wildcards, spaced", alternate(leet, " ")),
        ("look-alike run (Armenian/Cyrillic fսсk)", repeat("fսсk")),  # noqa: RUF001
        ("random look-alikes and punctuation", alternate(homoglyphs, ".- ")),
        ("one token of one accented letter", "é" * length),
        ("one token of one letter", "a" * length),
        ("distinct wildcard words", distinct[:length]),
    ]


def worst_case(config: Path, typical_chars: float | None) -> list[str]:
    """Print throughput on :func:`adversarial_texts`; the failures to report."""
    print("\n== worst case: adversarial texts of 10,000 characters, each on a fresh filter ==")
    rows = []
    for label, text in adversarial_texts():
        rules = RuleFilter.from_config(config)
        before = rules.work
        seconds = max(timed(lambda: rules.find(text)), 1e-6)  # noqa: B023 (called at once)
        rows.append((label, len(text) / seconds, 1 / seconds, (rules.work - before) / len(text)))
    for label, chars, comments, work in rows:
        slower = f"{typical_chars / chars:6.1f}x slower" if typical_chars else ""
        print(
            f"  {label + ':':48s} {chars:11,.0f} chars/s {comments:8,.1f} comments/s "
            f"{work:6.1f} work/char {slower}"
        )
    label, chars, comments, _ = min(rows, key=lambda r: r[1])
    print(f"worst: {label}: {chars:,.0f} chars/s, {comments:,.1f} comments/s")
    if typical_chars is None:
        print("(no corpus: no typical figure to compare with)")
        return []
    ratio = typical_chars / chars
    print(
        f"typical (fresh filter, timing sample): {typical_chars:,.0f} chars/s; "
        f"worst case {ratio:.1f}x slower (required <= 10x)"
    )
    return [f"worst case {ratio:.1f}x slower than typical"] if ratio > 10 else []


def show(text: str, width: int = 110) -> str:
    flat = " ".join(text.split())
    return json.dumps(flat if len(flat) <= width else flat[: width - 3] + "...")


def random_variant(term: str, rng: random.Random) -> str:
    return "".join(rng.choice(CHARS_MAPPING[c]) if c in CHARS_MAPPING else c for c in term)


def covers(matches: Sequence[Match], text: str, start: int, end: int) -> bool:
    """A term match whose span covers every letter/digit of ``text[start:end]``.

    A "*" at the edges may be left out: when the word matches without it, it is read as a
    footnote mark or emphasis ("motherfuck*" is "motherfuck").
    """
    while start < end and text[start] == "*":
        start += 1
    while end > start and text[end - 1] == "*":
        end -= 1
    inner = [i for i in range(start, end) if text[i].isalnum() or text[i] in "@$*!+"]
    lo, hi = (inner[0], inner[-1] + 1) if inner else (start, end)
    return any(m.category is not Category.SPAM and m.start <= lo and hi <= m.end for m in matches)


def classify_ours(rules: RuleFilter, bp: PortedProfanity, text: str, m: Match) -> str:
    """Why we flag a match that better-profanity does not."""
    span = text[m.start : m.end]
    in_bp = {name for name, _, _, from_bp in rules.entries if from_bp}
    if m.term not in in_bp:
        return "term not in better-profanity's list"
    if bp.contains_profanity(span):
        return "BP misses the word in context (quotes, apostrophes, joined punctuation)"
    if not span.isascii():
        return "obfuscation: Unicode look-alikes / accents / invisible characters"
    if re.search(r"[\s._\-]", span):
        return "obfuscation: letters spaced, dotted or dashed out"
    if re.search(r"[^a-zA-Z]", span):
        return "obfuscation: leet digits / symbols / wildcards beyond BP's substitutions"
    if re.search(r"(.)\1", span.lower()) and not re.search(r"(.)\1", m.term):
        return "obfuscation: repeated letters"
    return "inflection or compound of a listed word"


# ----------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--config", type=Path, default=ROOT / "config")
    parser.add_argument("--sample", type=int, default=300, help="texts timed with better-profanity")
    parser.add_argument("--variants", type=int, default=20_000)
    parser.add_argument("--limit", type=int, default=0, help="use only the first N texts (0: all)")
    parser.add_argument("--examples", type=int, default=4, help="examples per disagreement class")
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    failures: list[str] = []

    start = time.process_time()
    rules = RuleFilter.from_config(args.config)
    build = time.process_time() - start
    print(f"rule filter {rules.version}: {len(rules.entries)} terms, built in {build:.2f} s")

    from better_profanity import profanity

    from moderation.scoring.wordlists import better_profanity_terms

    bp_terms = better_profanity_terms()
    ported = PortedProfanity(bp_terms)

    # -- 3. no term missed (first: it needs no corpus) ----------------------------------------
    print("\n== better-profanity's list: every term found ==")
    missed = []
    for term in bp_terms:
        for text, offset in ((term, 0), (f"well {term} there", 5)):
            if not covers(rules.find(text), text, offset, offset + len(term)):
                missed.append(text)
    print(f"terms: {len(bp_terms)}, written alone and inside a sentence; missed: {len(missed)}")
    for text in missed:
        print(f"  MISSED {text!r}")
    if missed:
        failures.append(f"{len(missed)} better-profanity terms missed")

    variants: list[tuple[str, str]] = []
    while len(variants) < args.variants:
        term = rng.choice(bp_terms)
        variant = random_variant(term, rng)
        if variant != term:
            variants.append((term, variant))
    allowed = set(rules.allowed)
    numbers = [v for _, v in variants if v.replace(" ", "").isdigit()]
    clean = [v for _, v in variants if v in allowed]
    missed_variants = [
        (t, v)
        for t, v in variants
        if not v.replace(" ", "").isdigit()
        and v not in allowed
        and not covers(rules.find(v), v, 0, len(v))
    ]
    print(
        f"random variants (CHARS_MAPPING): {len(variants)}; missed: {len(missed_variants)}; "
        f"deliberately not matched: {len(numbers)} numbers {sorted(set(numbers))[:6]}, "
        f"{len(clean)} allow-listed words {sorted(set(clean))}"
    )
    for term, variant in missed_variants[:50]:
        print(f"  MISSED {variant!r} (variant of {term!r})")
    if missed_variants:
        failures.append(f"{len(missed_variants)} variants missed")

    # -- corpus -------------------------------------------------------------------------------
    if not args.corpus.is_dir():
        print(f"\ncorpus directory {args.corpus} not found: skipping speed and agreement")
        failures += worst_case(args.config, None)
        return _finish(failures)
    labelled = load_texts(args.corpus)
    if args.limit:
        labelled = labelled[: args.limit]
    texts = [t for _, t in labelled]
    if not texts:
        print(f"\nno comment files under {args.corpus}: skipping speed and agreement")
        failures += worst_case(args.config, None)
        return _finish(failures)
    counts = Counter(s for s, _ in labelled)
    mean_len = sum(map(len, texts)) / len(texts)
    print(f"\ncorpus: {len(texts)} texts ({dict(counts)}), mean {mean_len:.0f} chars")

    # -- 1. speed -----------------------------------------------------------------------------
    print("\n== speed ==")
    sample = rng.sample(texts, min(args.sample, len(texts)))
    fresh = RuleFilter.from_config(args.config)
    ours_sample = timed(lambda: [fresh.find(t) for t in sample])
    ours_cold = timed(lambda: [rules.find(t) for t in texts])
    ours_warm = timed(lambda: [rules.find(t) for t in texts])
    bp_time = timed(lambda: [profanity.contains_profanity(t) for t in sample])
    deob = timed(lambda: [rules.deobfuscate(t) for t in texts])
    ported_time = timed(lambda: [ported.contains_profanity(t) for t in texts])
    bp_rate = len(sample) / bp_time
    cold_rate = len(texts) / ours_cold
    ratio = cold_rate / bp_rate
    print(f"better-profanity contains_profanity, {len(sample)} random texts: {bp_rate:,.1f}/s")
    rows = [
        (f"RuleFilter.find, same {len(sample)} texts, fresh filter", len(sample) / ours_sample),
        (f"RuleFilter.find, all {len(texts)} texts, first pass", cold_rate),
        ("RuleFilter.find, all texts, second pass (warm cache)", len(texts) / ours_warm),
        ("RuleFilter.deobfuscate, all texts (warm cache)", len(texts) / deob),
    ]
    for label, rate in rows:
        print(f"{label + ':':56s} {rate:9,.0f}/s")
    print(f"speed ratio (first pass / better-profanity): {ratio:,.0f}x (required >= 100x)")
    print(f"(ported better-profanity used for agreement: {len(texts) / ported_time:,.0f}/s)")
    if ratio < 100:
        failures.append(f"speed ratio {ratio:.0f}x < 100x")
    typical_chars = sum(map(len, sample)) / ours_sample
    print(f"typical chars/s (fresh filter, same {len(sample)} texts): {typical_chars:,.0f}")
    failures += worst_case(args.config, typical_chars)

    # -- 2. agreement -------------------------------------------------------------------------
    print("\n== agreement (ours flags = profanity/attack/hate/threat match, severity >= mild) ==")
    checks = sample + [f"well {t} there" for t in bp_terms]
    port_diff = [t for t in checks if ported.censor(t) != profanity.censor(t)]
    print(
        f"port vs real better-profanity: identical censoring on {len(checks) - len(port_diff)}"
        f"/{len(checks)} texts (the timing sample and every list term in a sentence)"
    )
    for t in port_diff[:5]:
        print(f"  PORT DIFFERS {show(t)}")
    if port_diff:
        failures.append("ported better-profanity differs from the real one")

    results = [rules.find(t) for t in texts]
    bp_flags = [ported.contains_profanity(t) for t in texts]
    ours_flags = [flags(m) for m in results]
    matrix = Counter(zip(bp_flags, ours_flags, strict=True))
    n = len(texts)
    agree = matrix[True, True] + matrix[False, False]
    print(f"both flag:   {matrix[True, True]:6d}")
    print(f"only BP:     {matrix[True, False]:6d}")
    print(f"only ours:   {matrix[False, True]:6d}")
    print(f"neither:     {matrix[False, False]:6d}")
    print(f"agreement:   {agree / n:.1%} of {n}")

    # Only BP: every censored segment must be explained.
    only_bp_reasons: Counter[str] = Counter()
    only_bp_examples: dict[str, list[str]] = defaultdict(list)
    none_terms: Counter[str] = Counter()
    unexplained = 0
    for text, matches, b, o in zip(texts, results, bp_flags, ours_flags, strict=True):
        if not b or o:
            continue
        reasons = set()
        for start, end in ported.censor_spans(text)[1]:
            reason = explain_bp_only(rules, text, matches, start, end, none_terms)
            reasons.add(reason)
            if len(only_bp_examples[reason]) < args.examples:
                only_bp_examples[reason].append(f"{text[start:end]!r} in {show(text, 90)}")
        for reason in reasons:
            only_bp_reasons[reason] += 1
        unexplained += any(r.startswith("UNEXPLAINED") for r in reasons)
    print(f"\nonly BP ({matrix[True, False]} texts), by reason (a text may have several):")
    for reason, count in only_bp_reasons.most_common():
        print(f"  {count:5d}  {reason}")
        for example in only_bp_examples[reason]:
            print(f"           e.g. {example}")
    print(f"  terms we set to severity none, by texts: {dict(none_terms.most_common(40))}")
    if unexplained:
        failures.append(f"{unexplained} better-profanity-only texts unexplained")

    # Only ours: classify each flagging match.
    only_ours: Counter[str] = Counter()
    only_ours_terms: dict[str, Counter[str]] = defaultdict(Counter)
    only_ours_examples: dict[str, list[str]] = defaultdict(list)
    for text, matches, b, o in zip(texts, results, bp_flags, ours_flags, strict=True):
        if b or not o:
            continue
        for m in matches:
            if m.category in FLAG_CATEGORIES and m.severity.rank >= Severity.MILD.rank:
                reason = classify_ours(rules, ported, text, m)
                only_ours[reason] += 1
                only_ours_terms[reason][m.term] += 1
                if len(only_ours_examples[reason]) < args.examples:
                    only_ours_examples[reason].append(
                        f"{text[m.start : m.end]!r} -> {m.term} ({m.category}/{m.severity}) "
                        f"in {show(text, 80)}"
                    )
    print(f"\nonly ours ({matrix[False, True]} texts), flagging matches by reason:")
    for reason, count in only_ours.most_common():
        top = ", ".join(f"{t} {c}" for t, c in only_ours_terms[reason].most_common(12))
        print(f"  {count:5d}  {reason}: {top}")
        for example in only_ours_examples[reason]:
            print(f"           e.g. {example}")

    per_source: defaultdict[str, Counter[tuple[bool, bool]]] = defaultdict(Counter)
    for (source, _), b, o in zip(labelled, bp_flags, ours_flags, strict=True):
        per_source[source][b, o] += 1
    print("\nper source (both / only BP / only ours / neither):")
    for source, c in per_source.items():
        cells = " ".join(
            f"{c[key]:6d}" for key in ((True, True), (True, False), (False, True), (False, False))
        )
        print(f"  {source:12s} {cells}")

    # -- 4. other word lists (audit) ----------------------------------------------------------
    print("\n== coverage of other word lists (a non-spam match in the term, any severity) ==")
    for name, terms in other_lists(args.corpus).items():
        found = [t for t in terms if any(m.category is not Category.SPAM for m in rules.find(t))]
        rest = sorted(set(terms) - set(found))
        print(
            f"{name}: {len(found)}/{len(terms)} found ({len(found) / max(1, len(terms)):.0%}); "
            f"not found e.g. {rest[:15]}"
        )
    return _finish(failures)


def explain_bp_only(
    rules: RuleFilter,
    text: str,
    matches: Sequence[Match],
    start: int,
    end: int,
    none_terms: Counter[str],
) -> str:
    inner = [
        m for m in matches if m.category is not Category.SPAM and m.start < end and start < m.end
    ]
    if inner and all(m.severity is Severity.NONE for m in inner):
        for m in inner:
            none_terms[m.term] += 1
        return "term we set to severity none"
    segment = text[start:end]
    if segment.strip().isdigit():
        return 'a number BP reads as leet ("717" = "tit"): numbers are not words'
    allowed = segment.lower() in rules.allowed
    if allowed or (
        rules.find(segment) and not any(m.start < end and start < m.end for m in matches)
    ):
        return "allow-listed word or phrase (Dick Durbin, cum laude, SPLC, ...)"
    pieces = [p for p in re.split(r"[^\w@$*!]+", segment) if p]
    if len(pieces) > 1 and not flags(rules.find(segment)):
        return (
            'BP joins separate words ("hard on", "a 55 gallon", "he/she"); we join only letters '
            'spelt out one by one and pieces split by ".-_&\'" inside a word'
        )
    return "UNEXPLAINED"


def other_lists(corpus: Path) -> dict[str, list[str]]:
    lists: dict[str, list[str]] = {}
    surge = corpus / "surge_profanity_lexicon" / "profanity_en.csv"
    if surge.exists():
        with surge.open(encoding="utf-8", newline="") as f:
            lists["surge"] = [
                r["text"].strip().lower() for r in csv.DictReader(f) if r["text"].strip()
            ]
    dsojevic = corpus / "dsojevic_profanity_list" / "en.json"
    if dsojevic.exists():
        entries = json.loads(dsojevic.read_text(encoding="utf-8"))
        lists["dsojevic"] = [
            v.strip().lower() for e in entries for v in e["match"].split("|") if v.strip()
        ]
    ldnoobw = corpus / "ldnoobw_en_wordlist" / "en"
    if ldnoobw.exists():
        lines = ldnoobw.read_text(encoding="utf-8").splitlines()
        lists["ldnoobw"] = [line.strip().lower() for line in lines if line.strip()]
    return lists


def _finish(failures: list[str]) -> int:
    print()
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    print(
        "OK: ratio >= 100x, no term or variant missed, every BP-only case explained, "
        "worst case within 10x of typical"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
