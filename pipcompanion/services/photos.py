"""Photos on moments: every upload decoded, checked and re-encoded on the server, then stored.

A phone's photo carries where and when it was taken and on what device (EXIF, GPS, XMP, maker
notes, comments); shared with a viewer or put in a memory book, that can tell where a family lives
(hazard H7, docs/clinical-safety.md). So nothing a phone sent is kept: the pixels are decoded by
Pillow (with a cap on how many, read from the header before a pixel is decoded), turned upright
by their EXIF orientation, converted to sRGB, made at most PHOTO_SIDE pixels on their longest
side, and written afresh as a JPEG that holds no metadata at all, with a thumbnail beside it.
Anything that is not a whole JPEG, PNG, WebP or HEIC picture is refused with a message naming the
photo and why, and then nothing of the moment is saved (the form keeps the words).
"""

from __future__ import annotations

import io
import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import pillow_heif
from flask_babel import gettext as _
from flask_babel import ngettext
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from ..limits import PHOTO_DESCRIPTION_MAX, PHOTO_PIXELS_MAX, PHOTO_SIDE, PHOTOS_PER_MOMENT_MAX, THUMBNAIL_SIDE
from . import ServiceError

# HEIC, as iPhones save photos: read by pillow-heif as one more Pillow format.
pillow_heif.register_heif_opener()

# The formats Pillow may even try: no GIF, TIFF, BMP, PSD, SVG or any other of its readers. A
# phone JPEG with extra pictures inside (MPO: a depth map, a preview) opens as JPEG's first picture.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
STORED_TYPE = "image/jpeg"
PHOTO_QUALITY = 85
THUMBNAIL_QUALITY = 80
# Signs of something other than a picture inside a file (a polyglot: a JPEG that is also a web
# page, a script or a PDF). Phones never write these into a photo, and each is long enough that a
# photo's own bytes do not spell it by chance.
OTHER_CONTENT = re.compile(
    rb"<(?:script|html|body|iframe|svg|object|embed)[\s>/]|<\?php|<!doctype\s|javascript:|%PDF-",
    re.IGNORECASE,
)
# A ZIP (or a JAR, DOCX...) ends with its directory's last record: these four bytes, then 18 more and
# a comment of the length they give, exactly to the end of the file. Four bytes alone turn up by
# chance in about one photo of 1,400; with the length matching too, practically never.
ZIP_END = b"PK\x05\x06"
ZIP_END_SIZE = 22
ZIP_COMMENT_MAX = 0xFFFF
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
NAME_SHOWN_MAX = 60


@dataclass(frozen=True)
class PhotoUpload:
    """A file as sent (from the form or the API), before anything is believed of it."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class ProcessedPhoto:
    """A photo as we keep it: re-encoded without metadata, with its thumbnail."""

    content: bytes
    width: int
    height: int
    thumbnail: bytes
    thumbnail_width: int
    thumbnail_height: int
    content_type: str = STORED_TYPE


class PhotoRefused(ValueError):
    """A file that is not a photo we can take; `reason` says why, for the person."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def shown_name(filename: str) -> str:
    """A sent file's name as we may show it back: its last part, without control characters, short."""
    name = os.path.basename(filename.replace("\\", "/"))
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:NAME_SHOWN_MAX]


def _not_a_photo() -> PhotoRefused:
    return PhotoRefused(_("It is not a photo we can open. Please choose a JPEG, PNG, WebP or HEIC photo."))


def _damaged() -> PhotoRefused:
    return PhotoRefused(_("It is damaged or only partly sent. Please choose it again, or take a new photo."))


def _too_many_pixels(width: int, height: int) -> PhotoRefused:
    megapixels = width * height // 1_000_000
    return PhotoRefused(_("It is too big to open (%(megapixels)d megapixels; up to %(max)d). Please choose a "
                          "smaller copy, or take the photo at the camera's usual size.",
                          megapixels=megapixels, max=PHOTO_PIXELS_MAX // 1_000_000))


def _ends_as_an_archive(data: bytes) -> bool:
    """Whether a ZIP archive rides at the end of the file (its end record fits the file's end)."""
    start = max(0, len(data) - ZIP_END_SIZE - ZIP_COMMENT_MAX)
    found = data.rfind(ZIP_END, start)
    while found != -1:
        if found + ZIP_END_SIZE <= len(data):
            comment = int.from_bytes(data[found + 20:found + 22], "little")
            if found + ZIP_END_SIZE + comment == len(data):
                return True
        found = data.rfind(ZIP_END, start, found)
    return False


def _has_trailing_data(data: bytes, image_format: str) -> bool:
    """Whether bytes follow the end of a PNG or WebP picture (something else riding along).

    JPEG is not checked this way: phones put a second picture or their own data after the first."""
    if image_format == "PNG":
        end = data.rfind(b"IEND")
        return end == -1 or len(data) > end + 8  # the chunk's type, then its 4-byte checksum
    if image_format == "WEBP" and len(data) >= 8:
        riff_end = 8 + int.from_bytes(data[4:8], "little")
        return len(data) > riff_end + (riff_end % 2)
    return False


def _open(data: bytes) -> Image.Image:
    """The picture's header read (no pixel decoded yet), or a PhotoRefused."""
    if OTHER_CONTENT.search(data) or _ends_as_an_archive(data):
        raise PhotoRefused(_("It has something other than a picture hidden inside it. Please choose the photo "
                             "from your camera or gallery."))
    try:
        with warnings.catch_warnings():
            # Pillow only warns between 89 and 178 million pixels: refuse those too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRefused(_("It is too big to open. Please choose a smaller copy of the photo.")) from None
    except UnidentifiedImageError:
        raise _not_a_photo() from None
    except (OSError, ValueError, SyntaxError, EOFError, IndexError, KeyError, TypeError):
        raise _damaged() from None
    return image


def _upright_srgb(image: Image.Image) -> Image.Image:
    """The decoded picture turned upright and in sRGB, transparency laid on white."""
    upright = ImageOps.exif_transpose(image)
    icc = upright.info.get("icc_profile")
    if upright.mode in ("RGBA", "LA", "PA") or (upright.mode == "P" and "transparency" in upright.info):
        rgba = upright.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        upright = flat
    if icc and upright.mode in ("RGB", "CMYK", "L"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(upright, source, SRGB, outputMode="RGB")
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # a profile we cannot read: take the pixels as they are
    return upright.convert("RGB")


def _encoded(image: Image.Image, side: int, quality: int) -> tuple[bytes, int, int]:
    """`image` made at most `side` pixels on its longest side, as a JPEG holding nothing but pixels.

    The pixels are copied into a new image first: a decoded image keeps what its file said (EXIF,
    XMP, ICC, comments) in `info`, and some of Pillow's writers put that back."""
    resized = image.copy()
    resized.thumbnail((side, side), Image.Resampling.LANCZOS)
    clean = Image.new("RGB", resized.size)
    clean.paste(resized)
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue(), clean.width, clean.height


def process_photo(data: bytes) -> ProcessedPhoto:
    """One sent file as the photo we keep, or a PhotoRefused saying why not (for the person)."""
    image = _open(data)
    with image:
        width, height = image.size
        if width < 1 or height < 1:
            raise _not_a_photo()
        if width * height > PHOTO_PIXELS_MAX:
            raise _too_many_pixels(width, height)
        image_format = image.format or ""
        if image_format in ("PNG", "WEBP", "HEIF") and getattr(image, "n_frames", 1) > 1:
            raise PhotoRefused(_("It is a moving picture. Please choose a still photo."))
        if _has_trailing_data(data, image_format):
            raise PhotoRefused(_("It has something other than a picture hidden inside it. Please choose the photo "
                                 "from your camera or gallery."))
        if image_format in ("JPEG", "MPO"):
            # Decode at the smallest of 1/2, 1/4, 1/8 scale still larger than we keep: a quarter of the
            # memory and time for a 12-megapixel phone photo.
            scale = PHOTO_SIDE / max(width, height)
            if scale < 1:
                image.draft("RGB", (max(1, int(width * scale)), max(1, int(height * scale))))
        try:
            image.load()
            upright = _upright_srgb(image)
        except (OSError, ValueError, SyntaxError, EOFError, IndexError, KeyError, TypeError, ZeroDivisionError):
            raise _damaged() from None
        except MemoryError:
            raise _too_many_pixels(width, height) from None
    content, out_width, out_height = _encoded(upright, PHOTO_SIDE, PHOTO_QUALITY)
    thumbnail, thumb_width, thumb_height = _encoded(upright, THUMBNAIL_SIDE, THUMBNAIL_QUALITY)
    return ProcessedPhoto(content, out_width, out_height, thumbnail, thumb_width, thumb_height)


def photos_field_error(message: str) -> ServiceError:
    return ServiceError(message, "photos")


def too_many_photos() -> str:
    return ngettext("A moment can have up to %(num)d photo. Please choose fewer.",
                    "A moment can have up to %(num)d photos. Please choose fewer.", PHOTOS_PER_MOMENT_MAX)


def process_uploads(uploads: Sequence[PhotoUpload], *, already: int = 0) -> list[ProcessedPhoto]:
    """Every sent photo made into one we keep, or a ServiceError (on "photos") naming the first photo
    refused and why. `already`: how many photos the moment keeps (when it is being changed)."""
    if already + len(uploads) > PHOTOS_PER_MOMENT_MAX:
        if already:
            raise photos_field_error(ngettext(
                "A moment can have up to %(num)d photo. It has %(count)d already: please choose fewer, or "
                "remove one first.",
                "A moment can have up to %(num)d photos. It has %(count)d already: please choose fewer, or "
                "remove one first.", PHOTOS_PER_MOMENT_MAX, count=already))
        raise photos_field_error(too_many_photos())
    processed = []
    for number, upload in enumerate(uploads, start=1):
        try:
            processed.append(process_photo(upload.data))
        except PhotoRefused as refused:
            name = shown_name(upload.filename)
            if name:
                message = _("The photo “%(name)s” was not saved. %(reason)s", name=name, reason=refused.reason)
            else:
                message = _("Photo %(number)d was not saved. %(reason)s", number=number, reason=refused.reason)
            raise photos_field_error(message) from None
    return processed


def check_description(text: str) -> str:
    """A parent's words about a photo, for people who cannot see it (optional)."""
    text = (text or "").replace("\x00", "").strip()
    if len(text) > PHOTO_DESCRIPTION_MAX:
        raise ServiceError(_("Please keep the photo's description to %(max)d characters.",
                             max=PHOTO_DESCRIPTION_MAX), "photo_description")
    return text
