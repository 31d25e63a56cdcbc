"""append_row's lines: one per returned element (stringified), a DataFrame without header or
index, space-separated, as Azure's notebooks read it back."""

from __future__ import annotations

import io

import pytest

from amlmagic.local.batch.output import count_items, format_rows


def test_lists_give_one_line_per_element_stringified():
    assert format_rows(["a 1", 2, {"k": 1}]) == "a 1\n2\n{'k': 1}\n"
    assert count_items(["a", "b"]) == 2
    assert format_rows([]) == "" and count_items([]) == 0
    assert format_rows(None) == "" and count_items(None) == 0


def test_a_dataframe_is_written_without_header_and_index_and_reads_back_as_the_notebooks_read_it():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"file": ["a b.png", "c.png"], "class": [3, 7], "probability": [0.5, 0.25]})
    text = format_rows(frame)
    assert count_items(frame) == 2
    assert text.splitlines()[1] == "c.png 7 0.25"
    back = pd.read_csv(io.StringIO(text), header=None, sep=" ", names=["file", "class", "probability"])
    assert back.to_dict("list") == frame.to_dict("list")
