"""py3langid's identifier with its byte automaton in half the memory, same answers.

py3langid walks a text's UTF-8 bytes through an automaton of 104,583 states whose
transition table (38,346 distinct rows of 256 next states) it keeps as 32-bit integers:
39 MB in every worker process, the largest single thing a worker holds. A state number
needs 17 bits, but almost every transition goes to a few states (a third of them to the
start state). So the states are renumbered by how many transitions lead to them, the table
is stored as 16-bit integers, and the 39,048 transitions (0.4 %) to a state numbered 65,535
or more hold an escape value whose real target sits in a small sorted side table.

The walk, the features and every score are those of the stock identifier (a test compares
them on thousands of texts); only the storage differs. Pure: nothing loads at import.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections import Counter
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

#: A 16-bit transition holding this value escapes to the side table.
ESCAPE = 0xFFFF
#: Transitions converted at a time (see :func:`compact`).
_SLICE = 1 << 20


def load_compact_identifier() -> LanguageIdentifier:
    """py3langid's shipped model (normalised probabilities), stored compactly."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    stock = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return compact(stock)


def compact(stock: LanguageIdentifier) -> LanguageIdentifier:
    """A copy of ``stock`` that walks a 16-bit transition table (see the module docstring)."""
    from py3langid.langid import LanguageIdentifier

    class CompactIdentifier(LanguageIdentifier):  # type: ignore[misc]
        __slots__ = ("_escape_at", "_escape_to")

        def _raw_score(self, text: bytes) -> Any:
            visits = _visit_counts(
                self.tk_nextmove,
                self._rowbase,
                self.tk_output,
                self._escape_at,
                self._escape_to,
                text,
            )
            if visits:
                return self._sparse_score(visits, self.nb_ptc)
            # as the stock identifier: no features scores uniformly (norm_probs is set)
            return np.zeros(len(self.nb_classes), dtype=np.float32)

    if not stock._norm_probs:  # pragma: no cover - this module builds it with norm_probs
        raise ValueError("the compact identifier is built with norm_probs=True")
    moves = np.frombuffer(stock.tk_nextmove, dtype=np.uint32)
    states = len(stock.tk_row)
    # The 9.8 million transitions are read in slices: numpy's counting and indexing copy
    # their input as 64-bit integers, which for the whole table at once would hold 160 MB
    # for a moment, more than the process keeps (a worker's peak memory is its load).
    slices = [slice(start, start + _SLICE) for start in range(0, len(moves), _SLICE)]
    inbound = np.zeros(states, dtype=np.int64)
    for part in slices:
        inbound += np.bincount(moves[part], minlength=states)
    # the start state (0) keeps its number: it has by far the most inbound transitions
    order = np.argsort(-inbound, kind="stable")
    if order[0] != 0:  # pragma: no cover - a model whose start state is not the busiest
        order = np.concatenate(([0], order[order != 0]))
    renumber = np.empty(states, dtype=np.uint32)
    renumber[order] = np.arange(states, dtype=np.uint32)
    nextmove = array("H", [0]) * len(moves)
    table = np.frombuffer(nextmove, dtype=np.uint16)  # written through, slice by slice
    escaped_at, escaped_to = [], []
    for part in slices:
        targets = renumber[moves[part]]
        escapes = np.flatnonzero(targets >= ESCAPE)
        escaped_at.append(escapes + part.start)
        escaped_to.append(targets[escapes])
        table[part] = np.minimum(targets, ESCAPE)
    escaped = np.concatenate(escaped_at)

    rows = np.asarray(stock.tk_row, dtype=np.int64)[order]
    output = np.asarray(stock.tk_output, dtype=np.int32)[order]

    identifier = CompactIdentifier.__new__(CompactIdentifier)
    identifier.min_confidence = stock.min_confidence
    identifier.nb_ptc = stock.nb_ptc
    identifier.nb_pc = stock.nb_pc
    identifier.nb_classes = stock.nb_classes
    identifier.tk_nextmove = nextmove
    identifier.tk_row = array("I", rows.astype(np.uint32).tobytes())
    identifier._rowbase = array("I", (rows << 8).astype(np.uint32).tobytes())
    identifier.tk_output = array("i", output.tobytes())
    identifier._escape_at = array("I", escaped.astype(np.uint32).tobytes())
    identifier._escape_to = array("I", np.concatenate(escaped_to).astype(np.uint32).tobytes())
    identifier._norm_probs = True
    identifier._full_model = stock._full_model
    identifier._set_alias_pairs()
    return identifier


def _visit_counts(
    moves: array[int],
    rowbase: array[int],
    output: array[int],
    escape_at: array[int],
    escape_to: array[int],
    text: bytes,
) -> Counter[int] | None:
    """py3langid's ``visit_counts`` on the 16-bit table: feature counts, or None if none."""
    state = 0
    found: list[int] = []
    append = found.append
    for byte in text:
        at = rowbase[state] + byte
        state = moves[at]
        if state == ESCAPE:
            state = escape_to[bisect_left(escape_at, at)]
        feature = output[state]
        if feature >= 0:
            append(feature)
    return Counter(found) if found else None
