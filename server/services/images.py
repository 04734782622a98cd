"""Uploaded images (avatars, banners): checked, re-encoded and resized with Pillow.

Re-encoding drops whatever the upload carried besides pixels (metadata, scripts in SVG-like
payloads, polyglot tails), and the stored name is random, never the uploader's.
"""

from __future__ import annotations

import io
import warnings
from enum import Enum
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from server.models import new_id
from server.services.errors import Invalid

ACCEPTED_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding them


class ImageKind(Enum):
    AVATAR = ((400, 400), True)
    BANNER = ((1500, 500), True)

    def __init__(self, size: tuple[int, int], crop: bool) -> None:
        self.size = size
        self.crop = crop


def store_image(data: bytes, kind: ImageKind, media_dir: Path, field: str = "image") -> str:
    """Validate and store an upload; return its file name inside `media_dir`.

    Raises Invalid({field: message}) for anything that is not a PNG, JPEG, GIF or WebP image.
    Size limits on the upload itself are enforced before this is called (413).
    """
    if not data:
        raise Invalid({field: "Choose an image file."})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data))
            image: Image.Image = opened
            if opened.format not in ACCEPTED_FORMATS:
                raise Invalid({field: "Use a PNG, JPEG, GIF or WebP image."})
            if image.width * image.height > MAX_PIXELS:
                raise Invalid({field: "That image has too many pixels."})
            image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, Warning) as exc:
        raise Invalid({field: "That file is not an image we can read."}) from exc
    image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
    width, height = kind.size
    if kind.crop:
        scale = max(width / image.width, height / image.height)
        if scale < 1:
            image = image.resize(
                (max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                Image.Resampling.LANCZOS,
            )
        left = max(0, (image.width - width) // 2)
        top = max(0, (image.height - height) // 2)
        image = image.crop(
            (left, top, left + min(width, image.width), top + min(height, image.height))
        )
    media_dir.mkdir(parents=True, exist_ok=True)
    name = f"{new_id()}.webp"
    image.save(media_dir / name, "WEBP", quality=85)
    return name


def delete_image(name: str, media_dir: Path) -> None:
    if name and "/" not in name and not name.startswith("."):
        (media_dir / name).unlink(missing_ok=True)
