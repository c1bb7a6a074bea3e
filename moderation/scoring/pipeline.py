"""The scoring pipeline: rule filter + trained classifier → :class:`ScoreResult`. Pure.

One pipeline is built per process, lazily (:func:`get_pipeline`): the rule filter compiles its
word lists and the classifier artefact is read from ``models/`` on first use, never at import.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from moderation.scoring.classifier import Classifier, default_model_path
from moderation.scoring.group_frames import GroupFrames
from moderation.scoring.language import detect_language
from moderation.scoring.language import warm_up as load_language_model
from moderation.scoring.names import SiteAllowList
from moderation.scoring.patterns import PatternFilter
from moderation.scoring.rules import RuleFilter
from moderation.scoring.rules.languages import LanguageLists
from moderation.scoring.site_model import Model, SiteModelStore
from moderation.scoring.threat_frames import ThreatFrames
from moderation.scoring.threat_target import ThreatTargets
from moderation.scoring.types import CATEGORIES, Category, Evidence, ScoreResult

log = logging.getLogger(__name__)


#: Harmless comments in the service's usual languages, scored by :meth:`Pipeline.warm_up`.
WARM_UP_TEXTS = (
    "Thank you for the article and for the photographs from Stepanakert.",
    "Спасибо за статью, очень интересно.",
    "Շնորհակալություն հոդվածի համար",
    "Məqalə üçün təşəkkür edirəm.",
)


class Pipeline:
    """Scores texts. Thread-safe once built; holds no per-request state."""

    def __init__(
        self,
        rules: RuleFilter,
        patterns: PatternFilter,
        classifier: Classifier | None,
        site_models: SiteModelStore | None = None,
        languages: LanguageLists | None = None,
        targets: ThreatTargets | None = None,
        frames: ThreatFrames | None = None,
        groups: GroupFrames | None = None,
    ) -> None:
        self.rules = rules
        self.languages = languages if languages is not None else LanguageLists.empty()
        self.patterns = patterns
        self.classifier = classifier
        self.site_models = site_models
        # Violent words aimed at no person (hyperbole): a match the policy caps threat by.
        self.targets = targets
        # Threats read from what a comment puts together (target, harm, intent...): a rule
        # match after the model, never a classifier feature.
        self.frames = frames
        # Hate read from a group and a negative essential predicate in one clause: the same.
        self.groups = groups
        versions = {"rules": rules.version, "patterns": patterns.version}
        if self.languages.languages:  # the other languages' word lists
            versions["language_rules"] = self.languages.version
        if targets is not None:
            versions["targets"] = targets.version
        if frames is not None:
            versions["frames"] = frames.version
        if groups is not None:
            versions["groups"] = groups.version
        if classifier is not None:
            versions["model"] = classifier.version
        self.versions = versions

    def warm_up(self) -> None:
        """Score :data:`WARM_UP_TEXTS` once, explaining every category, so that what the
        first comments would load lazily (scipy's sparse matrices, which a batch of two or
        more texts uses: ~0.1 s; each script's word lists; the explanation path) is loaded
        before a worker takes its first batch, not while that batch waits."""
        self.score_batch(WARM_UP_TEXTS, dict.fromkeys(CATEGORIES, 0.0))

    def score(
        self,
        text: str,
        explain_above: Mapping[Category, float] | None = None,
        *,
        site: str | None = None,
        allow: SiteAllowList | None = None,
    ) -> ScoreResult:
        return self.score_batch([text], explain_above, site=site, allow=allow)[0]

    def model_for(self, site: str | None) -> Model | None:
        """The site's promoted model, else the general model (``None``: rules only)."""
        if site is not None and self.site_models is not None and self.classifier is not None:
            found = self.site_models.model_for(site, self.classifier)
            if found is not None:
                return found
        return self.classifier

    def shadow_scores(
        self, text: str, site: str, allow: SiteAllowList | None = None
    ) -> tuple[str, dict[Category, float]] | None:
        """(version, scores) of the site's shadow model for ``text``, or ``None`` when the
        site runs none. A shadow model scores live traffic but decides nothing."""
        if self.site_models is None or self.classifier is None:
            return None
        shadow = self.site_models.shadow_model_for(site, self.classifier)
        if shadow is None:
            return None
        [(found, norm)] = self.rules.analyze_batch([text], allow)
        [probs] = shadow.predict_batch([norm], matches=[self.rules.for_classifier(found)])
        return shadow.version, {c: float(probs.get(c, 0.0)) for c in CATEGORIES}

    def score_batch(
        self,
        texts: Sequence[str],
        explain_above: Mapping[Category, float] | None = None,
        *,
        site: str | None = None,
        allow: SiteAllowList | None = None,
    ) -> list[ScoreResult]:
        """Score many texts at once (the classifier vectorises the batch in one call).

        ``explain_above`` maps a category to the model score from which its evidence spans
        are computed (normally the policy's hold threshold); ``None`` explains nothing.
        ``site`` picks the site's promoted model (versions gain ``site_model``); ``allow`` is
        the site's allow-list of names (versions gain ``allowlist`` when it has entries).
        """
        analyzed = self.rules.analyze_batch(texts, allow)
        word_matches = [found for found, _ in analyzed]
        normalized = [norm for _, norm in analyzed]
        model = self.model_for(site)
        versions = self.versions
        if model is not None and model is not self.classifier:
            versions = {**versions, "site_model": model.version}
        if allow is not None and allow.version is not None:
            versions = {**versions, "allowlist": allow.version}
        if model is None:
            predictions: list[dict[Category, float]] = [dict.fromkeys(CATEGORIES, 0.0)] * len(texts)
        else:
            # The model was trained with the word-list hits as features: pass them (as the
            # model knows them: terms.yaml `classifier_features`).
            features = [self.rules.for_classifier(found) for found in word_matches]
            predictions = model.predict_batch(normalized, matches=features)
        results = []
        for text, norm, found, probs in zip(
            texts, normalized, word_matches, predictions, strict=True
        ):
            scores = {c: float(probs.get(c, 0.0)) for c in CATEGORIES}
            phrases = self.patterns.find(norm, found)
            language = detect_language(text)
            # A language of its own is read with its own word list (config/wordlists/lang/).
            foreign = self.languages.find(text, language.code) if language.code != "en" else ()
            framed = self.frames.find(norm, text) if self.frames else []
            grouped = self.groups.find(norm) if self.groups else []
            if grouped:
                framed = [*framed, *self.patterns.lower_reported(norm, grouped)]
            matches = sorted([*found, *phrases, *foreign, *framed], key=lambda m: (m.start, m.end))
            untargeted = self.targets.check(norm, text, matches) if self.targets else None
            if untargeted is not None:
                matches = sorted([*matches, untargeted], key=lambda m: (m.start, m.end))
            evidence: list[Evidence] = []
            if explain_above and model is not None:
                wanted = [c for c, floor in explain_above.items() if scores.get(c, 0.0) >= floor]
                if wanted:
                    evidence = model.explain(norm, wanted)
            results.append(
                ScoreResult(
                    scores=scores,
                    matches=tuple(matches),
                    explanations=tuple(evidence),
                    versions=versions,
                    language=language,
                )
            )
        return results


_lock = threading.Lock()
_cache: dict[tuple[Path, Path, Path | None], Pipeline] = {}

_compiled_lock = threading.Lock()
#: The most recently compiled configurations, by directory and content (at most two).
_compiled: dict[tuple[Path, str], tuple[RuleFilter, PatternFilter, LanguageLists]] = {}


def compile_rules(config_dir: Path) -> tuple[RuleFilter, PatternFilter, LanguageLists]:
    """The word lists, patterns and other languages' lists of ``config_dir``, compiled once
    per process for the same files. The app's start-up check compiles them; a process that
    then builds its pipeline reuses them, and so do a worker's pool processes, which are
    forked after the check (a second compilation was about a second of each one's start).
    Raises :class:`~moderation.scoring.rules.RuleConfigError` naming what is invalid."""
    key = (config_dir.resolve(), _fingerprint(config_dir))
    with _compiled_lock:
        parts = _compiled.get(key)
        if parts is None:
            parts = (
                RuleFilter.from_config(config_dir),
                PatternFilter.from_config(config_dir),
                LanguageLists.from_config(config_dir),
            )
            while len(_compiled) >= 2:  # the oldest out: tests build many configurations
                del _compiled[next(iter(_compiled))]
            _compiled[key] = parts
        return parts


def _fingerprint(config_dir: Path) -> str:
    """A digest of every file under ``config_dir`` (names and contents)."""
    digest = hashlib.sha256()
    if config_dir.is_dir():
        for path in sorted(p for p in config_dir.rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(config_dir)).encode("utf-8", "surrogateescape"))
            digest.update(b"\0")
            digest.update(path.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()


def build_pipeline(
    config_dir: Path, models_dir: Path, site_models_dir: Path | None = None
) -> Pipeline:
    """Compile the rules (every language's), load the language detector's model and the
    newest classifier in ``models_dir`` (rules only if none);
    sites' promoted models are read from ``site_models_dir`` when they are first scored."""
    rules, patterns, languages = compile_rules(config_dir)
    load_language_model()  # py3langid's model (about 3 s to read): here, not on a comment
    targets = ThreatTargets.from_config(config_dir)
    frames = ThreatFrames.from_config(config_dir)
    groups = GroupFrames.from_config(config_dir)
    model_path = default_model_path(models_dir)
    classifier = Classifier.load(model_path) if model_path is not None else None
    if classifier is None:
        log.warning("no classifier artefact in %s: scoring with rules only", models_dir)
    store = SiteModelStore(site_models_dir) if site_models_dir is not None else None
    return Pipeline(
        rules,
        patterns,
        classifier,
        store,
        languages=languages,
        targets=targets,
        frames=frames,
        groups=groups,
    )


def get_pipeline(
    config_dir: Path, models_dir: Path, site_models_dir: Path | None = None
) -> Pipeline:
    """The process-wide pipeline for these directories, built on first use."""
    key = (
        config_dir.resolve(),
        models_dir.resolve(),
        site_models_dir.resolve() if site_models_dir is not None else None,
    )
    with _lock:
        pipeline = _cache.get(key)
        if pipeline is None:
            pipeline = _cache[key] = build_pipeline(config_dir, models_dir, site_models_dir)
        return pipeline
