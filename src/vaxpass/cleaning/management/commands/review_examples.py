"""Demo only: record a few doses at a health station that cleaning cannot settle alone,
so the station's and the ward police's review queues have something to show.

The generated backlog is cleaned almost entirely automatically (about 0.02 % goes to
review, spread over the whole country), so the demo's own ward would show empty queues.
The examples are made from registry people of the station's ward, as records are
typically mistyped: for the ward police, a child's dose typed with a parent's ID and only
the birth year; for the station, a dose without an ID and with only the birth year.
Each kind of mistake is tried on one person after another, with the engine's own
decision (the saved model, or stage 1 alone), until it leaves the case to a person:
the model is often sure even then, and those people get no example. Running the command
again adds nothing.
"""

from collections.abc import Callable
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from vaxpass.accounts.models import User
from vaxpass.adapters.registry import RegistryPerson
from vaxpass.cleaning.incremental import clean_pending, latest_model, stage1_only
from vaxpass.cleaning.models import Queue, ReviewItem
from vaxpass.cleaning.routing import queue_for
from vaxpass.cleaning.scopes import station_of
from vaxpass.core.identity import name_key
from vaxpass.core.matching import CapturedIdentity, Decision, Reason
from vaxpass.linkage.incremental import IncrementalCleaner
from vaxpass.records.models import Dose
from vaxpass.records.registry import get_registry, registry_admin
from vaxpass.records.services import DoseRequest, Identity, RecordError, record_dose

KEY = "review-example-"
Typed = tuple[str, str, str, str]  # citizen ID, name, birth date, sex as typed


def _upper_plain(name: str) -> str:
    return name_key(name).upper()


POLICE_MISTAKES: list[Callable[[RegistryPerson, RegistryPerson], Typed]] = [
    lambda parent, child: (parent.citizen_id, child.full_name, child.birth_date[:4], child.sex),
    lambda parent, child: (parent.citizen_id, child.full_name, child.birth_date[:4], ""),
    lambda parent, child: (parent.citizen_id, _upper_plain(child.full_name), child.birth_date[:4], ""),
]  # fmt: skip
STATION_MISTAKES: list[Callable[[RegistryPerson], Typed]] = [
    lambda person: ("", person.full_name, person.birth_date[:4], ""),
    lambda person: ("", _upper_plain(person.full_name), person.birth_date[:4], ""),
    lambda person: ("", _upper_plain(person.full_name), person.birth_date[:4], person.sex),
]


class Command(BaseCommand):
    help = "Demo only: doses for the review queues of a staff account's health station."

    def add_arguments(self, parser):
        parser.add_argument("--staff", required=True, help="username of the station's staff")
        parser.add_argument("--each", type=int, default=3, help="examples per queue")

    def handle(self, *args, staff, each, **options):
        try:
            nurse = User.objects.get(username=staff)
        except User.DoesNotExist:
            raise CommandError(f"--staff: no account {staff!r}") from None
        station = station_of(nurse)
        if station is None or station.current_ward is None:
            raise CommandError(f"--staff: {staff} does not work at a ward health station")
        if Dose.objects.filter(entered_by=nurse, idempotency_key__startswith=KEY).exists():
            self.stdout.write("review examples already recorded")
            return
        ward, province = station.current_ward.code, station.current_province.code
        households: dict[str, list[RegistryPerson]] = {}
        for people in registry_admin().iter_people():
            for person in people:
                if person.ward_code == ward and len(person.birth_date) == 10:
                    households.setdefault(person.household_id, []).append(person)
        today = timezone.localdate()
        registry, model = get_registry(), latest_model()
        cleaner = (
            IncrementalCleaner(registry, model, registry_size=registry.count(), today=today)
            if model
            else None
        )

        def queue_of(typed: Typed) -> str | None:
            """The queue the engine would send this record to, None if it decides it."""
            cid, name, birth, sex = typed
            captured = CapturedIdentity(cid, name, birth, sex, "", province, ward)
            if cleaner is not None:
                [decision] = cleaner.decide({"example": captured})
            else:
                [decision], _found = stage1_only(registry, {"example": captured}, today=today)
            if decision.decision is not Decision.REVIEW:
                return None
            entries = list(decision.candidates) or (
                [decision] if Reason.ID_OF_OTHER_PERSON in decision.reasons else []
            )
            return queue_for(decision.stage, decision.reasons, entries)

        chosen: list[Typed] = []
        for queue, mistakes, cases in (
            (Queue.POLICE, POLICE_MISTAKES, [h[:2] for h in households.values() if len(h) >= 2]),
            (Queue.STATION, STATION_MISTAKES, [h[:1] for h in households.values()]),
        ):
            found = 0
            for people in cases:
                typed = next((t for m in mistakes if queue_of(t := m(*people)) == queue), None)
                if typed is not None:
                    chosen.append(typed)
                    found += 1
                if found == each:
                    break
        recorded = []
        for number, (cid, name, birth, sex) in enumerate(chosen, start=1):
            identity = Identity(full_name=name, birth_date=birth, citizen_id=cid, sex=sex,
                                ward=station.legacy_ward or station.current_ward)  # fmt: skip
            request = DoseRequest(
                facility=station, product="EU/1/20/1528", given_on=date(2022, 11, 10 + number),
                identity=identity, idempotency_key=f"{KEY}{number}",
                override_reason="demo example",
            )  # fmt: skip
            try:
                recorded.append(record_dose(nurse, request).dose)
            except RecordError as error:
                self.stderr.write(f"example {number} not recorded: {error}")
        while clean_pending()[0]:
            pass
        waiting = ReviewItem.objects.filter(dose__in=recorded, status="open").count()
        self.stdout.write(f"{waiting} review examples at {station}")
