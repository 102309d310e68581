"""QR codes of ``HC1:`` strings: rendering (PNG, SVG) and reading back from images.

Rendering uses segno by default, with error correction level Q as the EU DCC guidelines
recommend (not boosted, so every certificate gets the same level); ``HC1:`` text is all
in the QR alphanumeric set (base45 was made for it), so segno picks alphanumeric mode.
segno is pure Python and slow: 11 PNG and 11 SVG images per CPU-second for a
certificate here (version 18), nearly all of it in building the symbol (choosing the
mask), so store the ``HC1:`` text and render on demand. ``writer="zxing"`` builds the
symbol with zxing-cpp (C++) instead, at the same level Q: 138 PNG and 69 SVG images per
CPU-second (``bench/encode_sign.py``), for a server that must render many.

Reading uses zxing-cpp on a Pillow-decoded image, PNG or JPEG, photos included.
"""

from __future__ import annotations

import io
from typing import Any, cast

import segno
import zxingcpp
from PIL import Image, ImageOps

from vaxpass.core.dcc.errors import IMAGE_UNREADABLE, error
from vaxpass.core.i18n import gettext_noop as _

ERROR_CORRECTION = "q"
MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000  # a 40-megapixel photo; beyond that, refuse before decoding
_QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


def qr_code(text: str) -> segno.QRCode:
    """The QR code of ``text`` (error correction Q)."""
    return segno.make_qr(text, error=ERROR_CORRECTION, boost_error=False)


def png(text: str, *, scale: int = 4, border: int = 4, writer: str = "segno") -> bytes:
    """A PNG image of the QR code: ``scale`` pixels per module, ``border`` modules of
    quiet zone (the QR standard asks for 4)."""
    out = io.BytesIO()
    if writer == "zxing":
        symbol = zxingcpp.write_barcode_to_image(
            _zxing_symbol(text), scale=scale, add_quiet_zones=False
        )
        pixels = memoryview(cast(Any, symbol))  # one byte a pixel; the stubs do not say so
        height, width = pixels.shape or (0, 0)
        image = Image.frombytes("L", (width, height), pixels.tobytes()).convert("1")
        ImageOps.expand(image, border * scale, fill=1).save(out, "PNG", optimize=False)
    else:
        qr_code(text).save(out, kind="png", scale=scale, border=border)
    return out.getvalue()


def svg(text: str, *, scale: int = 4, border: int = 4, writer: str = "segno") -> str:
    """An SVG image of the QR code (zxing-cpp's writer has a 4-module border only)."""
    if writer == "zxing":
        if border != 4:
            raise ValueError("zxing-cpp writes SVG with a 4-module quiet zone only")
        return zxingcpp.write_barcode_to_svg(_zxing_symbol(text), scale=scale)
    out = io.BytesIO()
    qr_code(text).save(out, kind="svg", scale=scale, border=border, xmldecl=False)
    return out.getvalue().decode("utf-8")


def _zxing_symbol(text: str) -> zxingcpp.Barcode:
    return zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="Q")


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
