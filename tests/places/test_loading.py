"""The administrative divisions loaded from vietnamadminunits: counts, codes, names, and
the roll-up of a 2021 ward to today's province."""

import pytest
from django.db.models import Count, Q

from vaxpass.places.loading import load_places
from vaxpass.places.models import Division, Era, Level, WardSuccession
from vaxpass.places.services import location_path

pytestmark = pytest.mark.django_db


def count(era, level):
    return Division.objects.filter(era=era, level=level).count()


def test_both_structures_are_complete():
    assert count(Era.LEGACY, Level.PROVINCE) == 63
    assert count(Era.LEGACY, Level.DISTRICT) == 696
    assert count(Era.LEGACY, Level.WARD) == 10035
    assert count(Era.CURRENT, Level.PROVINCE) == 34
    assert count(Era.CURRENT, Level.WARD) == 3321
    assert not Division.objects.filter(era=Era.CURRENT, level=Level.DISTRICT).exists()


def test_official_codes_and_vietnamese_names():
    hanoi = Division.objects.get(era=Era.LEGACY, level=Level.PROVINCE, code="01")
    assert hanoi.name == "Thành phố Hà Nội" and hanoi.kind == "Thành phố"
    ward = Division.objects.get(era=Era.LEGACY, level=Level.WARD, code="00004")
    assert ward.full_name == "Phường Trúc Bạch, Quận Ba Đình, Thành phố Hà Nội"
    assert ward.kind == "Phường"
    # The same code means another ward in the current structure.
    assert (
        Division.objects.get(era=Era.CURRENT, level=Level.WARD, code="00004").name
        == "Phường Ba Đình"
    )


def test_every_legacy_ward_has_exactly_one_default_successor():
    per_ward = Division.objects.filter(era=Era.LEGACY, level=Level.WARD).annotate(
        defaults=Count("successors", filter=Q(successors__is_default=True))
    )
    assert not per_ward.exclude(defaults=1).exists()
    assert not WardSuccession.objects.exclude(legacy_ward__era=Era.LEGACY).exists()
    assert not WardSuccession.objects.exclude(current_ward__era=Era.CURRENT).exists()


def test_a_2021_ward_rolls_up_to_todays_province():
    # Hà Giang province merged into Tuyên Quang in 2025.
    ward = Division.objects.filter(era=Era.LEGACY, level=Level.WARD, province__code="02").first()
    path = location_path(ward)
    assert path["legacy_province"].name == "Tỉnh Hà Giang"
    assert path["current_province"].name == "Tỉnh Tuyên Quang"
    assert path["current_ward"].parent == path["current_province"]
    assert path["legacy_district"] == ward.parent


def test_every_unit_has_its_own_and_todays_province():
    assert not Division.objects.filter(Q(province=None) | Q(current_province=None)).exists()
    assert not Division.objects.filter(era=Era.LEGACY, current_province__era=Era.LEGACY).exists()
    merged = (
        Division.objects.filter(era=Era.LEGACY, level=Level.PROVINCE)
        .values("current_province")
        .distinct()
    )
    assert merged.count() == 34


def test_loading_again_changes_nothing_and_keeps_ids():
    before = dict(Division.objects.values_list("pk", "name"))
    summary = load_places()
    assert (summary.created, summary.updated) == (0, 0)
    assert dict(Division.objects.values_list("pk", "name")) == before


def test_loading_repairs_a_renamed_unit():
    ward = Division.objects.get(era=Era.CURRENT, level=Level.WARD, code="00004")
    Division.objects.filter(pk=ward.pk).update(name="typo")
    summary = load_places()
    assert summary.updated == 1
    ward.refresh_from_db()
    assert ward.name == "Phường Ba Đình"
