"""Uploaded images (speakers' photos): checked, re-encoded and kept in the instance folder."""

from __future__ import annotations

import io
import re
import secrets
import warnings
from pathlib import Path

from flask import current_app
from PIL import Image, UnidentifiedImageError
from werkzeug.datastructures import FileStorage

from portal.i18n import _l
from portal.validation import InvalidField

PHOTO_EXTENSIONS = ("jpg", "jpeg", "png", "webp")
MAX_PHOTO_BYTES = 2 * 1024 * 1024
#: Photos are scaled down to fit this square; larger ones only cost readers bandwidth.
MAX_PHOTO_SIDE = 800
#: Largest image accepted, by the size its header declares, checked before anything is
#: decoded: a small file can declare 12,000 × 12,000 pixels and take gigabytes to decode.
MAX_PHOTO_PIXELS = 40_000_000
_FORMATS = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
}
#: Names given to stored photos (random, so they can be served publicly without guessing).
PHOTO_NAME = re.compile(r"[0-9a-f]{32}\.(?:jpg|png|webp)")
#: Content types by file ending, for serving.
CONTENT_TYPES = {extension: content_type for extension, content_type in _FORMATS.values()}


def photo_folder() -> Path:
    folder = Path(current_app.instance_path) / "media" / "speakers"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_speaker_photo(upload: FileStorage) -> str:
    """Check that the upload really is a JPEG, PNG or WebP image, re-encode it (which drops
    metadata and anything hidden after the image data) and return its new file name."""
    data = upload.stream.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise InvalidField("photo", _l("Choose an image of at most 2 MB."))
    too_large = InvalidField("photo", _l("Choose an image of at most 40 megapixels."))
    not_an_image = InvalidField("photo", _l("This file is not a JPEG, PNG or WebP image."))
    try:
        with warnings.catch_warnings():
            # Pillow only warns up to twice its own limit; here anything past it is refused.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                width, height = probe.size  # from the header: nothing is decoded yet
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise too_large from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise not_an_image from None
    if width * height > MAX_PHOTO_PIXELS:
        raise too_large
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise not_an_image from None
    image_format = image.format
    if image_format not in _FORMATS:
        raise InvalidField("photo", _l("This file is not a JPEG, PNG or WebP image."))
    image.thumbnail((MAX_PHOTO_SIDE, MAX_PHOTO_SIDE))
    if image_format == "JPEG":
        image = image.convert("RGB")
    name = f"{secrets.token_hex(16)}.{_FORMATS[image_format][0]}"
    image.save(photo_folder() / name, format=image_format)
    return name


def delete_speaker_photo(name: str | None) -> None:
    if name:
        (photo_folder() / Path(name).name).unlink(missing_ok=True)
