"""Checking and normalising uploaded avatar images."""

from __future__ import annotations

import io
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps, UnidentifiedImageError

# Refuse images whose pixel count would need a lot of memory to decode.
MAX_PIXELS = 40_000_000
ACCEPTED_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}


def normalise_avatar(upload: UploadedFile) -> ContentFile:
    """A square WebP of the configured size from an uploaded image, or a ValidationError.

    Re-encoding drops whatever rode along in the original file (metadata, scripts in
    polyglot files) and keeps every avatar small.
    """
    limit = settings.TANDEM_AVATAR_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            f"That image is {upload.size / 1_048_576:.1f} MB; avatars may be at most "
            f"{limit // 1_048_576} MB."
        )
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            image_format = probe.format
            width, height = probe.size
            if image_format not in ACCEPTED_FORMATS:
                raise ValidationError("Avatars must be PNG, JPEG, GIF or WebP images.")
            if width * height > MAX_PIXELS:
                raise ValidationError("That image has too many pixels for an avatar.")
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
            size = settings.TANDEM_AVATAR_SIZE
            square = ImageOps.fit(image, (size, size), method=Image.Resampling.LANCZOS)
            buffer = io.BytesIO()
            square.save(buffer, format="WEBP", quality=85)
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError("That file is not an image we can read.") from None
    return ContentFile(buffer.getvalue(), name=f"{uuid.uuid4().hex}.webp")
