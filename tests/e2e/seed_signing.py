"""Seeds what the signing journey needs on the live server: the national keys, a facility
head at facility E2E-A, and 250 people with two verified doses each there (500 doses).
Run as a script with the server's environment; prints the number of doses."""

import os
import sys
from datetime import date

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vaxpass.settings")
django.setup()

from vaxpass.accounts.models import Role, User  # noqa: E402
from vaxpass.core.identity import make_cccd  # noqa: E402
from vaxpass.passports.keys import init_national_pki  # noqa: E402
from vaxpass.passports.publishing import publish_all  # noqa: E402
from vaxpass.places.models import Facility  # noqa: E402
from vaxpass.records.models import Dose, DoseStatus, Person  # noqa: E402
from vaxpass.records.services import DoseRequest, Identity, record_dose  # noqa: E402

PEOPLE = 250
init_national_pki()
publish_all()
facility = Facility.objects.get(code="E2E-A")
head = User(username="head_a", role=Role.FACILITY_HEAD, facility=facility)
head.set_password(sys.argv[1])
head.save()
nurse = User.objects.get(username="staff_a")
for n in range(PEOPLE):
    citizen_id = make_cccd("001", "M" if n % 2 else "F", 1960 + n % 40, 500000 + n)
    identity = Identity(
        full_name=f"Phạm Thị Ký {n:03d}" if n % 2 == 0 else f"Đỗ Văn Ký {n:03d}",
        birth_date=f"{1960 + n % 40}",
        citizen_id=citizen_id,
    )
    first = record_dose(
        nurse,
        DoseRequest(
            facility=facility, product="EU/1/21/1529", given_on=date(2021, 7, 1), identity=identity
        ),
    ).dose
    person = Person.objects.get(pk=first.person_id)
    record_dose(
        nurse,
        DoseRequest(
            facility=facility, product="EU/1/21/1529", given_on=date(2021, 9, 1), person=person
        ),
    )
    person.registry_id = citizen_id
    person.save()
    # What cleaning does for a dose matched to the registry.
    Dose.objects.filter(person=person).update(status=DoseStatus.VERIFIED, registry_id=citizen_id)
print(Dose.objects.filter(facility=facility, status=DoseStatus.VERIFIED).count())
