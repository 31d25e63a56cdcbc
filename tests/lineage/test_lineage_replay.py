"""Lineage on the replay backend (recorded Azure traffic): a model registered from a path has no
upstream; where it went needs lists the recording lacks, so one note says so and the lineage of
what was recorded still stands."""

from __future__ import annotations

from pathlib import Path

from amlmagic.backends import connect_replay, stop_replay
from amlmagic.lineage import build_lineage

RECORDINGS = Path(__file__).resolve().parents[1] / "backends" / "recordings"


def test_a_recorded_model_has_its_lineage_and_a_note_for_what_cannot_be_listed():
    client = connect_replay([RECORDINGS / "model_create.json"])
    try:
        lineage = build_lineage(client, "model", "iris-model", "1")
    finally:
        stop_replay()
    assert lineage.root == "model:iris-model:1" and list(lineage.nodes) == ["model:iris-model:1"]
    assert lineage.edges == []
    (note,) = lineage.notes
    assert note.startswith("where it went could not be listed: Replay has no recorded answer for GET")
    text = lineage.text()
    assert "(nothing recorded: registered from a path)" in text and text.splitlines()[-1] == f"note: {note}"
