"""Checking and normalising uploaded avatar images.

Decoding a picture is the expensive part of an upload (a 6300×6300 PNG needs ~160 MB and
seconds of CPU), so it happens before any transaction: the services call
``normalise_avatar`` first and only then open a transaction that writes rows and the small
re-encoded file. The pixel count is read from the file's header before anything is decoded.
"""

from __future__ import annotations

import io
import uuid
import warnings

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps, UnidentifiedImageError

# Largest picture decoded, in pixels (4096×4096). A 256×256 avatar never needs more, and
# decoding costs memory in proportion: 16.7 MP is ~67 MB as RGBA.
MAX_SIDE = 4096
MAX_PIXELS = MAX_SIDE * MAX_SIDE
# Pillow's own guard, for every other place that opens a picture: it warns past this and
# raises DecompressionBombError past twice this.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
ACCEPTED_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}


class ProcessedImage(ContentFile):
    """An upload already checked, decoded, cropped and re-encoded (by ``normalise_avatar``)."""


_PIXEL_LIMIT = (
    f"pictures may be at most {MAX_SIDE:,}×{MAX_SIDE:,} pixels "
    f"({MAX_PIXELS / 1_000_000:.1f} megapixels). Scale it down and upload it again."
)
# Pillow refuses to even open a picture past twice its limit, before we learn its size.
BOMB_REFUSAL = f"That image has far too many pixels; {_PIXEL_LIMIT}"


def too_many_pixels(width: int, height: int) -> str | None:
    """The sentence refusing a picture of this size, or None if it may be decoded."""
    if width * height <= MAX_PIXELS:
        return None
    return f"That image is {width:,}×{height:,} pixels; {_PIXEL_LIMIT}"


def normalise_avatar(upload: UploadedFile) -> ProcessedImage:
    """A square WebP of the configured size from an uploaded image, or a ValidationError.

    Re-encoding drops whatever rode along in the original file (metadata, scripts in
    polyglot files) and keeps every avatar small. Call it outside any transaction.
    """
    if isinstance(upload, ProcessedImage):
        return upload
    limit = settings.TANDEM_AVATAR_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            f"That image is {upload.size / 1_048_576:.1f} MB; avatars may be at most "
            f"{limit // 1_048_576} MB."
        )
    try:
        upload.seek(0)
        # Image.open reads the header only: format and size are known before any decoding.
        # Its own bomb warning is ours to give here, with the picture's size in it.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            probe = Image.open(upload)
        with probe:
            image_format = probe.format
            if image_format not in ACCEPTED_FORMATS:
                raise ValidationError("Avatars must be PNG, JPEG, GIF or WebP images.")
            refusal = too_many_pixels(*probe.size)
            if refusal:
                raise ValidationError(refusal)
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            size = settings.TANDEM_AVATAR_SIZE
            # JPEGs can be decoded straight at a fraction of their size: much less work.
            image.draft("RGB", (size * 2, size * 2))
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
            square = ImageOps.fit(image, (size, size), method=Image.Resampling.LANCZOS)
            buffer = io.BytesIO()
            square.save(buffer, format="WEBP", quality=85)
    except ValidationError:
        raise
    except Image.DecompressionBombError:
        raise ValidationError(BOMB_REFUSAL) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise ValidationError("That file is not an image we can read.") from None
    return ProcessedImage(buffer.getvalue(), name=f"{uuid.uuid4().hex}.webp")
