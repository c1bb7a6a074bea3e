"""``moderation policy …``: validate policy files and backtest a candidate policy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from moderation import state
from moderation.cli.common import parse_moment
from moderation.policy.backtest import Record, Report, simulate
from moderation.policy.loader import load_policies, load_policy_file
from moderation.policy.schema import Policy, PolicyError, read_yaml
from moderation.scoring.types import Category, Match, ScoreResult, Severity
from moderation.tables import Comment, CommentStatus, Site, utcnow


@click.group("policy")
def policy_group() -> None:
    """Posting policies: validate, and test a change against past traffic."""


@policy_group.command("check")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
def check(files: tuple[Path, ...]) -> None:
    """Validate config/policy.yaml and config/sites/*.yaml (or FILES, as overrides)."""
    from moderation.config import ConfigError, load_settings

    try:
        settings = load_settings()
        policies = load_policies(settings.config_dir)
        base = read_yaml(settings.config_dir / "policy.yaml")
        for path in files:
            load_policy_file(path, base)
    except (ConfigError, PolicyError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"default policy ok ({policies.default.version})")
    for name, policy in policies.sites.items():
        click.echo(f"site {name!r} policy ok ({policy.version})")
    for path in files:
        click.echo(f"{path} ok")


def _match(data: dict[str, Any]) -> Match:
    return Match(
        term=str(data["term"]),
        category=Category(data["category"]),
        severity=Severity(data["severity"]),
        start=int(data["start"]),
        end=int(data["end"]),
    )


def _scores(data: dict[str, Any]) -> dict[Category, float]:
    return {Category(k): float(v) for k, v in data.items() if k in Category.__members__.values()}


def stored_records(site: Site | None, since: datetime) -> Iterator[Record]:
    from moderation.extensions import db

    query = (
        sa.select(Comment)
        .where(Comment.received_at >= since, Comment.status != CommentStatus.PENDING)
        .order_by(Comment.received_at)
    )
    if site is not None:
        query = query.where(Comment.site_id == site.id)
    for comment in db.session.execute(query).scalars():
        if not comment.model_scores and not comment.matches:
            continue  # refused without scoring (author already blocked)
        yield Record(
            comment=f"{comment.site.name}/{comment.external_id}",
            author=f"{comment.site.name}/{comment.author.external_id}",
            received_at=comment.received_at,
            scores=_scores(comment.model_scores or {}),
            matches=tuple(_match(m) for m in comment.matches or []),
        )


def file_records(source: IO[str]) -> list[Record]:
    """JSON lines: ``{"id", "author"?, "received_at"?, "text"?, "scores"?, "matches"?}``.

    Lines with ``text`` but no ``scores`` are scored with the shipped pipeline.
    """
    from moderation.config import load_settings
    from moderation.scoring.pipeline import build_pipeline

    rows = []
    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict):
                raise TypeError("not an object")
        except (ValueError, TypeError) as exc:
            raise click.ClickException(f"line {number}: {exc}") from None
        rows.append((number, item))
    to_score = [item["text"] for _, item in rows if "scores" not in item and "text" in item]
    scored: Iterator[ScoreResult] = iter([])
    if to_score:
        settings = load_settings()
        pipeline = build_pipeline(settings.config_dir, settings.models_dir)
        scored = iter(pipeline.score_batch(to_score))
    start = utcnow()
    records = []
    for number, item in rows:
        if "scores" in item:
            scores = _scores(item["scores"])
            matches = tuple(_match(m) for m in item.get("matches", []))
        elif "text" in item:
            result = next(scored)
            scores, matches = dict(result.scores), result.matches
        else:
            raise click.ClickException(f"line {number}: needs 'text' or 'scores'")
        when = item.get("received_at")
        records.append(
            Record(
                comment=str(item.get("id", number)),
                author=str(item.get("author", f"line-{number}")),
                received_at=datetime.fromisoformat(when) if when else start,
                scores=scores,
                matches=matches,
            )
        )
    return records


def render(report: Report) -> str:
    lines = [
        f"comments replayed: {report.comments}",
        f"current policy:    {report.current_policy}",
        f"candidate policy:  {report.candidate_policy}",
        "",
        f"{'outcome':<10}{'current':>10}{'candidate':>12}",
    ]
    for outcome in ("publish", "hold", "reject"):
        lines.append(
            f"{outcome:<10}{report.outcomes_current[outcome]:>10}"
            f"{report.outcomes_candidate[outcome]:>12}"
        )
    lines += [
        "",
        f"review queue: {report.queue_current} -> {report.queue_candidate} "
        f"({report.queue_candidate - report.queue_current:+d})",
        "",
        f"decisions flipped: {len(report.flips)}",
    ]
    for category, counts in sorted(report.flips_by_category.items()):
        detail = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        lines.append(f"  {category:<16} {detail}")
    lines.append("")
    lines.append(f"authors sanctioned under the candidate: {len(report.sanctioned)}")
    lines += [f"  {c.author}: {c.current} -> {c.candidate}" for c in report.sanctioned]
    lines.append(f"authors released under the candidate: {len(report.released)}")
    lines += [f"  {c.author}: {c.current} -> {c.candidate}" for c in report.released]
    return "\n".join(lines)


def report_json(report: Report) -> dict[str, Any]:
    return {
        "comments": report.comments,
        "current_policy": report.current_policy,
        "candidate_policy": report.candidate_policy,
        "outcomes": {"current": dict(report.outcomes_current),
                     "candidate": dict(report.outcomes_candidate)},
        "queue": {"current": report.queue_current, "candidate": report.queue_candidate},
        "flips": [
            {"comment": f.comment, "author": f.author, "current": str(f.current),
             "candidate": str(f.candidate), "categories": [str(c) for c in f.categories]}
            for f in report.flips
        ],
        "flips_by_category": {k: dict(v) for k, v in report.flips_by_category.items()},
        "sanctioned": [{"author": c.author, "current": str(c.current),
                        "candidate": str(c.candidate)} for c in report.sanctioned],
        "released": [{"author": c.author, "current": str(c.current),
                      "candidate": str(c.candidate)} for c in report.released],
    }  # fmt: skip


@policy_group.command("simulate")
@click.argument("candidate", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--since", default="30d", show_default=True, help="Window of stored comments.")
@click.option(
    "--file",
    "source",
    type=click.File("r"),
    default=None,
    help="Replay these JSON lines instead of stored comments.",
)
@click.option("--site", "site_name", default=None, help="Only this site (and its policy).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report.")
@with_appcontext
def simulate_command(
    candidate: Path, since: str, source: IO[str] | None, site_name: str | None, as_json: bool
) -> None:
    """Replay comments through the current policy and CANDIDATE; print what would change.

    CANDIDATE may be a whole policy or only the keys that differ from config/policy.yaml.
    Reads only: nothing is written.
    """
    from moderation.services.sites import SiteError, require_site

    settings = state.settings()
    policies = state.policies()
    try:
        site = require_site(site_name) if site_name else None
        current: Policy = policies.for_site(site_name) if site_name else policies.default
        candidate_policy = load_policy_file(
            candidate, read_yaml(settings.config_dir / "policy.yaml")
        )
    except (SiteError, PolicyError) as exc:
        raise click.ClickException(str(exc)) from None
    if source is not None:
        records = file_records(source)
    else:
        records = list(stored_records(site, parse_moment(since)))
    from moderation.extensions import db

    db.session.rollback()
    report = simulate(records, current, candidate_policy)
    click.echo(json.dumps(report_json(report), indent=2) if as_json else render(report))


@policy_group.command("advise")
@click.option("--site", "site_name", required=True, help="The site whose labels are used.")
@click.option(
    "--rate",
    type=click.FloatRange(min=0, max=1, min_open=True, max_open=True),
    default=0.05,
    show_default=True,
    help="Largest share of the site's clean comments that may be held or rejected.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Candidate policy file to write (default: advised-<site>.yaml in the instance folder).",
)
@with_appcontext
def advise_command(site_name: str, rate: float, out: Path | None) -> None:
    """Recommend per-category hold thresholds from SITE's labels: the most recall while at
    most RATE of its clean comments are held. Prints the figures and writes a candidate
    policy for `policy simulate`. Scores come from the site's live model (in-sample for the
    labels it was trained on: optimistic)."""
    import yaml

    from moderation.extensions import db
    from moderation.policy.advise import advise
    from moderation.policy.decide import decide
    from moderation.services import labels
    from moderation.services.sites import SiteError, require_site

    try:
        site = require_site(site_name)
    except SiteError as exc:
        raise click.ClickException(str(exc)) from None
    examples = labels.examples(site.id)
    db.session.rollback()
    if not examples:
        raise click.ClickException(f"site {site_name!r} has no labels")
    policy = state.policies().for_site(site_name)
    now = utcnow()
    results = state.pipeline().score_batch([e.text for e in examples], site=site_name)
    scores = [decide(r, policy, author=None, now=now).scores for r in results]
    positive: dict[Category, list[bool]] = {c: [] for c in policy.categories}
    for example, combined in zip(examples, scores, strict=True):
        named = {c for c, v in example.labels.items() if v}
        guess = max(combined, key=lambda c: combined[c]) if combined else None
        for category in positive:
            if not named:
                flag = example.violation and category == guess
            else:
                flag = example.violation and str(category) in named
            positive[category].append(flag)
    try:
        result = advise(scores, positive, [not e.violation for e in examples], policy, rate)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(result.table())
    target = out or state.settings().resolved_instance_path() / f"advised-{site_name}.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    header = (
        f"# Advised for site {site_name} from {len(examples)} labels, clean rate {rate:.1%}.\n"
        f"# Try it: moderation policy simulate --site {site_name} {target}\n"
    )
    target.write_text(header + yaml.safe_dump(result.overrides(), sort_keys=True), encoding="utf-8")
    click.echo(f"candidate policy written to {target}")
