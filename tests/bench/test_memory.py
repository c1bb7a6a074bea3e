"""``bench/memory.py`` reads the process's own memory figures and the texts it is given."""

from __future__ import annotations

import json
from pathlib import Path

from bench.memory import memory_mb, read_texts


def test_memory_figures_are_ordered_and_grow_with_an_allocation() -> None:
    rss, pss, uss = memory_mb()
    assert rss >= pss >= uss > 0
    ballast = bytearray(64 * 1024 * 1024)
    ballast[::4096] = b"x" * len(ballast[::4096])  # touch every page
    assert memory_mb()[0] >= rss + 60
    del ballast


def test_texts_come_from_csv_or_json_lines_and_repeat_to_the_count(tmp_path: Path) -> None:
    csv_file = tmp_path / "comments.csv"
    csv_file.write_text('comment_id,text\n1,"first, with a comma"\n2,second\n', encoding="utf-8")
    assert read_texts(csv_file, 3) == ["first, with a comma", "second", "first, with a comma"]
    lines = tmp_path / "texts.jsonl"
    lines.write_text(json.dumps({"text": "één"}) + "\n\n", encoding="utf-8")
    assert read_texts(lines, 2) == ["één", "één"]
