"""The printable vaccine passport: one bilingual (Vietnamese / English) A4 page with the
QR code.

Input is a ``PassportDocument`` (defined here, frozen): the holder, every dose, the
certificate identifier, issuer and validity, and the ``HC1:`` string the QR code carries
(made by the DCC encoder; this module only draws it). ``render_passport`` returns the PDF
bytes of one passport, ``render_passports`` one PDF with a page per passport, for
printing in bulk (the fonts are loaded once, so it is much faster per page).

Rendering: fpdf2 (pure Python, embeds and subsets TrueType fonts). The font is DejaVu
Sans, shipped in ``data/fonts`` cut down to Latin and Vietnamese (see the licence file
there), so no system font is needed and every diacritic of Vietnamese is in it; text is
NFC-normalised first, so a name stored decomposed (NFD) prints with its precomposed
glyphs. The QR code (error correction Q, quiet zone of 4 modules) is made by zxing-cpp's
writer, a C++ library, in 5 ms, where segno's pure-Python encoder takes 115 ms for the
same code (version 17): segno's mask selection was most of a page's rendering time. It
is embedded as a 1-bit image of 8 pixels per module (about 280 dpi at 70 mm).
"""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any, cast

import zxingcpp
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace
from PIL import Image

FONT_FAMILY = "DejaVuSans"
QR_SIZE_MM = 70.0
# Viewers smooth an image magnified much (poppler past 4x), blurring a one-pixel-per-module
# QR code; 8 pixels a module keeps the edges sharp (about 280 dpi).
QR_PIXELS_PER_MODULE = 8


@dataclass(frozen=True)
class PassportDose:
    """One dose as printed: its number in the series and the series total (the DCC's
    ``dn``/``sd``), the day, the vaccine's name and the facility that gave it."""

    dose_number: int
    series_total: int
    date: datetime.date
    vaccine: str
    facility: str


@dataclass(frozen=True)
class PassportDocument:
    """Everything the printed passport shows.

    ``birth_date`` is ISO text as the records hold it ("1957-03-04", or "1957" when only
    the year is known). ``valid_from``/``valid_until`` are the certificate's issued-at and
    expiry (CWT ``iat``/``exp``). ``hc1`` is the complete ``HC1:`` string for the QR code.
    """

    full_name: str
    birth_date: str
    citizen_id: str
    doses: tuple[PassportDose, ...]
    uvci: str
    issuer: str
    valid_from: datetime.date
    valid_until: datetime.date
    hc1: str


class PassportPdfError(ValueError):
    """A passport that cannot be printed."""


def render_passport(document: PassportDocument) -> bytes:
    """The PDF of one passport."""
    return render_passports([document])


def render_passports(documents: Iterable[PassportDocument]) -> bytes:
    """One PDF with a page per passport."""
    pdf = _new_pdf()
    count = 0
    for document in documents:
        _draw_page(pdf, document)
        count += 1
    if count == 0:
        raise PassportPdfError("no passport to render")
    return bytes(pdf.output())


# --- Layout ---------------------------------------------------------------------------

_MARGIN = 16.0
_TEXT = (20, 20, 20)
_MUTED = (90, 90, 90)
_ACCENT = (0, 84, 147)


def _new_pdf() -> FPDF:
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    fonts = resources.files("vaxpass.core") / "data" / "fonts"
    with resources.as_file(fonts / "DejaVuSans-Vietnamese.ttf") as regular:
        pdf.add_font(FONT_FAMILY, "", regular)
    with resources.as_file(fonts / "DejaVuSans-Bold-Vietnamese.ttf") as bold:
        pdf.add_font(FONT_FAMILY, "B", bold)
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.set_auto_page_break(auto=True, margin=_MARGIN)
    pdf.set_title("Chứng nhận tiêm chủng COVID-19 / COVID-19 vaccination certificate")
    pdf.set_creator("vaxpass")
    return pdf


def _draw_page(pdf: FPDF, document: PassportDocument) -> None:
    if not document.doses:
        raise PassportPdfError(f"passport {document.uvci} has no dose")
    if not document.hc1.startswith("HC1:"):
        raise PassportPdfError(f"passport {document.uvci}: the QR content is not an HC1 string")
    pdf.add_page()
    width = pdf.epw

    _text(pdf, "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM", 10, bold=True, align="C")
    _text(pdf, "Độc lập – Tự do – Hạnh phúc", 9, align="C")
    _text(pdf, "SOCIALIST REPUBLIC OF VIET NAM", 8, color=_MUTED, align="C")
    pdf.ln(4)
    _text(pdf, "CHỨNG NHẬN TIÊM CHỦNG COVID-19", 17, bold=True, color=_ACCENT, align="C")
    _text(pdf, "COVID-19 VACCINATION CERTIFICATE", 12, bold=True, color=_ACCENT, align="C")
    pdf.ln(5)

    # Two columns: holder and certificate on the left, the QR code on the right.
    top = pdf.get_y()
    qr_x = pdf.w - _MARGIN - QR_SIZE_MM
    _draw_qr(pdf, document.hc1, x=qr_x, y=top, size=QR_SIZE_MM)
    pdf.set_xy(qr_x, top + QR_SIZE_MM + 0.5)
    pdf.set_font(FONT_FAMILY, "", 7.5)
    pdf.set_text_color(*_MUTED)
    pdf.multi_cell(QR_SIZE_MM, 3.4, "Quét mã QR để kiểm tra\nScan the QR code to verify", align="C")
    qr_bottom = pdf.get_y()

    column = qr_x - _MARGIN - 8
    pdf.set_xy(_MARGIN, top)
    _heading(pdf, "Người được tiêm chủng / Holder", column)
    _field(pdf, "Họ và tên / Name", document.full_name, column, bold=True)
    _field(pdf, "Ngày sinh / Date of birth", _birth_date(document.birth_date), column)
    _field(pdf, "Số định danh cá nhân / Citizen ID", document.citizen_id, column)
    pdf.ln(2)
    _heading(pdf, "Chứng nhận / Certificate", column)
    _field(pdf, "Mã chứng nhận / Certificate identifier", document.uvci, column)
    _field(pdf, "Đơn vị cấp / Issued by", document.issuer, column)
    _field(pdf, "Ngày cấp / Valid from", _date(document.valid_from), column)
    _field(pdf, "Có giá trị đến / Valid until", _date(document.valid_until), column)
    pdf.set_y(max(pdf.get_y(), qr_bottom) + 4)

    _heading(pdf, "Các mũi tiêm / Doses", width)
    _dose_table(pdf, document.doses)
    pdf.ln(4)
    _text(pdf, "Chứng nhận được ký số theo chuẩn Chứng nhận COVID số của EU (EU DCC). Mã QR hết "
          "hạn sau 12 tháng và được cấp lại tự động. Ngày theo định dạng ngày/tháng/năm.", 7.5,
          color=_MUTED)  # fmt: skip
    _text(pdf, "Digitally signed in the EU Digital COVID Certificate format. The QR code expires "
          "after 12 months and is renewed automatically. Dates are day/month/year.", 7.5,
          color=_MUTED)  # fmt: skip


def _text(
    pdf: FPDF,
    text: str,
    size: float,
    *,
    bold: bool = False,
    color: tuple[int, int, int] = _TEXT,
    align: str = "L",
) -> None:
    pdf.set_font(FONT_FAMILY, "B" if bold else "", size)
    pdf.set_text_color(*color)
    text = _nfc(text)
    height = size * 0.45
    if pdf.get_string_width(text) <= pdf.epw:  # one line: cell() skips line breaking
        pdf.cell(0, height, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    else:
        pdf.multi_cell(0, height, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _heading(pdf: FPDF, text: str, width: float) -> None:
    _text(pdf, text, 11, bold=True, color=_ACCENT)
    y = pdf.get_y() + 0.5
    pdf.set_draw_color(*_ACCENT)
    pdf.set_line_width(0.3)
    pdf.line(_MARGIN, y, _MARGIN + width, y)
    pdf.ln(2)


def _field(pdf: FPDF, label: str, value: str, width: float, *, bold: bool = False) -> None:
    """A small grey label with its value below, in a column ``width`` wide."""
    pdf.set_font(FONT_FAMILY, "", 7.5)
    pdf.set_text_color(*_MUTED)
    pdf.cell(width, 3.6, _nfc(label), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT_FAMILY, "B" if bold else "", 12 if bold else 10)
    pdf.set_text_color(*_TEXT)
    value = _nfc(value)
    height = 5.6 if bold else 5.0
    if pdf.get_string_width(value) <= width:
        pdf.cell(width, height, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    else:
        pdf.multi_cell(width, height, value, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1.2)


def _dose_table(pdf: FPDF, doses: tuple[PassportDose, ...]) -> None:
    pdf.set_draw_color(180, 180, 180)
    pdf.set_line_width(0.2)
    pdf.set_text_color(*_TEXT)
    headings = (
        "Mũi / Dose",
        "Ngày tiêm / Date",
        "Vắc-xin / Vaccine",
        "Cơ sở tiêm chủng / Facility",
    )
    pdf.set_font(FONT_FAMILY, "", 9)
    with pdf.table(
        col_widths=(16, 24, 52, 86),
        text_align=("CENTER", "CENTER", "LEFT", "LEFT"),
        line_height=5.2,
        padding=1.2,
        headings_style=FontFace(
            family=FONT_FAMILY, emphasis="BOLD", size_pt=8.5, fill_color=(228, 236, 244)
        ),
        first_row_as_headings=True,
    ) as table:
        table.row(headings)
        for dose in sorted(doses, key=lambda d: (d.date, d.dose_number)):
            table.row(
                (
                    f"{dose.dose_number}/{dose.series_total}",
                    _date(dose.date),
                    _nfc(dose.vaccine),
                    _nfc(dose.facility),
                )
            )


def _draw_qr(pdf: FPDF, content: str, *, x: float, y: float, size: float) -> None:
    pdf.image(qr_image(content), x=x, y=y, w=size, h=size)


def qr_image(content: str, *, scale: int = QR_PIXELS_PER_MODULE) -> Image.Image:
    """The QR code of ``content`` (error correction Q, quiet zone of 4 modules) as a
    black-and-white image of ``scale`` pixels per module."""
    barcode = zxingcpp.create_barcode(content, zxingcpp.BarcodeFormat.QRCode, ec_level="Q")
    # zxing-cpp's Image is a buffer of one byte per pixel; its stubs do not say so.
    pixels = memoryview(cast(Any, barcode.to_image(scale=scale, add_quiet_zones=True)))
    height, width = pixels.shape or (0, 0)
    return Image.frombytes("L", (width, height), pixels.tobytes()).convert("1")


def _birth_date(value: str) -> str:
    """ "1957-03-04" as 04/03/1957; a year alone stays a year."""
    try:
        return _date(datetime.date.fromisoformat(value))
    except ValueError:
        return value


def _date(value: datetime.date) -> str:
    return value.strftime("%d/%m/%Y")


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)
