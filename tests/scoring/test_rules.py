from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from better_profanity import Profanity
from hypothesis import given, settings
from hypothesis import strategies as st

from moderation.scoring.rules import MATCHER_VERSION, RuleConfigError, RuleFilter, validate_config
from moderation.scoring.rules.match import GUESSED_WINDOWS
from moderation.scoring.types import Category, Match, Severity
from moderation.scoring.wordlists import better_profanity_terms

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config"

# better-profanity's own substitutions, read from the library, for generating variants.
CHARS_MAPPING: dict[str, tuple[str, ...]] = Profanity().CHARS_MAPPING


@pytest.fixture(scope="module")
def rules() -> RuleFilter:
    """The project's real word lists (config/wordlists/*.yaml + better-profanity's list)."""
    return RuleFilter.from_config(CONFIG)


def terms(matches: list[Match]) -> list[Match]:
    return [m for m in matches if m.category is not Category.SPAM]


def found(rules: RuleFilter, text: str) -> list[tuple[str, str]]:
    """(term, matched original text) of every non-spam match."""
    return [(m.term, text[m.start : m.end]) for m in terms(rules.find(text))]


# --- what is caught, and where ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "term", "span"),
    [
        # plain, any case
        ("fuck you", "fuck", "fuck"),
        ("What the FUCK", "fuck", "FUCK"),
        ("this is shit.", "shit", "shit"),
        ("you cunt", "cunt", "cunt"),
        # leet, symbols, wildcards
        ("sh1t happens", "shit", "sh1t"),
        ("$hit!", "shit", "$hit"),
        ("you @ss", "ass", "@ss"),
        ("a$$!", "ass", "a$$"),
        ("b!tch", "bitch", "b!tch"),
        ("5h17", "shit", "5h17"),
        ("f*ck off", "fuck", "f*ck"),
        ("f**k off", "fuck", "f**k"),
        ("F*!k her", "fuck", "F*!k"),
        ("sh#t", "shit", "sh#t"),
        ("b***h", "bitch", "b***h"),
        ("a**hole", "asshole", "a**hole"),
        ("*fuck*", "fuck", "fuck"),
        ("fvck", "fuck", "fvck"),
        ("you 1d10t", "idiot", "1d10t"),
        # repeated letters
        ("fuuuuuck", "fuck", "fuuuuuck"),
        ("shiiiiit", "shit", "shiiiiit"),
        ("asss", "ass", "asss"),
        # look-alikes, invisible characters
        ("ｆｕｃｋ", "fuck", "ｆｕｃｋ"),
        ("fuсk", "fuck", "fuсk"),  # Cyrillic es
        ("𝐟𝐮𝐜𝐤 it", "fuck", "𝐟𝐮𝐜𝐤"),
        ("sh\u200bit", "shit", "sh\u200bit"),
        ("what sh\u00adit\u200b", "shit", "sh\u00adit"),
        ("fück", "fuck", "fück"),
        ("f\u0336u\u0336c\u0336k\u0336", "fuck", "f\u0336u\u0336c\u0336k\u0336"),
        # spelt out
        ("f u c k you", "fuck", "f u c k"),
        ("the s.h.i.t.", "shit", "s.h.i.t"),
        ("f-u-c-k", "fuck", "f-u-c-k"),
        ("f_u_c_k", "fuck", "f_u_c_k"),
        ("F . U . C . K", "fuck", "F . U . C . K"),
        ("you A S S", "ass", "A S S"),
        ("fuc.king hell", "fucking", "fuc.king"),
        ("sh-it", "shit", "sh-it"),
        # multi-word terms
        ("a blow job", "blowjob", "blow job"),
        ("2 girls 1 cup", "2 girls 1 cup", "2 girls 1 cup"),
        ("son of a bitch", "son-of-a-bitch", "son of a bitch"),
        ("go kill yourself", "kill yourself", "kill yourself"),
        # inflections and compounds of strong stems
        ("fucking", "fucking", "fucking"),
        ("fucker", "fucker", "fucker"),
        ("shitty", "shitty", "shitty"),
        ("bitches", "bitches", "bitches"),
        ("motherfucking", "motherfucking", "motherfucking"),
        ("dumbasses", "dumbasses", "dumbasses"),
        ("assholes", "asshole", "assholes"),
        ("morons", "moron", "morons"),
        ("clusterfuck", "fuck", "clusterfuck"),
        ("PieceOfShit", "shit", "PieceOfShit"),
        ("#fuckthis", "fuck", "fuckthis"),
        # extra terms better-profanity lacks
        ("what an idiot", "idiot", "idiot"),
        ("scumbag", "scumbag", "scumbag"),
        ("kys", "kys", "kys"),
    ],
)
def test_catches_with_original_span(rules: RuleFilter, text: str, term: str, span: str) -> None:
    assert (term, span) in found(rules, text)


@pytest.mark.parametrize(
    "text",
    [
        "Scunthorpe United",
        "Sussex, Essex and Middlesex",
        "a cocktail in the cockpit",
        "the peacock and the shuttlecock",
        "my therapist is an analyst",
        "the assassination of a classic passion",
        "a grasshopper on the button",
        "Dickens and Hancock",
        "hello shell",
        "Titanic title competition",
        "Penistone and Cockburn",
        "Dick Cheney and Dick Durbin",
        "Moby Dick",
        "summa cum laude",
        "shiitake mushrooms",
        "he sniggered",
        "a niggardly sum",
        "a swanky hotel",
        "a chink in the armour",
        "tit for tat",
        "spicy cumin",
        "as it is",
        "the pen is mightier",
        "cocky and pricked",
        "e.g. well-known, don't",
        "****",
        "**bold**",
        "I paid $5 at 7:45 for 455 items",
    ],
)
def test_clean_look_alikes_and_allowed_names_pass(rules: RuleFilter, text: str) -> None:
    assert found(rules, text) == []


@pytest.mark.parametrize(
    ("text", "term", "category", "severity"),
    [
        ("gay rights", "gay", Category.HATE, Severity.NONE),
        ("they kill", "kill", Category.THREAT, Severity.NONE),
        ("vodka", "vodka", Category.PROFANITY, Severity.NONE),
        ("stupid", "stupid", Category.ATTACK, Severity.NONE),
        ("moron", "moron", Category.ATTACK, Severity.MILD),
        ("dumbass", "dumbass", Category.ATTACK, Severity.MODERATE),
        ("nigger", "nigger", Category.HATE, Severity.SEVERE),
        ("fuckface", "fuckface", Category.PROFANITY, Severity.STRONG),  # stem's settings
        ("s0b", "s0b", Category.ATTACK, Severity.MODERATE),
    ],
)
def test_category_and_severity_from_config(
    rules: RuleFilter, text: str, term: str, category: Category, severity: Severity
) -> None:
    [match] = terms(rules.find(text))
    assert (match.term, match.category, match.severity) == (term, category, severity)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fuc.king", [("fucking", "fuc.king")]),
        ("ass-hole", [("asshole", "ass-hole")]),  # worse than "ass" alone
        ("bitch's", [("bitch", "bitch")]),  # no worse than "bitch": the word is reported
        ("Shiite and Sunni", []),  # collapses to "shite": allowed
        ("assess the leech", []),  # collapse to "asses", "lech": allowed
        ("the SPLC", []),  # "l" read as "i" would give "spic": allowed
        ("Atwater, saltwater", []),  # "twat" is not a stem
        ("f***ing idiots", [("fuck", "f***ing"), ("idiot", "idiots")]),  # not "fagging"
        ("n****r", []),  # too little known to guess
    ],
)
def test_joins_collapses_and_wildcards(
    rules: RuleFilter, text: str, expected: list[tuple[str, str]]
) -> None:
    assert found(rules, text) == expected


@pytest.mark.parametrize(
    "text", ["Good", "good", "a good idea", "goods", "goodness", "Goode", "goodly", "goodies"]
)
def test_good_is_not_god(rules: RuleFilter, text: str) -> None:
    """A doubled letter is read as evasion only where the word written is not itself a word."""
    assert found(rules, text) == []
    assert "god" not in rules.deobfuscate(text).text.split()


@pytest.mark.parametrize(("text", "span"), [("oh my goood", "goood"), ("oh my god", "god")])
def test_god_spelt_with_more_letters_is_still_god(rules: RuleFilter, text: str, span: str) -> None:
    assert found(rules, text) == [("god", span)]


def test_literal_leet_terms_only_as_written(rules: RuleFilter) -> None:
    assert found(rules, "a sob story") == []
    assert found(rules, "you $0b") == [("s0b", "$0b")]


def test_an_allowed_name_does_not_hide_other_matches(rules: RuleFilter) -> None:
    text = "Dick Cheney is a dick"
    assert [text[m.start : m.end] for m in terms(rules.find(text))] == ["dick"]
    assert terms(rules.find(text))[0].start == 17


def test_matches_are_sorted_and_spans_index_the_original(rules: RuleFilter) -> None:
    text = "ＳＨＩＴ, the f u c k, www.example.com and sh\u200bit!!!!!!!"
    matches = rules.find(text)
    assert [m.start for m in matches] == sorted(m.start for m in matches)
    assert [text[m.start : m.end] for m in matches] == [
        "ＳＨＩＴ",
        "f u c k",
        "www.example.com",
        "sh\u200bit",
        "!!!!!!!",
    ]


# --- better-profanity's list and its generated variants ---------------------------------------


def covered(matches: list[Match], text: str, start: int, end: int) -> bool:
    """A term match covers the written term; "*" at its edges may be left out (a footnote mark
    or emphasis when the word matches without it: "motherfuck*")."""
    while start < end and text[start] == "*":
        start += 1
    while end > start and text[end - 1] == "*":
        end -= 1
    inner = [i for i in range(start, end) if text[i].isalnum() or text[i] in "@$*!+"]
    return any(m.start <= inner[0] and inner[-1] < m.end for m in terms(matches))


def test_every_better_profanity_term_is_found(rules: RuleFilter) -> None:
    missed = []
    for term in better_profanity_terms():
        for text, offset in ((term, 0), (f"so {term.upper()} here", 3)):
            if not covered(rules.find(text), text, offset, offset + len(term)):
                missed.append(text)
    assert missed == []


def variant(term: str, rnd: random.Random) -> str:
    return "".join(rnd.choice(CHARS_MAPPING[c]) if c in CHARS_MAPPING else c for c in term)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(better_profanity_terms()), st.randoms(use_true_random=False))
def test_better_profanity_variants_are_found(
    rules: RuleFilter, term: str, rnd: random.Random
) -> None:
    text = variant(term, rnd)
    if text.replace(" ", "").isdigit() or text in rules.allowed:
        return  # "455" is a number, not "ass"; "splc" an allowed word, not "spic"
    assert covered(rules.find(f"- {text} -"), f"- {text} -", 2, 2 + len(text)), text


# --- spam rules -------------------------------------------------------------------------------


def spam(rules: RuleFilter, text: str) -> list[tuple[str, Severity, str]]:
    return [
        (m.term, m.severity, text[m.start : m.end])
        for m in rules.find(text)
        if m.category is Category.SPAM
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("see https://example.com/a?b=1.", [("link", Severity.NONE, "https://example.com/a?b=1")]),
        ("go to www.example.org now", [("link", Severity.NONE, "www.example.org")]),
        ("visit example.com", [("link", Severity.NONE, "example.com")]),
        (
            "bit.ly/x1",
            [("bit.ly", Severity.MODERATE, "bit.ly/x1"), ("link", Severity.NONE, "bit.ly/x1")],
        ),
        (
            "http://t.co/abc",
            [
                ("link", Severity.NONE, "http://t.co/abc"),
                ("t.co", Severity.MODERATE, "http://t.co/abc"),
            ],
        ),
        ("ｅｘａｍｐｌｅ．ｃｏｍ", [("link", Severity.NONE, "ｅｘａｍｐｌｅ．ｃｏｍ")]),
        ("e.g. node.js, U.S.A., 3.14, mail me@example.com", []),
        ("wow!!!!!!!!", [("repeated-characters", Severity.MILD, "!!!!!!!!")]),
        ("soooooooooo good", [("repeated-characters", Severity.MILD, "oooooooooo")]),
        ("sooo good!!! 1000000", []),
        (
            "THIS IS ABSOLUTELY OUTRAGEOUS!",
            [("capitals", Severity.MILD, "THIS IS ABSOLUTELY OUTRAGEOUS")],
        ),
        ("NASA and the USA and the FBI and NATO and the UN", []),
    ],
)
def test_spam_rules(
    rules: RuleFilter, text: str, expected: list[tuple[str, Severity, str]]
) -> None:
    assert sorted(spam(rules, text)) == sorted(expected)


def test_each_link_is_reported(rules: RuleFilter) -> None:
    text = "a.com b.net http://c.org"
    assert [m.term for m in rules.find(text)] == ["link", "link", "link"]


# --- deobfuscation for the classifier ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("f*ck you", "fuck you"),
        ("sh1t", "shit"),
        ("the f u c k", "the fuck"),
        ("fuuuuck off", "fuck off"),
        ("you 1d10t", "you idiot"),
        ("h3ll0 w0rld", "hello world"),
        ("ｆｕｃｋ", "fuck"),
        ("f**king a**hole", "fucking asshole"),
        ("m0therfuuucker", "motherfucker"),
        ("mp3 and 3rd and 10am", "mp3 and 3rd and 10am"),
        ("Dick Cheney", "dick cheney"),
        ("2 g1rls 1 cup", "2 girls 1 cup"),
        ("sh!t's", "shit's"),
        ("Hello", "hello"),
    ],
)
def test_deobfuscate_text(rules: RuleFilter, text: str, expected: str) -> None:
    assert rules.deobfuscate(text).text == expected


def test_deobfuscate_offsets_point_into_the_original(rules: RuleFilter) -> None:
    text = "Oh f u c k, you 1d10t sh\u200bit"
    n = rules.deobfuscate(text)
    assert n.text == "oh fuck, you idiot shit"
    assert len(n.offsets) == len(n.text) + 1
    for word, original in (("fuck", "f u c k"), ("idiot", "1d10t"), ("shit", "sh\u200bit")):
        start = n.text.index(word)
        a, b = n.original_span(start, start + len(word))
        assert text[a:b] == original


# --- API behaviour ------------------------------------------------------------------------------


def test_find_batch_matches_find(rules: RuleFilter) -> None:
    texts = ["fuck", "clean", "", "sh1t and www.x.com", "ｆｕｃｋ"]
    assert rules.find_batch(texts) == [rules.find(t) for t in texts]


def test_results_do_not_depend_on_cache_state(rules: RuleFilter) -> None:
    texts = ["a sh1t day", "you idiot", "the f u c k", "Scunthorpe", "blow job"] * 3
    fresh = RuleFilter.from_config(CONFIG)
    assert [fresh.find(t) for t in texts] == [rules.find(t) for t in texts]


def test_thread_safe(rules: RuleFilter) -> None:
    texts = [f"text {i} f*ck sh1t idiot{'s' * (i % 3)} clean words {i * 7}" for i in range(400)]
    expected = [rules.find(t) for t in texts]
    shared = RuleFilter.from_config(CONFIG)  # a cold cache, filled by all threads at once
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(shared.find, texts)) == expected


def test_version_is_stable_and_tracks_the_lists(tmp_path: Path, rules: RuleFilter) -> None:
    assert rules.version == RuleFilter.from_config(CONFIG).version
    assert rules.version.startswith(f"rules-{MATCHER_VERSION}+")
    write_config(tmp_path)
    small = RuleFilter.from_config(tmp_path)
    write_config(tmp_path, terms=TERMS.replace("severity: mild", "severity: moderate"))
    assert RuleFilter.from_config(tmp_path).version != small.version


def test_validate_config_accepts_the_project_config() -> None:
    validate_config(CONFIG)


# --- small configurations -----------------------------------------------------------------------

TERMS = """\
better_profanity:
  default: {category: profanity, severity: mild}
groups:
  - about: test
    category: attack
    severity: mild
    inflect: true
    terms: [dolt, nincompoop]
  - category: profanity
    severity: strong
    terms: [fuck, shit, boogerface]
stems: [fuck, shit]
literal: [s0b]
allow: [shiitake, dick cheney]
"""

SPAM = """\
links: {severity: none, tlds: [com, org]}
shorteners: {severity: strong, domains: [bit.ly]}
repeated_characters: {min_run: 4, severity: mild}
capitals: {min_letters: 10, severity: moderate}
"""


def write_config(root: Path, terms: str = TERMS, spam: str = SPAM) -> Path:
    directory = root / "wordlists"
    directory.mkdir(exist_ok=True)
    (directory / "terms.yaml").write_text(textwrap.dedent(terms), encoding="utf-8")
    (directory / "spam.yaml").write_text(textwrap.dedent(spam), encoding="utf-8")
    return root


def test_small_config_is_used(tmp_path: Path) -> None:
    small = RuleFilter.from_config(write_config(tmp_path))
    text = "you dolts, boogerface, shiitake!!!! SHOUTING LOUDLY bit.ly"
    assert [(m.term, m.category, m.severity, text[m.start : m.end]) for m in small.find(text)] == [
        ("dolt", Category.ATTACK, Severity.MILD, "dolts"),
        ("boogerface", Category.PROFANITY, Severity.STRONG, "boogerface"),
        ("repeated-characters", Category.SPAM, Severity.MILD, "!!!!"),
        ("capitals", Category.SPAM, Severity.MODERATE, "SHOUTING LOUDLY"),
        ("bit.ly", Category.SPAM, Severity.STRONG, "bit.ly"),
        ("link", Category.SPAM, Severity.NONE, "bit.ly"),
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace("better_profanity:", "better_profanitee:"), "better_profanitee"),
        (lambda t: t.replace("about: test", "abut: test"), r"groups\[0\]\.abut: unknown key"),
        (
            lambda t: t.replace("severity: mild\n    inflect", "severity: hihg\n    inflect"),
            r"groups\[0\]\.severity: 'hihg' is not one of",
        ),
        (lambda t: t.replace("category: attack", "category: rude"), r"groups\[0\]\.category"),
        (lambda t: t.replace("category: attack", "category: spam"), r"groups\[0\]\.category"),
        (lambda t: t.replace("inflect: true", "inflect: maybe"), r"groups\[0\]\.inflect"),
        (lambda t: t.replace("[dolt, nincompoop]", "[dolt, 7]"), r"groups\[0\]\.terms\[1\]"),
        (lambda t: t.replace("[dolt, nincompoop]", "[]"), r"groups\[0\]\.terms: empty"),
        (
            lambda t: t.replace("boogerface]", "boogerface, dolt]"),
            r"groups\[1\]\.terms\[3\]: 'dolt' is already listed in groups\[0\]",
        ),
        (
            lambda t: t.replace("stems: [fuck, shit]", "stems: [fuck, zorg]"),
            r"stems\[1\]: 'zorg' is not a listed term",
        ),
        (lambda t: t.replace("literal: [s0b]", "literal: [sob]"), r"literal\[0\]"),
        (lambda t: t.replace("allow: [shiitake", "allow: [dolt"), r"allow\[0\]: 'dolt' is itself"),
        (
            lambda t: t.replace(
                "    terms: [fuck, shit, boogerface]",
                "    terms: [fuck, shit, boogerface]\n  - category: profanity\n"
                "    severity: mild\n    terms: [fvck]",
            ),
            r"'fvck' is a spelling of 'fuck'",
        ),
        (lambda t: t.replace("groups:", "groups: 3\nold_groups:"), "groups"),
        (lambda t: t + "\n  - [unclosed", "invalid YAML"),
        (lambda t: "- just\n- a list\n", "expected a mapping at the top level"),
    ],
)
def test_invalid_terms_config_names_the_key(
    tmp_path: Path, change: Callable[[str], str], message: str
) -> None:
    write_config(tmp_path, terms=change(TERMS))
    with pytest.raises(RuleConfigError, match=message) as error:
        RuleFilter.from_config(tmp_path)
    assert "terms.yaml" in str(error.value)
    assert isinstance(error.value, ValueError)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace("min_run: 4", "min_run: 1"), r"repeated_characters\.min_run"),
        (lambda t: t.replace("min_run: 4", "min_run: true"), r"repeated_characters\.min_run"),
        (lambda t: t.replace("min_letters: 10", "min_letterz: 10"), r"capitals\.min_letterz"),
        (lambda t: t.replace("[bit.ly]", "[bit ly]"), r"shorteners\.domains\[0\]"),
        (lambda t: t.replace("tlds: [com, org]", "tlds: []"), r"links\.tlds: empty"),
        (lambda t: t.replace("severity: strong", "severity: awful"), r"shorteners\.severity"),
        (lambda t: t + "emoji: {}\n", "emoji: unknown key"),
        (lambda t: t.replace("links: {severity: none, tlds: [com, org]}\n", ""), "links: missing"),
    ],
)
def test_invalid_spam_config_names_the_key(
    tmp_path: Path, change: Callable[[str], str], message: str
) -> None:
    write_config(tmp_path, spam=change(SPAM))
    with pytest.raises(RuleConfigError, match=message) as error:
        RuleFilter.from_config(tmp_path)
    assert "spam.yaml" in str(error.value)


def test_missing_config_file(tmp_path: Path) -> None:
    write_config(tmp_path)
    (tmp_path / "wordlists" / "spam.yaml").unlink()
    with pytest.raises(RuleConfigError, match=r"spam\.yaml: cannot read"):
        validate_config(tmp_path)


# --- one pass for the pipeline ----------------------------------------------------------------

_PIECES = st.sampled_from(
    ["f*ck", "sh1t", "h3ll0", "Scunthorpe", "f u c k", "ａｓｓ", "idiot", "http://x.co/a", "é", " "]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=12), _PIECES), max_size=8).map("".join))
def test_analyze_is_find_and_deobfuscate_in_one_pass(rules: RuleFilter, text: str) -> None:
    found, normalized = rules.analyze(text)
    assert found == rules.find(text)
    expected = rules.deobfuscate(text)
    assert (normalized.text, list(normalized.offsets)) == (
        expected.text,
        list(expected.offsets),
    )


def test_same_output_whatever_the_hash_seed() -> None:
    """Two readings of one span ("god-damned": "goddamned" or "god damned") resolve the same way
    in every process: the classifier is trained on this output, so retraining must see it too."""
    script = (
        "from pathlib import Path\n"
        "from moderation.scoring.rules import RuleFilter\n"
        "r = RuleFilter.from_config(Path('config'))\n"
        "text = 'that god-damned F-ing bus, the doggy-style manuever'\n"
        "print(repr((r.deobfuscate(text).text, r.find(text))))\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in range(8)
    }
    assert len(outputs) == 1, outputs
    assert "goddamned" in next(iter(outputs))


# --- bounded work on adversarial text ----------------------------------------------------------

#: Work (characters examined, ``RuleFilter.work``) allowed per character of text. Ordinary and
#: adversarial texts stay under ~30; the old join scan did O(n^2) windows of O(n) characters.
WORK_PER_CHAR = 100
#: Per text, up to ``GUESSED_WINDOWS`` windows with hidden letters are matched by a wildcard
#: search of a few dozen characters each: a constant, not a re-scan. A 32- to 70-character token
#: of separators and leet ("e&!'1&1&" x 5) spends much of that budget at once (about 7,000).
WORK_FLOOR = 2_000 + 40 * GUESSED_WINDOWS

_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_LEET = "aeiou01345@$!*#|+lfcksht"
_HOMOGLYPHS = "асеорхуіѕԁɡᴋʟսᴜꜰ"
_SEPARATORS = [".", "-", "_", "&", "'", " ", ". ", " - ", "\u2019", ""]


@st.composite
def adversarial_texts(draw: st.DrawFn) -> str:
    """Up to 10,000 characters built to make the matcher re-scan: repeated separators ("f.u."),
    letters alternating with punctuation, runs of look-alikes, leet and wildcards, spaced
    letters, one long token."""
    alphabet = draw(st.sampled_from([_LETTERS, "fuckshitas", _LEET, _HOMOGLYPHS, "ua"]))
    length = draw(st.sampled_from([50, 400, 2_000, 10_000]))
    kind = draw(st.sampled_from(["repeat", "alternate", "run"]))
    if kind == "repeat":
        unit = draw(
            st.lists(
                st.tuples(st.sampled_from(alphabet), st.sampled_from(_SEPARATORS)),
                min_size=1,
                max_size=4,
            )
        )
        piece = "".join(a + b for a, b in unit)
        return (piece * (length // len(piece) + 1))[:length]
    if kind == "alternate":
        seed = draw(st.integers(0, 2**32 - 1))
        rng = random.Random(seed)
        separators = draw(st.sampled_from([_SEPARATORS, [".", "-"], [" "]]))
        return "".join(rng.choice(alphabet) + rng.choice(separators) for _ in range(length // 2))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = random.Random(seed)
    return "".join(rng.choice(alphabet) for _ in range(length))


@settings(max_examples=60, deadline=None)
@given(text=adversarial_texts())
def test_work_is_linear_in_text_length(rules: RuleFilter, text: str) -> None:
    """The work done, not the time taken, is bounded: no input makes the filter re-scan."""
    before = rules.work
    rules.find(text)
    assert rules.work - before <= WORK_PER_CHAR * len(text) + WORK_FLOOR


@pytest.mark.parametrize(
    "text",
    [
        "f.u." * 700,  # the reported stall: 2,800 characters took about 67 s
        "f.u." * 2_500,
        "a-b-c-" * 1_700,
        "sh.it." * 1_700,
        "f*&k&" * 2_000,
        "f u c k " * 1_250,
        "fսсk" * 2_500,
        "é" * 10_000,
        "a." * 5_000,
        # Pieces that each spell a term of one letter's skeleton ("kkk", "xxx"): every window
        # of them spells it again and was matched, to be refused as no worse than its pieces.
        "kkk&k_" * 1_700,
        "kkk." * 2_500,
        "xxx&xx_" * 1_450,
    ],
)
def test_reported_stalls_are_bounded(rules: RuleFilter, text: str) -> None:
    before = rules.work
    rules.find(text)
    assert rules.work - before <= WORK_PER_CHAR * len(text) + WORK_FLOOR


def test_joins_are_still_found_in_long_runs(rules: RuleFilter) -> None:
    text = "f.u." * 700 + "sh.it and f.u.c.k"
    spans = [text[m.start : m.end] for m in terms(rules.find(text))]
    assert "sh.it" in spans
    assert "f.u.c.k" in spans


def test_joins_no_worse_than_their_pieces_stay_refused_in_long_runs(rules: RuleFilter) -> None:
    """Windows skipped unmatched are those a match would be refused for: "k.k.k" is still
    "kkk" (its pieces are nothing alone), "kkk&k" is only its piece "kkk"."""
    text = "kkk&k_" * 1_700 + " so k.k.k and sh.it"
    spans = found(rules, text)
    assert spans.count(("kkk", "kkk")) == 1_700
    assert spans[-2:] == [("kkk", "k.k.k"), ("shit", "sh.it")]
    assert len(spans) == 1_702
