"""The review queues: each officer sees the items of their own ward and queue only (other
items answer 404, whatever the URL), decides them on the page, and the dose moves on."""

import pytest

from vaxpass.accounts.models import Role, User
from vaxpass.cleaning.incremental import clean_pending
from vaxpass.cleaning.models import Correction, ItemStatus, Queue, ReviewItem
from vaxpass.core.matching import Policy
from vaxpass.places.models import Facility, FacilityKind
from vaxpass.records.models import Dose, DoseStatus

pytestmark = pytest.mark.django_db


def _listed(client, user) -> set[int]:
    client.force_login(user)
    response = client.get("/review/")
    assert response.status_code == 200
    return {item.pk for item in response.context["page"].object_list}


def test_each_officer_sees_only_their_ward_and_queue(client, personas, items):
    assert _listed(client, personas.police_a) == {items["police_a"].pk}
    assert _listed(client, personas.police_b) == {items["police_b"].pk}
    assert _listed(client, personas.staff_a) == {items["station_a"].pk}
    assert _listed(client, personas.head_a) == {items["station_a"].pk}
    assert _listed(client, personas.staff_b) == set()  # station B: nothing of ward A
    assert _listed(client, personas.admin) == {i.pk for i in items.values()}


@pytest.mark.parametrize(
    "who, other",
    [("police_b", "police_a"), ("police_a", "police_b"), ("police_a", "station_a"),
     ("staff_a", "police_a"), ("staff_b", "station_a")],
)  # fmt: skip
def test_another_wards_items_answer_404_by_url(client, personas, items, who, other):
    client.force_login(getattr(personas, who))
    item = items[other]
    assert client.get(f"/review/{item.pk}/").status_code == 404
    for action in ("confirm", "choose", "correct", "not-found", "send"):
        response = client.post(f"/review/{item.pk}/{action}", {"citizen_id": "001062100001"})
        assert response.status_code == 404, action
    item.refresh_from_db()
    assert item.status == ItemStatus.OPEN


def test_accounts_without_a_queue_are_refused(client, personas, items):
    hospital = Facility(code="BV-A", name="Bệnh viện A", kind=FacilityKind.HOSPITAL)
    hospital.place_in(personas.facility_a.legacy_ward)
    hospital.save()
    nurse = User.objects.create_user("nurse_h", role=Role.FACILITY_STAFF, facility=hospital)
    for user in (nurse, personas.district_a, personas.province_a, personas.signer):
        client.force_login(user)
        assert client.get("/review/").status_code == 403
        assert client.get(f"/review/{items['station_a'].pk}/").status_code == 403
    client.force_login(personas.police_a)
    assert "/review/" in client.get("/").content.decode()  # the header's link
    client.force_login(nurse)
    assert "/review/" not in client.get("/").content.decode()


def test_item_page_shows_captured_next_to_candidates_with_differences(client, personas, items,
                                                                      town):  # fmt: skip
    client.force_login(personas.police_a)
    page = client.get(f"/review/{items['police_a'].pk}/").content.decode()
    assert town.son.full_name in page and town.mother.full_name in page
    assert 'class="diff"' in page  # the mother's name and birth date differ from the typed
    assert "Số CCCD thuộc về người khác" in page  # reasons in Vietnamese by default
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get(f"/review/{items['police_a'].pk}/").content.decode()
    assert "The ID belongs to someone else (often a relative)." in page


def test_police_confirm_a_candidate_and_the_dose_is_verified(client, personas, items, town):
    client.force_login(personas.police_a)
    item = items["police_a"]
    response = client.post(f"/review/{item.pk}/confirm", {"citizen_id": town.son.citizen_id})
    assert response.status_code == 302
    item.dose.refresh_from_db()
    assert (item.dose.status, item.dose.registry_id) == (DoseStatus.VERIFIED, town.son.citizen_id)
    assert client.get("/review/").context["waiting"] == 0


def test_station_corrects_a_field_and_the_dose_is_verified(client, personas, items, town):
    client.force_login(personas.staff_a)
    item = items["station_a"]
    response = client.post(f"/review/{item.pk}/correct",
                           {"field": "citizen_id", "value": "123"})  # fmt: skip
    assert response.status_code == 302
    item.dose.refresh_from_db()
    assert item.dose.status == DoseStatus.RECORDED  # a malformed ID changes nothing
    client.post(f"/review/{item.pk}/correct",
                {"field": "citizen_id", "value": town.neighbour.citizen_id})  # fmt: skip
    item.dose.refresh_from_db()
    assert item.dose.status == DoseStatus.VERIFIED
    assert item.dose.registry_id == town.neighbour.citizen_id
    assert item.dose.captured_name == "Lê Thị Lam"  # as typed, still
    assert item.dose.person.full_name == "Lê Thị Lan"


def test_send_to_the_other_queue_and_mark_not_found(client, personas, items):
    client.force_login(personas.staff_a)
    item = items["station_a"]
    client.post(f"/review/{item.pk}/send", {"note": "ask the police"})
    item.refresh_from_db()
    assert item.queue == Queue.POLICE and item.note == "ask the police"
    assert client.get(f"/review/{item.pk}/").status_code == 404  # not the station's any more
    client.force_login(personas.police_a)
    client.post(f"/review/{item.pk}/not-found", {"note": "moved abroad"})
    item.refresh_from_db()
    assert item.status == ItemStatus.RESOLVED
    assert item.resolution.decision == "not_found" and item.resolution.note == "moved abroad"
    assert item.dose.status == DoseStatus.RECORDED


def test_bulk_confirmation_of_the_proposed_persons(client, personas, town, record):
    # A stricter policy keeps every correction for review: the ID's holder is proposed.
    strict = Policy(name="strict", auto_correct_reasons=frozenset())
    doses = [
        record(name="NGUYEN THI HOA", birth="05/04/1962", citizen_id=town.mother.citizen_id),
        record(name="tran van minh", birth="20/11/1990", citizen_id=town.son.citizen_id),
        record(name="Le Thi Lan", birth="1975", citizen_id=town.neighbour.citizen_id),
    ]
    clean_pending(policy=strict)
    items = list(ReviewItem.objects.filter(dose__in=doses).order_by("pk"))
    assert [i.queue for i in items] == [Queue.STATION] * 3
    assert [i.decision.candidate_id for i in items] == [
        town.mother.citizen_id, town.son.citizen_id, town.neighbour.citizen_id]  # fmt: skip
    client.force_login(personas.staff_a)
    client.post("/review/confirm-best", {"items": [items[0].pk]})  # the ticked one
    statuses = [d.status for d in Dose.objects.filter(pk__in=[d.pk for d in doses]).order_by("pk")]
    assert statuses == [DoseStatus.VERIFIED, DoseStatus.RECORDED, DoseStatus.RECORDED]
    response = client.post("/review/confirm-best", {"all": "1"})  # not ticked "I checked"
    assert Dose.objects.filter(pk=doses[1].pk, status=DoseStatus.RECORDED).exists()
    client.post("/review/confirm-best", {"all": "1", "sure": "1"})
    for dose, expected in zip(doses, (town.mother, town.son, town.neighbour), strict=True):
        dose.refresh_from_db()
        assert (dose.status, dose.registry_id) == (DoseStatus.VERIFIED, expected.citizen_id)
        assert dose.person.full_name == expected.full_name
    assert response.status_code == 302


def test_undo_from_the_page_reopens_the_item(client, personas, items, town):
    client.force_login(personas.police_a)
    item = items["police_a"]
    client.post(f"/review/{item.pk}/confirm", {"citizen_id": town.son.citizen_id})
    correction = Correction.objects.get(dose=item.dose)
    client.force_login(personas.police_b)
    response = client.post(f"/review/corrections/{correction.pk}/undo", {"note": "x"})
    assert response.status_code == 404  # not the people of ward B
    client.force_login(personas.police_a)
    response = client.post(f"/review/corrections/{correction.pk}/undo", {"note": "the nephew"})
    reopened = ReviewItem.objects.get(dose=item.dose, status=ItemStatus.OPEN)
    assert response.url == f"/review/{reopened.pk}/"
    assert reopened.queue == Queue.POLICE
    item.dose.refresh_from_db()
    assert (item.dose.status, item.dose.registry_id) == (DoseStatus.RECORDED, "")


def test_automatic_links_are_found_by_id_and_can_be_undone(client, personas, items, town):
    mother_dose = Dose.objects.get(registry_id=town.mother.citizen_id)  # verified by the run
    client.force_login(personas.police_b)
    page = client.get("/review/doses/", {"q": town.mother.citizen_id})
    # Only the ward B man's dose typed with her ID (in their queue), not her own: she
    # lives in ward A.
    assert page.context["doses"] == [items["police_b"].dose]
    client.force_login(personas.police_a)
    page = client.get("/review/doses/", {"q": town.mother.citizen_id})
    assert mother_dose in page.context["doses"]
    [correction] = Correction.objects.filter(dose=mother_dose)
    assert f"/review/corrections/{correction.pk}/undo" in page.content.decode()
    client.post(f"/review/corrections/{correction.pk}/undo", {"note": "not her"})
    mother_dose.refresh_from_db()
    assert mother_dose.status == DoseStatus.RECORDED
    assert ReviewItem.objects.filter(dose=mother_dose, status=ItemStatus.OPEN).exists()
