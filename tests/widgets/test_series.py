import struct

from amlmagic.widgets.series import SeriesStore, points_message


def test_chunks_carry_only_new_points_with_their_start():
    store = SeriesStore()
    first = store.add({"loss": [(0, 1000, 0.9), (1, 1100, 0.8)], "acc": []})
    assert [(n, start, list(v)) for n, start, _, v in first] == [("loss", 0, [0.9, 0.8])]
    second = store.add({"loss": [(2, 1200, 0.7)], "acc": [(0, 1200, 0.5)]})
    assert [(n, start, list(s), list(v)) for n, start, s, v in second] == [
        ("loss", 2, [2.0], [0.7]), ("acc", 0, [0.0], [0.5])]
    assert store.series["loss"].best("minimize") == 0.7
    assert store.series["loss"].best("maximize") == 0.9


def test_points_message_packs_float64_buffers():
    store = SeriesStore()
    chunks = store.add({"m": [(3, 0, 1.5), (4, 0, -2.0)]})
    content, buffers = points_message(chunks, reset=False)
    assert content == {"type": "points", "reset": False, "metrics": [{"name": "m", "start": 0, "n": 2}]}
    assert struct.unpack("<2d", bytes(buffers[0])) == (3.0, 4.0)
    assert struct.unpack("<2d", bytes(buffers[1])) == (1.5, -2.0)
    snap, _ = points_message(store.snapshot(), reset=True)
    assert snap["reset"] and snap["metrics"][0]["n"] == 2
