import base64

from amlmagic.widgets.preview import gray_png, preview_path
from amlmagic.widgets.static import html_card, html_table, png_line_charts, png_sweep


def test_html_is_escaped_and_highlights_a_row():
    table = html_table(["name"], [["<b>x</b>"], ["y"]], highlight=1)
    assert "&lt;b&gt;x&lt;/b&gt;" in table and "<b>x</b>" not in table
    # The second row is highlighted, translucently: readable on a light or a dark page.
    assert table.index("background:rgba(37,99,235,0.18)") > table.index("&lt;b&gt;")
    assert "&amp;" in html_card("a & b", "")


def test_pngs_only_when_there_is_something_to_draw():
    assert png_line_charts({"loss": ([], [])}) is None
    png = png_line_charts({"loss": ([0, 1, 2], [3.0, 2.0, 1.0])})
    assert base64.b64decode(png)[:4] == b"\x89PNG"
    trials = [{"name": "a", "params": {"lr": 0.1, "opt": "sgd"}, "metric": 0.5},
              {"name": "b", "params": {"lr": 0.2, "opt": "adam"}, "metric": None}]
    assert base64.b64decode(png_sweep(trials, ["lr", "opt"], "acc", "a", {}))[:4] == b"\x89PNG"
    assert png_sweep([], ["lr"], "acc", None, {"a": ([0], [0.5])}) is None


def _pixels(png: str, tmp_path, name: str):
    import matplotlib.image

    path = tmp_path / f"{name}.png"
    path.write_bytes(base64.b64decode(png))
    return matplotlib.image.imread(path)


def test_the_sweep_png_puts_the_trial_curves_beside_the_parallel_coordinates(tmp_path):
    """The curves panel sits left of the parallel coordinates; the best trial's curve is black,
    so the left half holds black pixels only when the curves were drawn."""
    trials = [{"name": "a", "params": {"lr": 0.1}, "metric": 0.9},
              {"name": "b", "params": {"lr": 0.5}, "metric": 0.4, "terminated_by": "bandit"}]
    curves = {"a": ([0, 1, 2], [0.5, 0.8, 0.9]), "b": ([0, 1], [0.3, 0.4])}
    both = _pixels(png_sweep(trials, ["lr"], "acc", "a", curves), tmp_path, "both")
    alone = _pixels(png_sweep(trials, ["lr"], "acc", "a", {}), tmp_path, "alone")
    assert both.shape[1] > alone.shape[1] * 1.8

    def black_in_left_half(pixels) -> int:
        left = pixels[:, : pixels.shape[1] // 2, :3]
        return int((left.max(axis=2) < 0.1).sum())

    # Axis spines and tick labels are dark too, so compare against the curve-less panel's share.
    assert black_in_left_half(both) > 2 * black_in_left_half(alone)


def test_gray_png_round_trips_through_matplotlib(tmp_path):
    import matplotlib.image

    path = tmp_path / "x.png"
    path.write_bytes(gray_png(bytes([0, 255, 128, 64]), 2, 2))
    pixels = matplotlib.image.imread(path)
    assert pixels.shape == (2, 2)
    assert round(float(pixels[0][1]) * 255) == 255 and round(float(pixels[1][0]) * 255) == 128


def test_preview_of_images_and_other_files(tmp_path):
    (tmp_path / "a.png").write_bytes(gray_png(bytes(4), 2, 2))
    assert preview_path(tmp_path)["kind"] == "images"
    other = tmp_path / "o"
    other.mkdir()
    (other / "notes.txt").write_text("hi")
    assert preview_path(other) == {"kind": "text", "text": "notes.txt"}
