"""The model card: ``models/<name>-<version>.card.json`` and a readable ``.card.md``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from moderation import categories
from moderation.training.datasets import MODEL_CATEGORIES
from moderation.training.model import save
from moderation.training.trainer import TrainingResult

LABEL_MAPPING = {
    "impermium": {"attack": "Insult (1/0)", "missing": "profanity, threat, hate"},
    "toxic_spans": {
        "profanity": "Profane/Obscene span by >= 2 raters = 1, by none = 0",
        "attack": "Insult span by >= 2 raters = 1, by none = 0",
        "threat": "Threat span by >= 2 raters = 1, by none = 0",
        "hate": "Identity based Attack span by >= 2 raters = 1, by none = 0",
        "missing": "a category marked by exactly one rater (per row)",
    },
    "olid": {
        "profanity": "OFF-UNT and OFF-TIN-GRP/OTH (offensive language not aimed at an "
        "individual) = 1, NOT = 0",
        "attack": "OFF-TIN-IND = 1, NOT and OFF-UNT = 0",
        "missing": "threat, hate; profanity of OFF-TIN-IND rows; attack of OFF-TIN-GRP/OTH rows",
    },
    "davidson": {
        "profanity": "offensive = 1, neither = 0",
        "hate": "hate = 1, offensive and neither = 0",
        "missing": "attack, threat; profanity of hate rows",
    },
    "wiki": {"all": "non-toxic comments = 0 for every category", "missing": "toxic rows dropped"},
    "convabuse": {
        "all": "not-abusive utterances = 0 for every category",
        "missing": "abusive rows dropped",
    },
    "authored": {
        "all": "labelled 0/1 on every line for every category (project-written comments: "
        "threats, veiled threats, group hate without slurs, ordinary-word insults, and hard "
        "negatives; moderation/training/authored/README.md)",
        "missing": "none",
    },
}


#: What each category means for this model (the label mapping above implements it).
#: (The registry's description, moderation/categories.py, plus notes on this model's labels.)
_LABEL_NOTES = {
    "profanity": " (since 1.1.0 this includes OLID's offensive tweets aimed at a group or an "
    "organisation, OFF-TIN-GRP/OTH; 1.0.0 treated those as attack negatives and did not "
    "label their profanity)",
}
CATEGORY_DEFINITIONS = {
    str(c): categories.info(c).description + _LABEL_NOTES.get(str(c), "") for c in MODEL_CATEGORIES
}


def write(result: TrainingResult, out: Path, name: str, version: str) -> list[Path]:
    """Write the artefact and both card files; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{name}-{version}"
    artefact = out / f"{stem}.npz"
    save(result.arrays, artefact)
    card = {
        "name": stem,
        "artefact": artefact.name,
        "format": result.arrays["format"],
        "categories": list(result.arrays["categories"]),
        "category_definitions": {
            c: CATEGORY_DEFINITIONS[c]
            for c in result.arrays["categories"]
            if c in CATEGORY_DEFINITIONS
        },
        "label_mapping": {
            k: LABEL_MAPPING[k] for k in result.metadata["sources"] if k in LABEL_MAPPING
        },
        "size_bytes": artefact.stat().st_size,
        **result.metadata,
    }
    json_path = out / f"{stem}.card.json"
    json_path.write_text(json.dumps(card, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    md_path = out / f"{stem}.card.md"
    md_path.write_text(render_markdown(card), encoding="utf-8")
    return [artefact, json_path, md_path]


def render_markdown(card: dict[str, Any]) -> str:
    lines = [
        f"# Model card: {card['name']}",
        "",
        f"Artefact `{card['artefact']}` ({card['size_bytes'] / 1e6:.1f} MB, format "
        f"`{card['format']}`: numpy arrays read with `allow_pickle=False`). Scores "
        + ", ".join(f"`{c}`" for c in card["categories"])
        + " as calibrated probabilities (Platt scaling on out-of-fold decision values).",
        "",
        "Normaliser: `" + str(card.get("normalizer")) + "`; seed "
        f"{card['config']['seed']}; training time {card.get('training_seconds', '?')} s.",
        "",
        "## Categories",
        "",
        *[f"- **{c}**: {d}" for c, d in card.get("category_definitions", {}).items()],
        "",
        "## Training sources",
        "",
        "| source | licence | rows read | dropped (eval overlap) | kept after de-dup | "
        + " | ".join(f"{c} +/-" for c in MODEL_CATEGORIES)
        + " |",
        "|---|---|---|---|---|" + "---|" * len(MODEL_CATEGORIES),
    ]
    for source, info in card["sources"].items():
        cells = " | ".join(
            f"{info.get(f'{c}_pos', 0)}/{info.get(f'{c}_neg', 0)}" for c in MODEL_CATEGORIES
        )
        lines.append(
            f"| {source} | {info['licence']} | {info.get('read', '?')} | "
            f"{info.get('eval_overlap_dropped', '?')} | {info.get('kept', '?')} | {cells} |"
        )
    lines += ["", "## Label mapping (what each source lacks is *missing*, not negative)", ""]
    for source, mapping in card["label_mapping"].items():
        lines.append(f"- **{source}**: " + "; ".join(f"{k}: {v}" for k, v in mapping.items()))
    lines += ["", "## Configuration", "", "```json", json.dumps(card["config"], indent=2), "```"]
    lines += ["", "## Library versions", ""]
    lines += [f"- {k} {v}" for k, v in card.get("library_versions", {}).items()]
    validation = card.get("validation")
    if validation:
        lines += [
            "",
            "## Validation (held-out 20 % of the training sources)",
            "",
            "| category/source | n | positives | ROC AUC | PR AUC |",
            "|---|---|---|---|---|",
        ]
        for key, m in validation["per_source"].items():
            lines.append(
                f"| {key} | {m['n']} | {m['positives']} | {m['roc_auc']:.4f} | {m['pr_auc']:.4f} |"
            )
        lines += [
            "",
            "Recommended thresholds (validation rows weighted so each source counts the same): "
            "hold = lowest threshold with precision >= 1/3 flagging <= 0.5 % of clean "
            "Wikipedia validation comments; reject = lowest threshold with precision >= 0.90 "
            "flagging <= 0.1 % of them (else 0.90):",
            "",
        ]
        for cat, t in validation["thresholds"].items():
            cal = validation["calibration"][cat]
            lines.append(
                f"- {cat}: hold {t['hold']:.2f}, reject {t['reject']:.2f} "
                f"(mean predicted {cal['mean_predicted']:.3f} vs observed "
                f"{cal['observed_rate']:.3f}, ECE {cal['ece']:.3f})"
            )
    evaluation = card.get("evaluation")
    if evaluation:
        lines += [
            "",
            "## Evaluation (evaluation-only files; never used for training or tuning)",
            "",
            "| set | target | n | positives | ROC AUC | PR AUC | recall@hold | FPR@hold "
            "| recall@reject | FPR@reject |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in evaluation:
            lines.append(
                f"| {r['set']} | {r['target']} | {r['n']} | {r['positives']} | "
                f"{r['roc_auc']:.4f} | {r['pr_auc']:.4f} | "
                f"{r['recall_hold']:.3f} | {r['fpr_hold']:.3f} | "
                f"{r['recall_reject']:.3f} | {r['fpr_reject']:.3f} |"
            )
    lines.append("")
    return "\n".join(lines)
