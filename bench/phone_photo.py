"""A photo as a phone camera makes one, for the photo benchmark and tests: 4000 × 3000 (12
megapixels), a JPEG of about 3 MB. Soft shapes under fine grain, so it compresses like a photo (a
flat colour would shrink to nothing, pure noise would not shrink at all)."""

from __future__ import annotations

import io
import random

from PIL import Image

PHONE_WIDTH, PHONE_HEIGHT = 4000, 3000


def phone_photo(width: int = PHONE_WIDTH, height: int = PHONE_HEIGHT, *, seed: int = 1) -> bytes:
    """The JPEG bytes of a photo-like picture of this size; the same seed gives the same bytes."""
    rng = random.Random(seed)
    cells = (max(1, width // 50), max(1, height // 50))
    shapes = Image.frombytes("RGB", cells, rng.randbytes(cells[0] * cells[1] * 3))
    picture = shapes.resize((width, height), Image.Resampling.BICUBIC)
    grain = Image.frombytes("L", (width, height), rng.randbytes(width * height)).convert("RGB")
    out = io.BytesIO()
    Image.blend(picture, grain, 0.05).save(out, "JPEG", quality=92)
    return out.getvalue()
