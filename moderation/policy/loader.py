"""Load the default policy and per-site overrides from the config directory.

``config/policy.yaml`` is the default. ``config/sites/<site>.yaml`` may override any part
of it for one site; mappings merge key by key, anything else (numbers, lists such as the
ladder) replaces the default's value. Every file is validated when the service starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moderation import categories
from moderation.policy.schema import Policy, PolicyError, parse_policy, read_yaml


@dataclass(frozen=True, slots=True)
class PolicySet:
    default: Policy
    sites: Mapping[str, Policy] = field(default_factory=dict)

    def for_site(self, site: str) -> Policy:
        return self.sites.get(site, self.default)


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = value
    return merged


def load_policy_file(path: Path, base: Mapping[str, Any] | None = None) -> Policy:
    """Load one policy file, optionally as an override of ``base`` (raw YAML data)."""
    raw = read_yaml(path)
    if base is not None:
        if raw is None:
            raw = {}
        if not isinstance(raw, Mapping):
            raise PolicyError(f"{path}: invalid policy: the top level must be a mapping")
        raw = deep_merge(base, raw)
    return parse_policy(raw, str(path))


def load_policies(config_dir: Path) -> PolicySet:
    """Declare the config directory's categories (built-in plus ``categories.yaml``, see
    :func:`moderation.categories.use`), then load its policies.

    Raises :class:`PolicyError` naming the file (and so the site) and the key.
    """
    try:
        categories.use(config_dir)
    except categories.CategoryError as exc:
        raise PolicyError(str(exc)) from None
    default_path = config_dir / "policy.yaml"
    base = read_yaml(default_path)
    default = parse_policy(base, str(default_path))
    sites: dict[str, Policy] = {}
    sites_dir = config_dir / "sites"
    if sites_dir.is_dir():
        for path in sorted(sites_dir.glob("*.yaml")):
            sites[path.stem] = load_policy_file(path, base)
    return PolicySet(default=default, sites=sites)
