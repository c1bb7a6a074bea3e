"""``moderation policy …``: validate policy files and backtest a candidate policy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

import click
from flask.cli import with_appcontext
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from moderation import configured
from moderation.cli.common import parse_moment
from moderation.clock import utcnow
from moderation.policy.backtest import (
    TIER_DEFAULT,
    TIER_NEW,
    TIER_TRUSTED,
    AuthorSeed,
    Record,
    Report,
    simulate,
)
from moderation.policy.decide import AuthorStatus
from moderation.policy.loader import load_policies, load_policy_file
from moderation.policy.schema import Policy, PolicyError, read_yaml
from moderation.scoring.types import Category, ScoreResult, Severity
from moderation.services.replay import (
    match_from_json,
    scores_from_json,
    stored_records,
    stored_seeds,
)

TIERS = (TIER_DEFAULT, TIER_NEW, TIER_TRUSTED)


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


class _MatchLine(BaseModel):
    term: str
    category: Category
    severity: Severity
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class _HistoryLine(BaseModel):
    """The author's standing before the first line (else they are replayed as new)."""

    model_config = ConfigDict(extra="forbid")

    comments: int = Field(default=0, ge=0)
    published: int = Field(default=0, ge=0)
    active_strikes: float = Field(default=0.0, ge=0)
    status: AuthorStatus = AuthorStatus.ACTIVE


class _FileLine(BaseModel):
    """One line of ``--file``; other keys (``label``, ``kind``…) are ignored."""

    id: str | int | None = None
    author: str | None = None
    received_at: AwareDatetime | None = None
    text: str | None = None
    scores: dict[str, float] | None = None
    matches: list[_MatchLine] = []
    author_history: _HistoryLine | None = None

    @model_validator(mode="after")
    def _text_or_scores(self) -> _FileLine:
        if self.scores is None and self.text is None:
            raise ValueError("needs 'text' or 'scores'")
        return self


def _line_problem(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        parts.append(f"{loc}: {message}" if loc else message)
    return "; ".join(parts)


def parse_file_lines(source: IO[str]) -> list[tuple[int, _FileLine]]:
    """Every non-blank line, validated. Raises :class:`click.ClickException` naming the first
    bad line (its number and what is wrong); nothing is replayed then."""
    rows = []
    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise click.ClickException(
                f"line {number}: not valid JSON: {exc.msg} (column {exc.colno}); "
                "nothing was replayed"
            ) from None
        if not isinstance(data, dict):
            raise click.ClickException(
                f"line {number}: must be a JSON object, not {type(data).__name__}; "
                "nothing was replayed"
            )
        try:
            rows.append((number, _FileLine.model_validate(data)))
        except ValidationError as exc:
            raise click.ClickException(
                f"line {number}: {_line_problem(exc)}; nothing was replayed"
            ) from None
    return rows


def file_records(
    source: IO[str], *, strike_window_days: float = 30
) -> tuple[list[Record], dict[str, AuthorSeed]]:
    """JSON lines: ``{"id", "author"?, "received_at"?, "text"?, "scores"?, "matches"?,
    "author_history"?}``, and the authors' standing from their first ``author_history``.

    Lines with ``text`` but no ``scores`` are scored with the shipped pipeline. Strikes
    given in ``author_history.active_strikes`` count as fresh at the first line's time.
    """
    from moderation.config import load_settings
    from moderation.scoring.pipeline import build_pipeline

    rows = parse_file_lines(source)
    to_score = [line.text for _, line in rows if line.scores is None and line.text is not None]
    scored: Iterator[ScoreResult] = iter([])
    if to_score:
        settings = load_settings()
        pipeline = build_pipeline(settings.config_dir, settings.models_dir)
        scored = iter(pipeline.score_batch(to_score))
    start = utcnow()
    records = []
    seeds: dict[str, AuthorSeed] = {}
    for number, line in rows:
        language = None
        if line.scores is not None:
            scores = scores_from_json(line.scores)
            matches = tuple(match_from_json(m.model_dump()) for m in line.matches)
        else:
            result = next(scored)
            scores, matches, language = dict(result.scores), result.matches, result.language
        author = line.author if line.author is not None else f"line-{number}"
        when = line.received_at or start
        records.append(
            Record(
                comment=str(line.id if line.id is not None else number),
                author=author,
                received_at=when,
                scores=scores,
                matches=matches,
                language=language,
            )
        )
        history = line.author_history
        if history is not None and author not in seeds:
            strikes: tuple[tuple[datetime, float], ...] = ()
            if history.active_strikes:
                expires = when + timedelta(days=strike_window_days)
                strikes = ((expires, history.active_strikes),)
            seeds[author] = AuthorSeed(
                comments=history.comments,
                published=history.published,
                strikes=strikes,
                status=history.status,
            )
    return records, seeds


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
        "thresholds applied (current / candidate): "
        + ", ".join(
            f"{tier} {report.tiers_current[tier]} / {report.tiers_candidate[tier]}"
            for tier in TIERS
        ),
        f"authors replayed with their standing at the start: {report.seeded_authors} of "
        f"{report.authors} (the others start as new authors)",
    ]
    for key, count in sorted(report.masked.items()):
        tier, _, category = key.partition(".")
        lines.append(
            f"note: the candidate changes categories.{category}, but {count} decision(s) used "
            f"the {tier} tier's own {category} thresholds, which the change does not reach "
            f"(change authors.{tier}.categories.{category} too)"
        )
    lines += [
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
        "tiers": {"current": dict(report.tiers_current),
                  "candidate": dict(report.tiers_candidate)},
        "masked": dict(report.masked),
        "authors": {"replayed": report.authors, "with_standing": report.seeded_authors},
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
    Stored comments are replayed with each author's real standing when the window opens
    (earlier comments, strikes, status); --file lines may give it as "author_history".
    Reads only: nothing is written. A bad --file line stops with its number and problem.
    """
    from moderation.services.sites import SiteError, require_site

    settings = configured.settings()
    policies = configured.policies()
    try:
        site = require_site(site_name) if site_name else None
        current: Policy = policies.for_site(site_name) if site_name else policies.default
        candidate_policy = load_policy_file(
            candidate, read_yaml(settings.config_dir / "policy.yaml")
        )
    except (SiteError, PolicyError) as exc:
        raise click.ClickException(str(exc)) from None
    if source is not None:
        records, seeds = file_records(source, strike_window_days=current.authors.strike_window_days)
    else:
        start = parse_moment(since)
        records = list(stored_records(site, start))
        seeds = stored_seeds(site, start)
    from moderation.extensions import db

    db.session.rollback()
    report = simulate(records, current, candidate_policy, authors=seeds)
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
    policy = configured.policies().for_site(site_name)
    now = utcnow()
    results = configured.pipeline().score_batch([e.text for e in examples], site=site_name)
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
    target = out or configured.settings().resolved_instance_path() / f"advised-{site_name}.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    header = (
        f"# Advised for site {site_name} from {len(examples)} labels, clean rate {rate:.1%}.\n"
        f"# Try it: moderation policy simulate --site {site_name} {target}\n"
    )
    target.write_text(header + yaml.safe_dump(result.overrides(), sort_keys=True), encoding="utf-8")
    click.echo(f"candidate policy written to {target}")
