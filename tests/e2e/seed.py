"""Seeds the end-to-end server's database: two facilities in two provinces, their staff,
and a family registered at facility A under one shared phone. Run as a script."""

import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vaxpass.settings")
django.setup()

from vaxpass.accounts.models import Role, User  # noqa: E402
from vaxpass.places.models import Division, Era, Facility, FacilityKind, Level  # noqa: E402
from vaxpass.records.services import Identity, register_people  # noqa: E402


def station(code: str, province_code: str) -> Facility:
    ward = (
        Division.objects.filter(era=Era.LEGACY, level=Level.WARD, province__code=province_code)
        .order_by("code")
        .first()
    )
    facility = Facility(code=code, name=f"Trạm Y tế {ward.name}", kind=FacilityKind.HEALTH_STATION)
    facility.place_in(ward)
    facility.save()
    return facility


def staff(username: str, facility: Facility) -> User:
    user = User(username=username, role=Role.FACILITY_STAFF, facility=facility)
    user.set_password(sys.argv[1])
    user.save()
    return user


a, b = station("E2E-A", "01"), station("E2E-B", "79")
staff_a = staff("staff_a", a)
staff("staff_b", b)
register_people(
    actor=staff_a,
    phone="0912000111",
    facility=a,
    people=[
        Identity(full_name="Nguyễn Văn An", birth_date="1970", citizen_id="001070000001"),
        Identity(full_name="Trần Thị Bích", birth_date="12/05/1972", citizen_id="001172000002"),
        Identity(full_name="Nguyễn Minh Châu", birth_date="03/09/2008", citizen_id="001208000003"),
    ],
)
