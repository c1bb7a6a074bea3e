# ruff: noqa: RUF001, RUF002  (letters of other scripts are this module's subject)
"""Which language a comment is written in. Pure: no Flask, no database, no I/O at import.

The scorers only read English, so a comment in another language must be recognised rather
than scored near zero and published. :func:`detect_language` combines three readings:

1. **Script.** The letters' Unicode script decides most non-Latin text outright: Armenian
   letters are Armenian (``hy``), Georgian ``ka``, Greek ``el``... Cyrillic is ``ru`` unless
   letters only Ukrainian, Belarusian or Kazakh use say otherwise (or, for a long text, the
   model is sure of Bulgarian, Macedonian or Serbian). Cyrillic made only of letters that
   look Latin ("уоu аrе") is an English spelling trick, not Russian: it reads as Latin.
2. **Transliteration.** Armenian, Russian and Azerbaijani are often typed in Latin letters
   ("ty durak", "ara inch es anum", "sen axmaqsan"). A short list of common words of each
   (function words, everyday verbs and insults; never names of people or places) is
   counted; at least two such words, outnumbering the English function words, mark the
   text as that language. Proper names alone ("Pashinyan met Aliyev in Stepanakert") never
   do.
3. **The model.** py3langid (BSD-3-Clause; its naive-Bayes model ships inside the package,
   4.5 MB, about 0.1 ms a comment) is loaded lazily once per process. On Latin text it is
   trusted only when the text is long enough, carries few English function words, and the
   model is near-certain; short or uncertain text stays English. Azerbaijani's "ə" decides
   ``az`` at once.

The bias is deliberate: an English comment wrongly called foreign would be held for no
reason, so everything uncertain is English (or ``und`` when there are no letters at all).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

__all__ = [
    "UNDETERMINED",
    "Language",
    "detect_language",
    "language_name",
    "warm_up",
]

#: Code recorded for a text with no letters (emoji, numbers, links only).
UNDETERMINED = "und"

#: English names of the languages this module can name (ISO 639-1 -> name).
_NAMES: dict[str, str] = {
    "af": "Afrikaans", "ar": "Arabic", "az": "Azerbaijani", "be": "Belarusian",
    "bg": "Bulgarian", "bn": "Bengali", "ca": "Catalan", "cs": "Czech", "cy": "Welsh",
    "da": "Danish", "de": "German", "el": "Greek", "en": "English", "eo": "Esperanto",
    "es": "Spanish", "et": "Estonian", "eu": "Basque", "fa": "Persian", "fi": "Finnish",
    "fr": "French", "ga": "Irish", "gl": "Galician", "gu": "Gujarati", "he": "Hebrew",
    "hi": "Hindi", "hr": "Croatian", "hu": "Hungarian", "hy": "Armenian",
    "id": "Indonesian", "is": "Icelandic", "it": "Italian", "ja": "Japanese",
    "ka": "Georgian", "kk": "Kazakh", "km": "Khmer", "kn": "Kannada", "ko": "Korean",
    "ku": "Kurdish", "ky": "Kyrgyz", "la": "Latin", "lo": "Lao", "lt": "Lithuanian",
    "lv": "Latvian", "mk": "Macedonian", "ml": "Malayalam", "mn": "Mongolian",
    "mr": "Marathi", "ms": "Malay", "mt": "Maltese", "my": "Burmese", "ne": "Nepali",
    "nl": "Dutch", "no": "Norwegian", "pa": "Punjabi", "pl": "Polish", "ps": "Pashto",
    "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "si": "Sinhala", "sk": "Slovak",
    "sl": "Slovenian", "sq": "Albanian", "sr": "Serbian", "sv": "Swedish", "sw": "Swahili",
    "ta": "Tamil", "te": "Telugu", "tg": "Tajik", "th": "Thai", "tl": "Tagalog",
    "tr": "Turkish", "tt": "Tatar", "uk": "Ukrainian", "ur": "Urdu", "uz": "Uzbek",
    "vi": "Vietnamese", "yi": "Yiddish", "zh": "Chinese", UNDETERMINED: "undetermined",
}  # fmt: skip


def language_name(code: str) -> str:
    """English name of an ISO 639-1 code ("ru" -> "Russian"); the code itself if unknown."""
    return _NAMES.get(code, code)


@dataclass(frozen=True, slots=True)
class Language:
    """A comment's language.

    ``code`` is ISO 639-1 (``und`` when there are no letters); ``confidence`` in [0, 1];
    ``script`` the ISO 15924 code of the letters it is written in (``Latn``, ``Cyrl``,
    ``Armn``...; ``Latn`` for transliterated text); ``method`` says which reading decided:
    ``script``, ``transliteration``, ``model`` or ``default`` (uncertain: English).
    """

    code: str
    confidence: float
    script: str
    method: str

    @property
    def name(self) -> str:
        return language_name(self.code)

    @property
    def transliterated(self) -> bool:
        return self.method == "transliteration"

    def describe(self) -> str:
        """ "Russian (ru)", "Armenian (hy, in Latin letters)"."""
        where = ", in Latin letters" if self.transliterated else ""
        return f"{self.name} ({self.code}{where})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "confidence": round(self.confidence, 4),
            "script": self.script,
            "method": self.method,
        }


# --- scripts ---------------------------------------------------------------------------

# Unicode name prefix -> ISO 15924 script.
_SCRIPT_PREFIXES: tuple[tuple[str, str], ...] = (
    ("LATIN", "Latn"), ("CYRILLIC", "Cyrl"), ("ARMENIAN", "Armn"), ("GREEK", "Grek"),
    ("GEORGIAN", "Geor"), ("HEBREW", "Hebr"), ("ARABIC", "Arab"), ("DEVANAGARI", "Deva"),
    ("BENGALI", "Beng"), ("GURMUKHI", "Guru"), ("GUJARATI", "Gujr"), ("TAMIL", "Taml"),
    ("TELUGU", "Telu"), ("KANNADA", "Knda"), ("MALAYALAM", "Mlym"), ("SINHALA", "Sinh"),
    ("THAI", "Thai"), ("LAO", "Laoo"), ("KHMER", "Khmr"), ("MYANMAR", "Mymr"),
    ("HANGUL", "Hang"), ("HIRAGANA", "Jpan"), ("KATAKANA", "Jpan"), ("CJK", "Hani"),
)  # fmt: skip

# Script -> (language when nothing else says, candidates the model may choose among).
_SCRIPT_LANGUAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "Armn": ("hy", ()),
    "Geor": ("ka", ()),
    "Grek": ("el", ()),
    "Hebr": ("he", ("he", "yi")),
    "Arab": ("ar", ("ar", "fa", "ur", "ps", "ku")),
    "Deva": ("hi", ("hi", "mr", "ne")),
    "Beng": ("bn", ()),
    "Guru": ("pa", ()),
    "Gujr": ("gu", ()),
    "Taml": ("ta", ()),
    "Telu": ("te", ()),
    "Knda": ("kn", ()),
    "Mlym": ("ml", ()),
    "Sinh": ("si", ()),
    "Thai": ("th", ()),
    "Laoo": ("lo", ()),
    "Khmr": ("km", ()),
    "Mymr": ("my", ()),
    "Hang": ("ko", ()),
    "Jpan": ("ja", ()),
    "Hani": ("zh", ()),
}

# Cyrillic letters that look like Latin ones (the normaliser folds them for the rule filter).
_CYRILLIC_LOOKALIKES = frozenset("аввеёзкмнопрстухьѕіјԁԛԝһӏүғ")
_CYRILLIC_CANDIDATES = ("ru", "uk", "be", "bg", "mk", "sr", "kk", "ky", "mn", "tg", "tt")

_script_cache: dict[str, str | None] = {}


def _script_of(char: str) -> str | None:
    found = _script_cache.get(char)
    if found is not None or char in _script_cache:
        return found
    name = unicodedata.name(char, "")
    script = next((s for prefix, s in _SCRIPT_PREFIXES if name.startswith(prefix)), "Zyyy")
    if len(_script_cache) < 20_000:
        _script_cache[char] = script
    return script


def _letter_scripts(text: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for char in text:
        if char.isalpha():
            counts[_script_of(char) or "Zyyy"] += 1
    return counts


# --- transliteration ---------------------------------------------------------------------


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Common words of each language typed in Latin letters: function words, everyday verbs,
# greetings and insults. No names of people or places (those appear in English comments
# about the region), and no word that is also common English.
_TRANSLIT: dict[str, frozenset[str]] = {
    "ru": _wordset(
        """
        ty tebya tebe toboy menya mne vy vas vam oni eto etot chto shto kak nash nasha
        nashe nashi vash vasha tvoi tvoy tvoya tvoyu svoi svoy moy moya moi yeyo
        vot tak zdes gde kogda pochemu potomu ochen khorosho horosho plokho ploho
        nado mozhno nelzya budet budesh byl byla bylo byli yest esli chtoby tolko uzhe eshche
        eshe vse vsyo vsem vsegda nikogda nichego nikto kto ili ponyal znaesh znayu dumayu
        govoryu skazal khochu hochu mozhet mogu sovsem voobshche voobshe davai davay privet
        spasibo pozhaluysta poshel poshol idi zatknis sdohni ubyu bratan blin
        durak dura debil suka suki blyat blyad blya pizdec pizdets pizda khuy khui hui huy
        nahui nakhuy nahuy nakhui mudak mudilo gavno govno zhopa pidor pidar pidoras svoloch
        urod tvar kozel chmo ublyudok tupoy tupaya khokhly khokhol russkiy russkie armyane
        vrag vragi
        """
    ),
    "hy": _wordset(
        """
        inch inchi inchu inchpes inchqan vor vori voronq ches chem chen chka chkar
        aper axper akhper aveli shat lav hayer dzez dzer indz kez qez mez
        menq duq nra ayo voch hima heto ete bayc baits ushadir karas karam piti petq petk
        uzum uzes kuzes gites gitem asum anum anes gnum gnacir galis tesnum tesar mernem
        qo qu txa txek txeq axchik aghchik lracu lrru
        anasun esh txmar tkhmar ishu qaq kaq kyart klir boz bozi tsits
        """
    ),
    "az": _wordset(
        """
        sen biz siz onlar niye nece neye var yox yoxdu yoxdur deyil deyilsen
        axmaq axmaqsan axmagsan qardash qardas salam sagol sagolun cox yaxsi yaxshi
        getdi gedir gedirsen olar olsun edir eliyir gorum bilirsen bilmirem istemirem
        dedi deyir gozel heyvan eshshek esshek donuz qehbe gijdillax peyser kopek oglu
        dayi hele amma ucun kimi burdan bura orda burda gedin ermeni ermeniler torpaq
        bizim sizin onun mene sene olub edib olmaz
        """
    ),
}

# Links, addresses, handles and hashtags: not words of any language ("www.fast-money.net").
_NOT_WORDS = re.compile(r"\S*(?:://|www\.|@)\S*|#\w+|\S*\w\.[^\W\d_]{2,}\S*")

# English function words: their share of a Latin text is what keeps it English.
_ENGLISH = _wordset(
    """
    a an the and or but if then than so as of in on at to for from by with about into over
    after before under between through during without against among is are was were be
    been being am do does did done have has had having will would shall should can could
    may might must not no yes i me my mine we us our you your yours he him his she her it
    its they them their this that these those what which who whom whose where when why how
    all any both each few more most other some such only own same too very just there here
    up down out off again once also even still because while until get got like know think
    say said one two people time good bad well really never always
    """
)

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+)$")

#: Latin texts with fewer words than this are never given to the model: it guesses at them.
MODEL_MIN_WORDS = 5
#: The model must give a non-English language at least this probability on Latin text...
MODEL_MIN_CONFIDENCE = 0.97
#: ...and English function words must be at most this share of the words.
MODEL_MAX_ENGLISH_SHARE = 0.12
#: Transliteration needs at least this many of a language's common words.
TRANSLIT_MIN_WORDS = 2


def _words(text: str) -> list[tuple[str, bool]]:
    """(lower-cased word, counts-for-transliteration) pairs.

    A capitalised word inside a sentence is taken for a name and never counts as a
    transliterated word ("Nash equilibrium", "Ara said"); at the start of a sentence it does.
    """
    text = _NOT_WORDS.sub(" ", text)
    out = []
    for match in _WORD.finditer(text):
        word = match.group()
        lowered = word.lower()
        name_like = word[:1].isupper() and not _SENTENCE_START.search(text[: match.start()])
        out.append((lowered, not name_like))
    return out


def _transliterated(words: Sequence[tuple[str, bool]]) -> tuple[str, int, int] | None:
    """(language, its words, English function words) when a transliteration wins."""
    english = sum(1 for word, _ in words if word in _ENGLISH)
    best: tuple[str, int] | None = None
    for code, lexicon in _TRANSLIT.items():
        hits = sum(1 for word, counts in words if counts and word in lexicon)
        if best is None or hits > best[1]:
            best = (code, hits)
    if best is None or best[1] < TRANSLIT_MIN_WORDS or best[1] <= english:
        return None
    return best[0], best[1], english


# --- the model ---------------------------------------------------------------------------

_model_lock = threading.Lock()
_identifier: LanguageIdentifier | None = None


def _model() -> LanguageIdentifier:
    """py3langid's identifier, read from the package's own data on first use and stored
    compactly (:mod:`.language_model`: the same answers in 26 MB less)."""
    global _identifier
    with _model_lock:
        if _identifier is None:
            from moderation.scoring.language_model import load_compact_identifier

            _identifier = load_compact_identifier()
        return _identifier


def warm_up() -> None:
    """Load the model now (a worker calls it before taking work, so no comment waits)."""
    _model()


def _rank(text: str, candidates: Sequence[str] = ()) -> list[tuple[str, float]]:
    """The model's languages for ``text``, best first, renormalised over ``candidates``."""
    ranked: list[tuple[str, float]] = _model().rank(text)
    if candidates:
        wanted = set(candidates)
        ranked = [(code, p) for code, p in ranked if code in wanted]
        total = sum(p for _, p in ranked) or 1.0
        ranked = [(code, p / total) for code, p in ranked]
    return ranked


# --- detection ---------------------------------------------------------------------------


def _cyrillic(text: str, letters: int) -> Language:
    lowered = text.lower()
    present = set(lowered)
    if present & set("їєґ") or ("і" in present and not present & set("ыэъё")):
        return Language("uk", 0.9, "Cyrl", "script")
    if "ў" in present:
        return Language("be", 0.9, "Cyrl", "script")
    if present & set("әғқңөұһ"):
        return Language("kk", 0.8, "Cyrl", "script")
    if letters >= 20:
        code, p = _rank(text, _CYRILLIC_CANDIDATES)[0]
        if code in ("bg", "mk", "sr") and p >= 0.9:
            return Language(code, p, "Cyrl", "model")
        ru = dict(_rank(text, _CYRILLIC_CANDIDATES)).get("ru", 0.0)
        return Language("ru", max(ru, 0.6), "Cyrl", "script")
    return Language("ru", 0.6, "Cyrl", "script")


def _latin(text: str) -> Language:
    if "ə" in text.lower():
        return Language("az", 0.95, "Latn", "script")
    text = _NOT_WORDS.sub(" ", text)  # links and handles say nothing of the language
    words = _words(text)
    translit = _transliterated(words)
    if translit is not None:
        code, hits, english = translit
        confidence = hits / (hits + english + 1)
        return Language(code, round(confidence, 4), "Latn", "transliteration")
    english = sum(1 for word, _ in words if word in _ENGLISH)
    if len(words) >= MODEL_MIN_WORDS and english <= MODEL_MAX_ENGLISH_SHARE * len(words):
        ranked = _rank(text)
        code, p = ranked[0]
        if code != "en" and p >= MODEL_MIN_CONFIDENCE and len(code) == 2:
            return Language(code, round(p, 4), "Latn", "model")
    return Language("en", 1.0 if english else 0.5, "Latn", "default")


def detect_language(text: str) -> Language:
    """The language ``text`` is written in; English whenever that is uncertain."""
    text = unicodedata.normalize("NFKC", text)
    scripts = _letter_scripts(text)
    letters = sum(scripts.values())
    if not letters:
        return Language(UNDETERMINED, 0.0, "Zyyy", "default")
    script, count = scripts.most_common(1)[0]
    if script == "Latn" or count * 2 < letters:
        return _latin(text)
    if script == "Cyrl":
        cyrillic = [c for c in text.lower() if _script_of(c) == "Cyrl" and c.isalpha()]
        if all(c in _CYRILLIC_LOOKALIKES for c in cyrillic) and scripts["Latn"]:
            return _latin(text)  # Latin spelled with look-alike letters: an English trick
        return _cyrillic(text, count)
    default, candidates = _SCRIPT_LANGUAGES.get(script, (UNDETERMINED, ()))
    if len(candidates) > 1 and count >= 10:
        code, p = _rank(text, candidates)[0]
        if p >= 0.8:
            return Language(code, round(p, 4), script, "model")
    return Language(default, 0.9, script, "script")
