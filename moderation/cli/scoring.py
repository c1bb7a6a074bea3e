"""``moderation score``: the offline scorer (same pipeline and policy, no author history).

Contract (stable; benchmarks and other tools rely on it): one JSON object per input line
``{"id"?, "text"}``, one JSON line out per input line, in order::

    {"id", "decision": "publish"|"hold"|"reject", "categories": [...],
     "scores": {"profanity", "attack", "threat", "hate", "spam"}, "matches": [...],
     "explanations": [...], "reasons": [...], "versions": {...}}

An input line without ``id`` gets its 1-based line number. A malformed line yields
``{"id", "line", "error"}`` and the run goes on; a count of such lines goes to stderr.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

import click

from moderation.clock import utcnow
from moderation.config import ConfigError, load_settings
from moderation.policy.decide import decide
from moderation.policy.loader import load_policies
from moderation.policy.schema import Policy, PolicyError
from moderation.scoring.pipeline import Pipeline, build_pipeline

BATCH = 256


def parse_line(number: int, line: str) -> tuple[Any, str | None, str | None]:
    """(id, text, error) for one input line."""
    try:
        item = json.loads(line)
    except (ValueError, RecursionError):
        return number, None, "not valid JSON"
    if not isinstance(item, dict):
        return number, None, "each line must be a JSON object"
    ident = item.get("id", number)
    text = item.get("text")
    if not isinstance(text, str):
        return ident, None, "'text' must be a string"
    return ident, text, None


def score_lines(
    lines: IO[str], pipeline: Pipeline, policy: Policy, site: str | None = None
) -> Iterator[dict[str, Any]]:
    hold_floor = {c: t.hold for c, t in policy.categories.items()}
    now = utcnow()
    batch: list[tuple[int, Any, str | None, str | None]] = []

    def flush() -> Iterator[dict[str, Any]]:
        texts = [text for _, _, text, err in batch if err is None and text is not None]
        results = iter(
            pipeline.score_batch(texts, explain_above=hold_floor, site=site) if texts else []
        )
        for number, ident, text, err in batch:
            if err is not None or text is None:
                yield {"id": ident, "line": number, "error": err}
                continue
            result = next(results)
            decision = decide(result, policy, now=now)
            yield {
                "id": ident,
                "decision": str(decision.outcome),
                "categories": [str(c) for c in decision.categories],
                "scores": {str(c): v for c, v in decision.scores.items()},
                "matches": [m.to_dict() for m in result.matches],
                "explanations": [e.to_dict() for e in result.explanations],
                "reasons": [r.to_dict() for r in decision.reasons],
                "language": result.language.to_dict() if result.language else None,
                "versions": {**result.versions, "policy": decision.policy_version},
            }
        batch.clear()

    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        batch.append((number, *parse_line(number, line)))
        if len(batch) >= BATCH:
            yield from flush()
    yield from flush()


@click.command("score")
@click.argument("source", type=click.File("r", encoding="utf-8", errors="replace"), default="-")
@click.option(
    "--site",
    "site_name",
    default=None,
    help="Use this site's policy override and its promoted site model.",
)
def score_command(source: IO[str], site_name: str | None) -> None:
    """Score JSON lines from SOURCE (a file, or - for stdin) and print one JSON line each."""
    try:
        settings = load_settings()
        policies = load_policies(settings.config_dir)
        pipeline = build_pipeline(
            settings.config_dir, settings.models_dir, settings.resolved_site_models_dir()
        )
    except (ConfigError, PolicyError) as exc:
        raise click.ClickException(str(exc)) from None
    policy = policies.for_site(site_name) if site_name else policies.default
    failed = 0
    for out in score_lines(source, pipeline, policy, site=site_name):
        failed += "error" in out
        click.echo(json.dumps(out, ensure_ascii=False))
    if failed:
        click.echo(f"{failed} malformed line(s) reported as errors", err=True)
