"""The printable passport: Vietnamese text that survives extraction, the QR code that
decodes back to the HC1 string, embedded fonts."""

import datetime
import io
import shutil
import subprocess
import unicodedata

import pytest
from pypdf import PdfReader

from vaxpass.core.passport_pdf import (
    PassportDocument,
    PassportDose,
    PassportPdfError,
    qr_image,
    render_passport,
    render_passports,
)

zxingcpp = pytest.importorskip("zxingcpp")

# A real HC1 string's shape: base45 alphabet, about 600 characters (QR version 17).
HC1 = "HC1:" + ("NCFOXN%TS3DH3ZSUZK+.V0ETD%65NL-AH-R6IOO6+IMQ8AA1H9K9%:8M/U-1KF2HHJ 0LV*L3" * 8)
ISSUER = "Bộ Y tế – Cục Y tế dự phòng / Ministry of Health – Department of Preventive Medicine"


def hoa() -> PassportDocument:
    return PassportDocument(
        full_name="Nguyễn Thị Hoà",
        birth_date="1957-03-04",
        citizen_id="001157012345",
        doses=(
            PassportDose(
                2,
                2,
                datetime.date(2021, 10, 28),
                "Comirnaty (Pfizer-BioNTech)",
                "Bệnh viện Bạch Mai",
            ),
            PassportDose(
                1,
                2,
                datetime.date(2021, 8, 12),
                "Vaxzevria (AstraZeneca)",
                "Trạm Y tế phường Trúc Bạch, quận Ba Đình, Hà Nội",
            ),
            PassportDose(
                3, 3, datetime.date(2022, 3, 9), "Spikevax (Moderna)", "Trung tâm Y tế quận Đống Đa"
            ),
        ),
        uvci="URN:UVCI:01:VN:DTM8QZNJ6W2CL9R4#M",
        issuer=ISSUER,
        valid_from=datetime.date(2026, 12, 1),
        valid_until=datetime.date(2027, 12, 1),
        hc1=HC1,
    )


def thuy() -> PassportDocument:
    return PassportDocument(
        # Stored decomposed (NFD), as some legacy records are: it must print composed.
        full_name=unicodedata.normalize("NFD", "Đặng Văn Thuỷ"),
        birth_date="1948",
        citizen_id="079048000123",
        doses=(
            PassportDose(
                1, 2, datetime.date(2021, 9, 1), "Vero Cell (Sinopharm)", "Bệnh viện Chợ Rẫy"
            ),
        ),
        uvci="URN:UVCI:01:VN:7Q2K9W4MZX1T8H3N#C",
        issuer=ISSUER,
        valid_from=datetime.date(2026, 12, 1),
        valid_until=datetime.date(2027, 12, 1),
        hc1="HC1:6BFOXN*TS0BI$ZDYSHTRMM7QXSUJCQF*8OJENDC2LE $CSK9TXTA4DGL9.*HB0E/GPWBILC9GGBY",
    )


def page_text(pdf: bytes, page: int = 0) -> str:
    return PdfReader(io.BytesIO(pdf)).pages[page].extract_text()


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return render_passport(hoa())


def test_vietnamese_and_english_text_is_in_the_pdf(pdf):
    text = page_text(pdf)
    for expected in [
        "Nguyễn Thị Hoà",
        "Bệnh viện Bạch Mai",
        "Trạm Y tế phường Trúc Bạch, quận Ba Đình, Hà Nội",
        "CHỨNG NHẬN TIÊM CHỦNG COVID-19",
        "COVID-19 VACCINATION CERTIFICATE",
        "URN:UVCI:01:VN:DTM8QZNJ6W2CL9R4#M",
        "001157012345",
        "04/03/1957",
        "Cục Y tế dự phòng",
        "Họ và tên / Name",
        "Ngày sinh / Date of birth",
        "Citizen ID",
        "Certificate identifier",
        "Valid from",
        "Valid until",
        "01/12/2027",
        "Comirnaty (Pfizer-BioNTech)",
        "Vaxzevria (AstraZeneca)",
    ]:
        assert expected in text, expected
    # Every dose, one table row each, in date order, with its number in the series.
    rows = [line for line in text.splitlines() if line[:4] in ("1/2 ", "2/2 ", "3/3 ")]
    assert rows == [
        "1/2 12/08/2021 Vaxzevria (AstraZeneca) Trạm Y tế phường Trúc Bạch, quận Ba Đình, Hà Nội",
        "2/2 28/10/2021 Comirnaty (Pfizer-BioNTech) Bệnh viện Bạch Mai",
        "3/3 09/03/2022 Spikevax (Moderna) Trung tâm Y tế quận Đống Đa",
    ]


def test_a_batch_has_a_page_per_passport_and_nfd_names_print_composed():
    pdf = render_passports([hoa(), thuy()])
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 2
    assert "Nguyễn Thị Hoà" in page_text(pdf, 0)
    second = page_text(pdf, 1)
    assert "Đặng Văn Thuỷ" in second
    assert "Bệnh viện Chợ Rẫy" in second
    assert "1948" in second and "URN:UVCI:01:VN:7Q2K9W4MZX1T8H3N#C" in second


def test_fonts_are_embedded_not_taken_from_the_system(pdf):
    reader = PdfReader(io.BytesIO(pdf))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    names = []
    for font in fonts.values():
        font = font.get_object()
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor  # the TrueType program is in the file
        names.append(str(font["/BaseFont"]))
    # Subset prefixes ("MPDFAA+") show the fonts carry only the glyphs used.
    assert sorted(name.split("+")[1] for name in names) == ["DejaVuSansBold", "DejaVuSansBook"]


def test_embedded_qr_image_decodes_to_the_hc1_string(pdf):
    images = PdfReader(io.BytesIO(pdf)).pages[0].images
    assert len(images) == 1
    results = zxingcpp.read_barcodes(images[0].image)
    assert [r.text for r in results] == [HC1]
    assert results[0].ec_level == "Q"


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) missing")
def test_qr_decodes_from_a_rendering_of_the_page(pdf, tmp_path):
    from PIL import Image

    (tmp_path / "passport.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-singlefile", "passport.pdf", "page"],
        cwd=tmp_path,
        check=True,
    )
    page = Image.open(tmp_path / "page.png")
    assert abs(page.size[0] - 1240) <= 1 and abs(page.size[1] - 1754) <= 1  # A4, 150 dpi
    results = zxingcpp.read_barcodes(page, formats=zxingcpp.BarcodeFormat.QRCode)
    assert [r.text for r in results] == [HC1]


def test_qr_image_has_a_quiet_zone_and_error_correction_q():
    image = qr_image("HC1:ABC", scale=1)
    assert image.size == (29, 29)  # version 1 (21 modules) and 4 modules each side
    assert all(image.getpixel((x, 0)) == 255 for x in range(29))
    decoded = zxingcpp.read_barcodes(qr_image("HC1:ABC", scale=4))
    assert decoded[0].text == "HC1:ABC" and decoded[0].ec_level == "Q"


def test_unprintable_passports_are_refused():
    document = hoa()
    with pytest.raises(PassportPdfError, match="no dose"):
        render_passport(
            PassportDocument(**{**document.__dict__, "doses": ()})  # noqa: PIE804
        )
    with pytest.raises(PassportPdfError, match="not an HC1"):
        render_passport(PassportDocument(**{**document.__dict__, "hc1": "HC2:XYZ"}))
    with pytest.raises(PassportPdfError, match="no passport"):
        render_passports([])


def test_seven_doses_with_long_facility_names_fit_on_one_page():
    document = hoa()
    doses = tuple(
        PassportDose(
            n,
            7,
            datetime.date(2021, 8, 1) + datetime.timedelta(days=60 * n),
            "Comirnaty (Pfizer-BioNTech)",
            "Trung tâm Y tế quận Đống Đa – điểm tiêm lưu động số 4, Nhà văn hoá phường Quang Trung",
        )
        for n in range(1, 8)
    )
    pdf = render_passport(PassportDocument(**{**document.__dict__, "doses": doses}))
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    assert "7/7" in page_text(pdf)
