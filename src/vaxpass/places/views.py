from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from vaxpass.accounts.models import FACILITY_ROLES
from vaxpass.places.forms import FieldSiteForm
from vaxpass.places.services import PlaceError, add_field_site, find_ward, search_facilities
from vaxpass.records.scopes import facilities_in_scope


@login_required
def facility_list(request):
    query = request.GET.get("q", "")
    qs = search_facilities(query, facilities_in_scope(request.user))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "places/facilities.html", {"page": page, "query": query})


@login_required
def add_site(request):
    user = request.user
    if user.role not in FACILITY_ROLES or not user.facility_id:
        raise PermissionDenied(_("Only facility staff add field sites."))
    form = FieldSiteForm(
        request.POST or None,
        initial={
            "ward_code": user.facility.current_ward.code if user.facility.current_ward_id else ""
        },
    )
    if request.method == "POST" and form.is_valid():
        ward = find_ward(form.cleaned_data["ward_code"])
        if ward is None:
            form.add_error("ward_code", _("Unknown ward code."))
        else:
            try:
                site = add_field_site(
                    actor=user,
                    name=form.cleaned_data["name"],
                    kind=form.cleaned_data["kind"],
                    ward=ward,
                    parent=user.facility,
                )
            except PlaceError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, _("Site %(code)s added.") % {"code": site.code})
                return redirect("places:facilities")
    return render(request, "places/add_site.html", {"form": form})
