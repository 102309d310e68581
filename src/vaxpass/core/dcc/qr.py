"""QR codes of ``HC1:`` strings: rendering (PNG, SVG) and reading back from images.

Rendering uses segno with error correction level Q, as the EU DCC guidelines recommend
(not boosted, so every certificate gets the same level). ``HC1:`` text is entirely in
the QR alphanumeric set (base45 was designed for it), so segno picks alphanumeric mode.
Reading uses zxing-cpp (C++) on a Pillow-decoded image, PNG or JPEG, photos included.
"""

from __future__ import annotations

import io

import segno
import zxingcpp
from PIL import Image

from vaxpass.core.dcc.errors import IMAGE_UNREADABLE, error
from vaxpass.core.i18n import gettext_noop as _

ERROR_CORRECTION = "q"
MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000  # a 40-megapixel photo; beyond that, refuse before decoding
_QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


def qr_code(text: str) -> segno.QRCode:
    """The QR code of ``text`` (error correction Q)."""
    return segno.make_qr(text, error=ERROR_CORRECTION, boost_error=False)


def png(text: str, *, scale: int = 4, border: int = 4) -> bytes:
    """A PNG image of the QR code: ``scale`` pixels per module, ``border`` modules of
    quiet zone (the QR standard asks for 4)."""
    out = io.BytesIO()
    qr_code(text).save(out, kind="png", scale=scale, border=border)
    return out.getvalue()


def svg(text: str, *, scale: int = 4, border: int = 4) -> str:
    """An SVG image of the QR code."""
    out = io.BytesIO()
    qr_code(text).save(out, kind="svg", scale=scale, border=border, xmldecl=False)
    return out.getvalue().decode("utf-8")


def read_qr(image: bytes) -> str:
    """The text of the QR code in a PNG or JPEG image (the first one starting with
    ``HC1:`` if there are several). Raise ``DccError`` (``image_unreadable``) when the
    image cannot be decoded or holds no readable QR code."""
    if len(image) > MAX_IMAGE_BYTES:
        raise error(IMAGE_UNREADABLE, _("The image is larger than 20 MB."))
    try:
        with Image.open(io.BytesIO(image)) as opened:
            if opened.width * opened.height > MAX_IMAGE_PIXELS:
                raise error(IMAGE_UNREADABLE, _("The image has more than 40 megapixels."))
            grey = opened.convert("L")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        # Pillow's ways of saying "not an image it can decode" (UnidentifiedImageError is
        # an OSError; truncated or corrupt data raise OSError, ValueError or SyntaxError).
        raise error(
            IMAGE_UNREADABLE, _("The file is not a PNG or JPEG image that can be read.")
        ) from None
    found = [b.text for b in zxingcpp.read_barcodes(grey, formats=_QR_ONLY)]
    if not found:
        raise error(IMAGE_UNREADABLE, _("No readable QR code in the image."))
    return next((text for text in found if text.startswith("HC1:")), found[0])
