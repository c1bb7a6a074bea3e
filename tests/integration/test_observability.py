"""Metrics and readiness with the processes the Procfile starts (issue 10, item 17): the
worker's decisions reach Prometheus, the web's /metrics sums its gunicorn workers, and
/readyz is not ready while no worker consumes the scoring queue."""

from __future__ import annotations

import signal
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.conftest import Stack
from tests.integration.test_service import decided, post
from tests.support import Process, Services, comment_payload, free_port, wait_until


def samples(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus text page: (name, sorted labels) → value."""
    text = httpx.get(url, timeout=10).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def total(
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    wanted = set(labels.items())
    return sum(v for (n, ls), v in found.items() if n == name and wanted <= set(ls))


def ready(base: str) -> httpx.Response:
    return httpx.get(f"{base}/readyz", timeout=10)


def test_worker_metrics_are_scraped_and_readiness_follows_the_worker(
    services: Services, stack_overrides: dict[str, Any], site: tuple[str, str]
) -> None:
    overrides = {**stack_overrides, "metrics_address": "127.0.0.1", "worker_heartbeat_seconds": 1}
    metrics_port = free_port()
    web, base = services.start_web(overrides, workers=2, threads=2)
    processes: list[Process] = [web]
    try:
        # No worker yet: the web is up, but nothing would decide a comment.
        answer = ready(base)
        assert answer.status_code == 503
        body = answer.json()
        assert body["checks"] == {"database": True, "broker": True, "worker": False}
        assert body["problems"] == [
            "no worker is consuming the scoring queue 'scoring' "
            "(none announced itself in the last 3 s)"
        ]

        worker = services.start_procfile(
            "worker",
            overrides,
            {"WORKER_CONCURRENCY": "2", "WORKER_METRICS_PORT": str(metrics_port)},
        )
        processes.append(worker)
        assert ready(base).json() == {
            "status": "ready",
            "checks": {"database": True, "broker": True, "worker": True},
        }

        stack = Stack(base, overrides, worker, web)
        n = 8
        for i in range(n):
            payload = comment_payload(comment_id=f"m{i}", author={"id": f"m{i}"})
            assert post(stack, site[1], payload).status_code == 202
        for i in range(n):
            wait_until(lambda i=i: decided(stack, site[1], f"m{i}"), timeout=60, what=f"m{i}")  # type: ignore[misc]

        # The worker's own endpoint sums its pool processes' metrics.
        scraped = wait_until(
            lambda: (
                (found := samples(f"http://127.0.0.1:{metrics_port}/metrics"))
                and total(found, "moderation_intake_to_decision_seconds_count") == n
                and found
            ),
            timeout=10,
            what="the worker's metrics",
        )
        assert total(scraped, "moderation_decisions_total", decided_by="policy") == n
        # Comments are decided in batches: one task duration per batch, at least one.
        batches = total(
            scraped, "moderation_task_duration_seconds_count", task="moderation.score_comments"
        )
        assert 1 <= batches <= n

        # The web's /metrics sums both gunicorn workers: every intake request is counted.
        web_metrics = samples(f"{base}/metrics")
        assert (
            total(
                web_metrics,
                "moderation_http_requests_total",
                method="POST",
                endpoint="/api/v1/comments",
                status="202",
            )
            == n
        )

        # The worker is killed outright: not ready once its announcement expires (3 s).
        worker.stop(signal.SIGKILL)
        answer = wait_until(
            lambda: (r := ready(base)).status_code == 503 and r, timeout=30, what="not ready"
        )
        assert answer.json()["checks"]["worker"] is False
    finally:
        for process in reversed(processes):
            process.stop()


def test_a_worker_that_stops_cleanly_withdraws_at_once(
    services: Services, stack_overrides: dict[str, Any], site: tuple[str, str]
) -> None:
    """Heartbeats every 300 s: only the worker's own withdrawal can make /readyz say so."""
    overrides = {**stack_overrides, "worker_heartbeat_seconds": 300}
    web, base = services.start_web(overrides, workers=1, threads=2)
    try:
        worker = services.start_worker(overrides, "-Q", "scoring")
        assert ready(base).status_code == 200
        callbacks_only = services.start_worker(overrides, "-Q", "callbacks", "-n", "cb@%h")
        worker.stop()  # SIGTERM: a warm shutdown
        answer = ready(base)
        assert answer.status_code == 503, answer.text
        assert "no worker is consuming the scoring queue" in answer.json()["problems"][0]
        callbacks_only.stop()
    finally:
        web.stop()
