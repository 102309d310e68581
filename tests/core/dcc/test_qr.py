"""QR images of certificates: PNG and SVG with segno at error correction Q, read back with
zxing-cpp."""

import io
import re

from PIL import Image

from vaxpass.core.dcc import qr

HC1 = (
    "HC1:"
    + "NCFOXN%TS3DH3ZSUZK+.V0ETD%65NL-AH-R6IOOK.IR9B+9G4G50PHZF0AT4V22F/8X*G3M9JUPY0BX/KR96R/S09T./0LWTKD33236J3TA3M*4VV2 73-E3ND3DAJ-432$4W6DO0WX$D6XFQMN0CQ7W6RPC0-HR1M5TA5LTJXO6JL0Z3ZOUUMSP4TXMQNUB4%86C9M9IBQB:DZUP"
)  # noqa: E501


def test_png_round_trip_and_level_q():
    code = qr.qr_code(HC1)
    assert code.error == "Q" and code.mode == "alphanumeric"
    png = qr.png(HC1, scale=3)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.width == (code.symbol_size(scale=3)[0])
    assert qr.read_qr(png) == HC1


def test_svg():
    svg = qr.svg(HC1)
    # The SVG is drawn from the same module matrix as the PNG (segno); checked here for
    # its frame only, since nothing in the test environment rasterises SVG.
    size = qr.qr_code(HC1).symbol_size(scale=4)[0]
    assert svg.startswith("<svg") and f'width="{size}" height="{size}"' in svg
    assert re.search(r'<path [^>]*d="M', svg) and svg.rstrip().endswith("</svg>")


def test_zxing_writer_makes_a_readable_code_of_the_same_version():
    png = qr.png(HC1, writer="zxing", scale=3, border=4)
    image = Image.open(io.BytesIO(png))
    assert image.width == qr.qr_code(HC1).symbol_size(scale=3, border=4)[0]  # same version
    assert qr.read_qr(png) == HC1
    assert qr.read_qr(qr.png(HC1, writer="zxing", border=6)) == HC1
    svg = qr.svg(HC1, writer="zxing")
    assert "<svg" in svg and svg.rstrip().endswith("</svg>")
