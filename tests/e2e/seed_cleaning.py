"""Seeds what the cleaning journeys need on the live server: a health station E2E-C of
its own (so other journeys' counts at E2E-A stay theirs) with a nurse, a ward police
officer for its ward, a few registry people of that ward, and two doses recorded at
E2E-C that cleaning cannot settle alone: a son's dose typed with his mother's ID (ward
police queue) and a neighbour's dose with the ID and the name mistyped (health station
queue). Cleans them as the background job would; prints the items as JSON."""

import json
import os
import sys
from datetime import date

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vaxpass.settings")
django.setup()

from vaxpass.accounts.models import Role, User  # noqa: E402
from vaxpass.cleaning.incremental import clean_pending  # noqa: E402
from vaxpass.cleaning.models import ReviewItem  # noqa: E402
from vaxpass.core.identity import make_cccd, name_key  # noqa: E402
from vaxpass.places.models import Division, Era, Facility, FacilityKind, Level  # noqa: E402
from vaxpass.records.registry import registry_admin  # noqa: E402
from vaxpass.records.services import DoseRequest, Identity, record_dose  # noqa: E402

taken = Facility.objects.get(code="E2E-A").current_ward_id
legacy = next(
    w
    for w in Division.objects.filter(era=Era.LEGACY, level=Level.WARD, province__code="01")
    .order_by("code")
    .iterator()
    if w.successors.filter(is_default=True).exclude(current_ward_id=taken).exists()
)
facility = Facility(code="E2E-C", name=f"Trạm Y tế {legacy.name}", kind=FacilityKind.HEALTH_STATION)
facility.place_in(legacy)
facility.save()
ward = facility.current_ward
accounts = {"police_c": {"role": Role.WARD_POLICE, "division": ward},
            "staff_c": {"role": Role.FACILITY_STAFF, "facility": facility}}  # fmt: skip
for username, scope in accounts.items():
    user = User(username=username, **scope)
    user.set_password(sys.argv[1])
    user.save()
nurse = User.objects.get(username="staff_c")

mother = (make_cccd("001", "F", 1958, 710001), "Hoàng Thị Duyên", "1958-06-14", "F")
son = (make_cccd("001", "M", 1986, 710002), "Vũ Đức Khánh", "1986-09-23", "M")
neighbour = (make_cccd("001", "F", 1979, 710003), "Đinh Thị Hạnh", "1979-01-30", "F")
rows = [
    (cid, "", name, name_key(name), birth, sex, ward.code, household, "0913777000")
    for (cid, name, birth, sex), household in ((mother, "E2E-H1"), (son, "E2E-H1"),
                                               (neighbour, "E2E-H2"))
]  # fmt: skip
registry_admin().create()
registry_admin().load_rows(rows, replace=False)


def dose(name: str, birth: str, citizen_id: str, sex: str, given_on: date):
    identity = Identity(full_name=name, birth_date=birth, citizen_id=citizen_id, sex=sex,
                        ward=facility.legacy_ward)  # fmt: skip
    request = DoseRequest(facility=facility, product="EU/1/20/1528", given_on=given_on,
                          identity=identity, override_reason="e2e")  # fmt: skip
    return record_dose(nurse, request).dose


dose(mother[1], "14/06/1958", mother[0], "F", date(2021, 8, 2))
son_dose = dose(son[1], "23/09/1986", mother[0], "M", date(2021, 8, 2))  # his mother's ID
wrong_id = neighbour[0][:-1] + str((int(neighbour[0][-1]) + 3) % 10)
neighbour_dose = dose("Đinh Thị Hạng", "30/01/1979", wrong_id, "F", date(2021, 8, 3))
while clean_pending()[0]:
    pass
print(json.dumps({
    "police_item": ReviewItem.objects.get(dose=son_dose, status="open").pk,
    "station_item": ReviewItem.objects.get(dose=neighbour_dose, status="open").pk,
    "son_id": son[0],
    "neighbour_id": neighbour[0],
}))  # fmt: skip
