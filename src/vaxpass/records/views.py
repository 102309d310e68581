"""Staff pages. Thin: every query comes from scopes, every change from services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from vaxpass.accounts.models import FACILITY_ROLES, RECORDING_ROLES, Role
from vaxpass.core.vaccines import PRODUCTS
from vaxpass.records import stages
from vaxpass.records.forms import DoseForm, PersonFormSet, RegistrationForm
from vaxpass.records.models import DoseStage, DoseStatus
from vaxpass.records.scopes import doses_in_scope, facilities_in_scope, people_in_scope
from vaxpass.records.services import (
    DoseRequest,
    Identity,
    RecordError,
    dose_history,
    find_people,
    record_dose,
    register_people,
    suggest_dose_number,
)


def _require_recorder(user):
    if user.role not in RECORDING_ROLES or not user.facility_id:
        raise PermissionDenied(_("Only facility staff record doses."))


@login_required
def home(request):
    user = request.user
    doses = doses_in_scope(user)
    by_stage = stages.stage_counts(doses)
    context = {
        "status_counts": [(label, by_stage.get(value, 0)) for value, label in DoseStage.choices],
        "dose_total": sum(by_stage.values()),
        "recent": stages.with_stage(doses)
        .select_related("facility", "person")
        .order_by("-created_at", "-id")[:10],
        "is_recorder": user.role in RECORDING_ROLES,
    }
    if user.role in FACILITY_ROLES:
        context["today_count"] = doses.filter(given_on=timezone.localdate()).count()
    elif user.role == Role.WARD_POLICE:
        context["people_count"] = people_in_scope(user).count()
    else:
        context["facilities"] = (
            facilities_in_scope(user)
            .annotate(
                n_doses=Count("doses"),
                n_recorded=Count("doses", filter=Q(doses__status=DoseStatus.RECORDED)),
            )
            .order_by("-n_doses", "code")[:25]
        )
    return render(request, f"records/home_{_home_kind(user)}.html", context)


def _home_kind(user) -> str:
    if user.role in FACILITY_ROLES:
        return "facility"
    if user.role == Role.WARD_POLICE:
        return "police"
    return "area"


@login_required
def find_person(request):
    _require_recorder(request.user)
    query = request.GET.get("q", "")
    people = list(find_people(request.user, query)[:50]) if query else []
    return render(request, "records/find.html", {"query": query, "people": people})


@login_required
def record(request, person_id: int):
    user = request.user
    _require_recorder(user)
    person = get_object_or_404(people_in_scope(user).select_related("registration"), pk=person_id)
    warnings = []
    if request.method == "POST":
        form = DoseForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = record_dose(
                    user,
                    DoseRequest(
                        facility=user.facility,
                        product=data["product"],
                        lot=data["lot"],
                        given_on=data["given_on"],
                        dose_number=data["dose_number"],
                        person=person,
                        override_reason=data["override_reason"],
                    ),
                )
            except RecordError as error:
                for problem in error.problems:
                    if problem.severity == "warning":
                        warnings.append(problem)
                    else:
                        form.add_error(
                            problem.field if problem.field in form.fields else None, problem.message
                        )
            else:
                messages.success(
                    request,
                    _("Dose %(n)s of %(product)s recorded for %(name)s.")
                    % {
                        "n": result.dose.dose_number,
                        "product": PRODUCTS[result.dose.product].vn_name,
                        "name": person.full_name,
                    },
                )
                return redirect("records:find")
    else:
        last_lot = (
            doses_in_scope(user)
            .filter(facility=user.facility)
            .order_by("-id")
            .values_list("product", "lot")
            .first()
        )
        form = DoseForm(
            initial={
                "dose_number": suggest_dose_number(person),
                "product": last_lot[0] if last_lot else "",
                "lot": last_lot[1] if last_lot else "",
            }
        )
    household = []
    if person.registration_id:
        household = (
            people_in_scope(user)
            .filter(registration_id=person.registration_id)
            .exclude(pk=person.pk)
        )
    return render(
        request,
        "records/record.html",
        {
            "person": person,
            "form": form,
            "warnings": warnings,
            "household": household,
            "history": person.doses.select_related("facility").order_by("given_on"),
            "history_facts": dose_history(person),
        },
    )


@login_required
def register(request):
    user = request.user
    _require_recorder(user)
    form = RegistrationForm(request.POST or None)
    formset = PersonFormSet(request.POST or None, prefix="p")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        people = [
            Identity(**{k: v for k, v in f.cleaned_data.items()}, ward=user.facility.ward)
            for f in formset
            if f.cleaned_data
        ]
        try:
            registration = register_people(
                actor=user, phone=form.cleaned_data["phone"], people=people, facility=user.facility
            )
        except RecordError as error:
            for problem in error.problems:
                form.add_error(None, f"{problem.field}: {problem.message}")
        else:
            first = registration.people.order_by("id").first()
            messages.success(
                request,
                _("%(n)s people registered under %(phone)s.")
                % {"n": registration.people.count(), "phone": registration.phone},
            )
            return redirect("records:record", person_id=first.pk)
    return render(request, "records/register.html", {"form": form, "formset": formset})


@login_required
def dose_list(request):
    qs = stages.with_stage(doses_in_scope(request.user))
    qs = qs.select_related("facility", "person").order_by("-given_on", "-id")
    status = request.GET.get("status")
    if status in DoseStage.values:
        qs = stages.in_stage(qs, status)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "records/doses.html",
        {"page": page, "status": status, "statuses": DoseStage.choices, "products": PRODUCTS},
    )
