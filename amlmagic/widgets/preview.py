"""Previews of a data asset's content for the data browser: the first rows of a CSV or parquet
file, or a grid of images (PNG/JPEG files, or MNIST-style idx files, gzipped or not)."""

from __future__ import annotations

import base64
import csv
import gzip
import itertools
import struct
import zlib
from pathlib import Path

__all__ = ["preview_path", "gray_png", "read_idx_images"]

IMAGE_SUFFIXES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif"}


def gray_png(pixels: bytes, width: int, height: int) -> bytes:
    """A greyscale 8-bit PNG, written with zlib only (no imaging library needed)."""
    raw = b"".join(b"\x00" + pixels[y * width:(y + 1) * width] for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def _open(path: Path):
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def read_idx_images(path: Path, limit: int = 16) -> list[bytes]:
    """The first `limit` images of an idx3 file (magic 0x00000803), as PNG bytes."""
    with _open(path) as f:
        magic, count = struct.unpack(">II", f.read(8))
        if magic != 0x803:
            raise ValueError(f"{path.name} is not an idx3 image file")
        rows, cols = struct.unpack(">II", f.read(8))
        return [gray_png(f.read(rows * cols), cols, rows) for _ in range(min(limit, count))]


def _is_idx_images(path: Path) -> bool:
    name = path.name.lower()
    return "idx3" in name


def _data_uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _csv_preview(path: Path, rows: int) -> dict:
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        reader = csv.reader(f)
        header = next(reader, [])
        body = list(itertools.islice(reader, rows))
    return {"kind": "table", "columns": header, "rows": body, "source": path.name}


def _parquet_preview(path: Path, rows: int) -> dict:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        return {"kind": "text", "text": f"{path.name}: install pyarrow to preview parquet files"}
    table = pq.read_table(path).slice(0, rows)
    columns = table.column_names
    data = table.to_pydict()
    return {"kind": "table", "columns": columns,
            "rows": [[data[c][i] for c in columns] for i in range(table.num_rows)], "source": path.name}


def _candidates(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return files[:2000]


def preview_path(path: Path, rows: int = 10, images: int = 16) -> dict:
    """A preview dict for the data browser: {kind: table|images|text, ...}."""
    path = Path(path)
    if not path.exists():
        return {"kind": "text", "text": f"{path} does not exist"}
    files = _candidates(path)
    for p in files:
        if _is_idx_images(p):
            pngs = read_idx_images(p, images)
            return {"kind": "images", "images": [_data_uri("image/png", b) for b in pngs], "source": p.name}
    for p in files:
        suffix = p.suffix.lower()
        if suffix in (".csv", ".tsv"):
            return _csv_preview(p, rows)
        if suffix == ".parquet":
            return _parquet_preview(p, rows)
    pictures = [p for p in files if p.suffix.lower() in IMAGE_SUFFIXES][:images]
    if pictures:
        return {"kind": "images", "labels": [p.name for p in pictures],
                "images": [_data_uri(IMAGE_SUFFIXES[p.suffix.lower()], p.read_bytes()) for p in pictures]}
    names = "\n".join(str(p.relative_to(path)) if p != path else p.name for p in files[:30])
    return {"kind": "text", "text": names or "(empty)"}
