"""Pages of signing and passports. Thin: queries from scopes, changes from services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from vaxpass.accounts.models import NATION_ROLES
from vaxpass.passports import documents, issuing, signing
from vaxpass.passports.models import AutoSignRule, Certificate, CertificateStatus
from vaxpass.records.scopes import people_in_scope

# Above this many, signing runs as a background job and the page does not wait.
INLINE_LIMIT = 5000


def _require_head(user):
    if not signing.may_sign(user):
        raise PermissionDenied(_("Only a facility head may sign doses."))


@login_required
def sign_page(request):
    _require_head(request.user)
    waiting = signing.awaiting_signature(request.user).select_related("person", "facility")
    page = Paginator(waiting.order_by("given_on", "pk"), 50).get_page(request.GET.get("page"))
    rule = AutoSignRule.objects.filter(facility=request.user.facility).first()
    return render(
        request,
        "passports/sign.html",
        {"page": page, "waiting": page.paginator.count, "rule": rule},
    )


@login_required
@require_POST
def sign_all(request):
    user = request.user
    _require_head(user)
    expected = int(request.POST.get("count") or 0)
    if not request.POST.get("confirm"):
        messages.error(request, _("Tick the confirmation box to sign."))
        return redirect("passports:sign")
    if expected > INLINE_LIMIT:
        from vaxpass.passports.tasks import sign_for_head

        sign_for_head.enqueue(user.pk)
        messages.success(
            request,
            _(
                "%(n)s doses are being signed in the background; reload this page to see what is left."
            )
            % {"n": expected},
        )
        return redirect("passports:sign")
    count = signing.sign_doses(user=user)
    messages.success(
        request, ngettext("%(n)s dose signed.", "%(n)s doses signed.", count) % {"n": count}
    )
    return redirect("passports:sign")


@login_required
@require_POST
def auto_sign(request):
    _require_head(request.user)
    enabled = request.POST.get("enabled") == "1"
    signing.set_auto_sign(user=request.user, enabled=enabled)
    messages.success(
        request,
        _("Verified doses will now be signed automatically.")
        if enabled
        else _("Automatic signing is off."),
    )
    return redirect("passports:sign")


def _certificates_in_scope(user):
    return Certificate.objects.filter(person__in=people_in_scope(user))


@login_required
def certificates(request):
    status = request.GET.get("status") or CertificateStatus.VALID
    shown = _certificates_in_scope(request.user).filter(status=status).select_related("person")
    page = Paginator(shown.order_by("-issued_at", "-pk"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "passports/certificates.html",
        {"page": page, "status": status, "statuses": CertificateStatus.choices},
    )


@login_required
def certificate_file(request, pk: int, form: str):
    if form not in documents.FORMATS:
        raise Http404
    certificate = get_object_or_404(_certificates_in_scope(request.user), pk=pk)
    response = HttpResponse(documents.render(certificate, form), documents.CONTENT_TYPES[form])
    ending = {"hc1": "txt", "fhir": "json"}.get(form, form)
    name = f"passport-{certificate.person.registry_id or certificate.pk}.{ending}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
def revoke(request, pk: int):
    if request.user.role not in NATION_ROLES:
        raise PermissionDenied(_("Only the central signing office revokes passports."))
    reason = request.POST.get("reason", "").strip()
    if not reason:
        messages.error(request, _("Give the reason for the revocation."))
        return redirect("passports:certificates")
    certificate = get_object_or_404(_certificates_in_scope(request.user), pk=pk)
    if issuing.revoke_certificates(Certificate.objects.filter(pk=certificate.pk), reason=reason):
        messages.success(request, _("Passport %(uvci)s revoked.") % {"uvci": certificate.uvci})
    return redirect("passports:certificates")
