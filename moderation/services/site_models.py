"""Training a site's model from its labels and running the promotion gate.

The candidate is fitted on the site's labels except the most recent
``HOLDOUT_FRACTION`` (held out by time, not at random); it is promoted only when it beats the
live model (the site's promoted model, or the general one) on those held-out labels and does
not lose more than ``SHARED_TOLERANCE`` AUC on any shared evaluation set. Every outcome is
kept (a refused candidate's card records why) and audited.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from moderation.extensions import db
from moderation.policy.loader import PolicySet
from moderation.policy.schema import Policy
from moderation.scoring.pipeline import Pipeline
from moderation.scoring.site_model import SiteModel, SiteModelError, SiteModelStore
from moderation.services import audit, events, labels
from moderation.tables import Site, SiteLabel
from moderation.training import site as trainer

log = logging.getLogger(__name__)

#: A site needs at least this many labels before a model is fitted.
MIN_LABELS = 50


@dataclass(frozen=True)
class SharedSet:
    name: str
    texts: list[str]
    y: np.ndarray


def shared_sets(folder: Path) -> list[SharedSet]:
    """The ``*.jsonl`` sets of ``folder`` (``{"text", "label": "clean"|"violation"}`` lines).

    Raises :class:`SiteModelError` naming a file and line that cannot be read.
    """
    sets = []
    for path in sorted(Path(folder).glob("*.jsonl")):
        texts: list[str] = []
        ys: list[int] = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                text, label = item["text"], item["label"]
            except (ValueError, KeyError, TypeError):
                raise SiteModelError(f"{path}:{number}: not a {{text, label}} line") from None
            if label not in ("clean", "violation") or not isinstance(text, str):
                raise SiteModelError(f"{path}:{number}: label must be clean or violation")
            texts.append(text)
            ys.append(int(label == "violation"))
        sets.append(SharedSet(path.stem, texts, np.array(ys, dtype=np.int8)))
    return sets


@dataclass(frozen=True)
class TrainOutcome:
    version: str
    report: trainer.GateReport
    promoted: bool


def site_named(name: str) -> Site:
    site = db.session.execute(sa.select(Site).where(Site.name == name)).scalar_one_or_none()
    if site is None:
        raise SiteModelError(f"no site named {name!r}")
    return site


def gate_threshold(policy: Policy, pipeline: Pipeline) -> float:
    """The score from which the live model holds a comment (the lowest hold threshold of the
    model's categories): recall is compared at the false-positive rate it gives."""
    assert pipeline.classifier is not None
    holds = [
        policy.categories[c].hold for c in pipeline.classifier.categories if c in policy.categories
    ]
    return min(holds, default=0.5)


def train_site(
    site_name: str,
    *,
    pipeline: Pipeline,
    store: SiteModelStore,
    shared: Sequence[SharedSet],
    threshold: float,
    actor: str,
    now: datetime,
    seed: int = 0,
    promote: bool = True,
) -> TrainOutcome:
    """Fit a candidate on the site's labels, gate it, keep it, and promote it if it passes
    (and ``promote``). Raises :class:`SiteModelError` without a general model or labels."""
    general = pipeline.classifier
    if general is None:
        raise SiteModelError("no general model: a site model is fitted on top of one")
    site = site_named(site_name)
    examples = labels.examples(site.id)
    if len(examples) < MIN_LABELS:
        raise SiteModelError(
            f"site {site.name!r} has {len(examples)} label(s); at least {MIN_LABELS} are needed"
        )
    prepared = trainer.prepare([e.text for e in examples], pipeline.rules, general)
    cut = trainer.split_by_time(len(examples))
    train_part = trainer.Prepared(prepared.texts[:cut], prepared.base[:cut])
    held_part = trainer.Prepared(prepared.texts[cut:], prepared.base[cut:])
    version, number = store.next_version(site.name)
    weights = trainer.fit(
        examples[:cut],
        train_part,
        general,
        site=site.name,
        version=version,
        seed=seed,
        metadata={
            "trained_until": examples[cut - 1].decided_at.isoformat(),
            "held_out": len(examples) - cut,
        },
    )
    candidate = SiteModel(general, weights)
    live = store.model_for(site.name, general)
    report = trainer.GateReport(
        live_version=live.version if live is not None else general.version,
        candidate_version=version,
    )
    held = examples[cut:]
    trainer.judge_site(
        report,
        trainer.targets(held, held_part.base, general.categories),
        trainer.violation_targets(held),
        trainer.predict(live or general, held_part),
        trainer.predict(candidate, held_part),
        general.categories,
        threshold,
    )
    for found in shared:
        prepared_set = trainer.prepare(found.texts, pipeline.rules, general)
        trainer.judge_shared(
            report,
            found.name,
            found.y,
            trainer.predict(live or general, prepared_set),
            trainer.predict(candidate, prepared_set),
        )
    passed = report.promoted
    card = {
        "version": version,
        "number": number,
        "site": site.name,
        "base_version": general.version,
        "created_at": now.isoformat(),
        "created_by": actor,
        "labels": len(examples),
        "status": "promoted" if passed and promote else ("candidate" if passed else "refused"),
        "gate": report.to_dict(),
        "metadata": weights.metadata,
    }
    store.save(weights, card)
    if passed and promote:
        store.promote(site.name, version)
    if passed and promote:
        action = "model.promoted"
    else:
        action = "model.trained" if passed else "model.rejected"
    if action != "model.trained":
        events.emit(
            action,
            site,
            now=now,
            details={"version": version, "live": report.live_version, "reasons": report.reasons},
        )
    audit.record(
        actor,
        action,
        now=now,
        site_id=site.id,
        target_type="site_model",
        target_id=version,
        details={"live": report.live_version, "reasons": report.reasons, "labels": len(examples)},
    )
    db.session.commit()
    return TrainOutcome(version, report, passed and promote)


def promote(
    site_name: str,
    version: str,
    *,
    store: SiteModelStore,
    actor: str,
    now: datetime,
    force: bool = False,
) -> None:
    """Promote a kept version by hand. A version the gate refused needs ``force``."""
    site = site_named(site_name)
    card = store.card(site.name, version)
    if card.get("status") == "refused" and not force:
        reasons = "; ".join(card.get("gate", {}).get("reasons", [])) or "refused by the gate"
        raise SiteModelError(f"{version} was refused by the gate ({reasons}); use --force")
    store.promote(site.name, version)
    card["status"] = "promoted"
    store.write_card(site.name, card)
    audit.record(
        actor,
        "model.promoted",
        now=now,
        site_id=site.id,
        target_type="site_model",
        target_id=version,
        details={"by_hand": True, "forced": force},
    )
    db.session.commit()


def rollback(site_name: str, *, store: SiteModelStore, actor: str, now: datetime) -> str | None:
    """Back to the previously promoted version; returns it (``None``: the general model)."""
    site = site_named(site_name)
    live = store.current(site.name)
    previous = store.rollback(site.name)
    audit.record(
        actor,
        "model.rolled_back",
        now=now,
        site_id=site.id,
        target_type="site_model",
        target_id=live,
        details={"to": previous},
    )
    db.session.commit()
    return previous


def due_for_training(
    site: Site, store: SiteModelStore, *, now: datetime, min_new: int, max_age: timedelta
) -> bool:
    """True when ``min_new`` labels arrived since the site's last training (its newest
    version's card), or some did and that training is older than ``max_age``; a site never
    trained is due once it has ``MIN_LABELS``."""
    cards = store.versions(site.name)
    if not cards:
        return labels.count(site.id) >= MIN_LABELS
    last = datetime.fromisoformat(str(cards[-1]["created_at"]))
    new = int(
        db.session.execute(
            sa.select(sa.func.count())
            .select_from(SiteLabel)
            .where(SiteLabel.site_id == site.id, SiteLabel.created_at > last)
        ).scalar_one()
    )
    return new >= min_new or (new > 0 and now - last >= max_age)


def retrain_due_sites(
    *,
    pipeline: Pipeline,
    store: SiteModelStore,
    policies: PolicySet,
    shared_dir: Path,
    min_new: int,
    max_age: timedelta,
    now: datetime,
) -> list[TrainOutcome]:
    """Train and gate every site that is due (:func:`due_for_training`); each outcome is
    audited and sent to the site as ``model.promoted`` / ``model.rejected``."""
    if pipeline.classifier is None:
        return []
    outcomes = []
    shared: list[SharedSet] | None = None
    for site in db.session.execute(sa.select(Site).order_by(Site.id)).scalars().all():
        if not due_for_training(site, store, now=now, min_new=min_new, max_age=max_age):
            continue
        shared = shared if shared is not None else shared_sets(shared_dir)
        outcomes.append(
            train_site(
                site.name,
                pipeline=pipeline,
                store=store,
                shared=shared,
                threshold=gate_threshold(policies.for_site(site.name), pipeline),
                actor="scheduler",
                now=now,
            )
        )
    return outcomes


def set_shadow(
    site_name: str, version: str | None, *, store: SiteModelStore, actor: str, now: datetime
) -> None:
    """Run ``version`` in shadow on the site (``None``: stop): it scores every comment beside
    the live model, its would-be decision is recorded with the real one, and it decides
    nothing. Any kept version may run in shadow, a refused one too."""
    site = site_named(site_name)
    if version is not None:
        store.card(site.name, version)  # a valid name of a kept version
    previous = store.shadow(site.name)
    store.set_shadow(site.name, version)
    audit.record(
        actor,
        "model.shadow",
        now=now,
        site_id=site.id,
        target_type="site_model",
        target_id=version or previous,
        details={"shadow": version, "previous": previous},
    )
    db.session.commit()
