"""Demo accounts, one per role, placed where the generated data is."""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count

from vaxpass.accounts.models import ApiToken, Role, User
from vaxpass.places.models import Facility, FacilityKind

DEMO_PASSWORD = "vaxpass-demo-2021"


@dataclass
class DemoAccount:
    username: str
    role: str
    scope: str


def _busiest_stations():
    """The two busiest health stations in two different provinces."""
    stations = (
        Facility.objects.filter(kind=FacilityKind.HEALTH_STATION, active=True)
        .annotate(n=Count("doses"))
        .order_by("-n", "code")
        .select_related("legacy_province", "current_province")
    )
    chosen: list[Facility] = []
    for station in stations.iterator():
        province = station.current_province_id or station.legacy_province_id
        if all((c.current_province_id or c.legacy_province_id) != province for c in chosen):
            chosen.append(station)
        if len(chosen) == 2:
            return chosen
    raise RuntimeError("the demo needs health stations in two provinces: generate data first")


@transaction.atomic
def create_demo_accounts() -> tuple[list[DemoAccount], str]:
    a, b = _busiest_stations()
    specs = [
        ("staff_a", Role.FACILITY_STAFF, {"facility": a}),
        ("head_a", Role.FACILITY_HEAD, {"facility": a}),
        ("staff_b", Role.FACILITY_STAFF, {"facility": b}),
        ("police_a", Role.WARD_POLICE, {"division": a.current_ward or a.legacy_ward}),
        ("district_a", Role.DISTRICT_MANAGER, {"division": a.legacy_district}),
        ("province_a", Role.PROVINCE_MANAGER, {"division": a.current_province}),
        ("signer", Role.CENTRAL_SIGNER, {}),
        ("admin", Role.NATIONAL_ADMIN, {}),
    ]
    accounts = []
    for username, role, scope in specs:
        user, _ = User.objects.update_or_create(
            username=username,
            defaults={
                "role": role,
                "facility": scope.get("facility"),
                "division": scope.get("division"),
                "is_staff": role == Role.NATIONAL_ADMIN,
                "is_superuser": role == Role.NATIONAL_ADMIN,
                "first_name": username.split("_")[0].capitalize(),
            },
        )
        user.full_clean(exclude=["password"])
        user.set_password(DEMO_PASSWORD)
        user.save()
        accounts.append(DemoAccount(username, user.get_role_display(), user.scope_label))
    staff_a = User.objects.get(username="staff_a")
    staff_a.api_tokens.update(revoked=True)
    _token, secret = ApiToken.issue(staff_a, "demo facility software")
    return accounts, secret
