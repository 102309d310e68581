"""Seeds the look-up journey on the live server: a person at facility E2E-B whose dose is
verified and waits for the facility's signature (E2E-A's doses belong to the signing test). Run as a script with the server's
environment."""

import os
from datetime import date

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vaxpass.settings")
django.setup()

from vaxpass.accounts.models import User  # noqa: E402
from vaxpass.places.models import Facility  # noqa: E402
from vaxpass.records.models import Dose, DoseStatus  # noqa: E402
from vaxpass.records.services import DoseRequest, Identity, record_dose  # noqa: E402

facility = Facility.objects.get(code="E2E-B")
dose = record_dose(
    User.objects.get(username="staff_b"),
    DoseRequest(
        facility=facility,
        product="EU/1/20/1528",
        given_on=date(2021, 10, 5),
        identity=Identity(
            full_name="Hoàng Thị Tra Cứu", birth_date="07/08/1985", citizen_id="079185000777"
        ),
    ),
).dose
Dose.objects.filter(pk=dose.pk).update(status=DoseStatus.VERIFIED, registry_id="079185000777")
print(facility.name)
