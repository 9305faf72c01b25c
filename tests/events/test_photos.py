"""Speakers' photos: refused by their declared size before anything is decoded."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zlib

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage

from portal.events.photos import save_speaker_photo
from portal.validation import InvalidField


def _png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares `width` × `height` pixels, with little data behind it
    (what a decompression bomb looks like to a server)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        checksum = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + checksum

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\0" * (width * 3 + 1) * 16)
    chunks = chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def _upload(data: bytes) -> FileStorage:
    return FileStorage(io.BytesIO(data), filename="photo.png", content_type="image/png")


@pytest.mark.parametrize("side", [7_000, 12_000, 40_000])
def test_a_huge_declared_image_is_refused_without_decoding_it(app, side):
    tracemalloc.start()
    try:
        with pytest.raises(InvalidField) as refused:
            save_speaker_photo(_upload(_png_declaring(side, side)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert str(refused.value.message) == "Choose an image of at most 40 megapixels."
    assert peak < 20 * 1024 * 1024  # decoding it would take over a gigabyte


def test_a_large_but_reasonable_photo_is_scaled_down(app):
    buffer = io.BytesIO()
    Image.new("RGB", (2400, 1600), (11, 79, 138)).save(buffer, "PNG")

    name = save_speaker_photo(_upload(buffer.getvalue()))

    with Image.open(app.instance_path + f"/media/speakers/{name}") as stored:
        assert stored.size == (800, 533)
