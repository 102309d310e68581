"""The verifier page for border officers and venues, its service worker, and the
published trust and revocation lists it reads.

The page checks everything in the browser (vaxpass/portal/js): the server only hands it
the national CA certificate, which anchors the signed lists, and the files themselves.
"""

import base64
import functools
import hashlib
import json
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from vaxpass.core.vaccines import MEDICINAL_PRODUCTS
from vaxpass.portal.messages import verifier_messages

# The passports app writes these (vaxpass.passports.publishing), atomically replaced.
CA_CERTIFICATE = "ca.pem"
# Verifiers refresh every 15 minutes; a revocation reaches them within max-age of that.
LIST_CACHE_CONTROL = "public, max-age=300"
# What the service worker keeps for offline use, besides the page itself.
OFFLINE_ASSETS = ("portal/verifier.js", "portal/verifier.css", "vaxpass/site.css")


def published_dir() -> Path:
    return Path(settings.DATA_DIR) / "published"


def _ca_certificate_base64() -> str | None:
    """The national CA certificate as base64 DER, or None when it is not published (or
    unreadable: the page then says it cannot check lists rather than trusting anything)."""
    try:
        pem = (published_dir() / CA_CERTIFICATE).read_bytes()
        certificate = x509.load_pem_x509_certificate(pem)
    except (OSError, ValueError):
        return None
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()


def verifier(request):
    """The verifier page: public, no login."""
    config = {
        "language": get_language(),
        "caCertificate": _ca_certificate_base64(),
        "trustListUrl": reverse("portal:trustlist"),
        "revocationsUrl": reverse("portal:revocations"),
        "serviceWorkerUrl": reverse("portal:service_worker"),
        "scope": reverse("portal:verify"),
        "messages": verifier_messages(),
        "products": {code: value["display"] for code, value in MEDICINAL_PRODUCTS.items()},
    }
    return render(request, "portal/verify.html", {"config": config})


@functools.cache
def _assets_version() -> str:
    """A digest of the cached assets: a new deployment makes a new service worker, which
    replaces the old offline copy. Computed once per process (files change on deploy)."""
    digest = hashlib.sha256()
    for asset in OFFLINE_ASSETS:
        path = finders.find(asset)
        digest.update(Path(path).read_bytes() if path else asset.encode())
    return digest.hexdigest()[:16]


@require_safe
def service_worker(request):
    """Served under /verify/ (not /static/) so its scope covers the page."""
    assets = [reverse("portal:verify")] + [static(asset) for asset in OFFLINE_ASSETS]
    response = render(
        request,
        "portal/sw.js",
        {"version": _assets_version(), "assets": json.dumps(assets), "page": json.dumps(assets[0])},
        content_type="text/javascript; charset=utf-8",
    )
    # Browsers check for a new worker at most daily when told nothing; say: always.
    response["Cache-Control"] = "no-cache"
    return response


@require_safe
def published_file(request, name: str):
    """A published list file as it is on disk, 404 until the passports app wrote it.
    ETag and Last-Modified let verifiers revalidate for the price of a 304."""
    path = published_dir() / name
    try:
        data = path.read_bytes()
        modified = path.stat().st_mtime
    except FileNotFoundError:
        raise Http404(f"{name} has not been published") from None
    etag = '"%s"' % hashlib.sha256(data).hexdigest()[:32]
    response = get_conditional_response(request, etag=etag, last_modified=int(modified))
    if response is None:
        response = HttpResponse(data, content_type="application/jose+json")
    response["ETag"] = etag
    response["Last-Modified"] = http_date(modified)
    response["Cache-Control"] = LIST_CACHE_CONTROL
    # Signed public data: any verifier app, whatever its origin, may read it.
    response["Access-Control-Allow-Origin"] = "*"
    return response


# --- the public look-up (tra cứu) ---------------------------------------------------

LOOKUP_SESSION_KEY = "lookup_person"
LOOKUP_SESSION_SECONDS = 15 * 60


def lookup(request):
    """A citizen ID and a birth date: the passport, or where the doses stand."""
    from django.utils.translation import gettext as _

    from vaxpass.passports import documents
    from vaxpass.portal.lookup import TooManyTries, look_up

    context: dict = {"citizen_id": "", "birth_date": ""}
    status = 200
    if request.method == "POST":
        citizen_id = request.POST.get("citizen_id", "").strip()[:20]
        birth_date = request.POST.get("birth_date", "").strip()[:20]
        context.update(citizen_id=citizen_id, birth_date=birth_date)
        if not (citizen_id and birth_date):
            context["error"] = _("Enter both the citizen ID and the birth date.")
            return render(request, "portal/lookup.html", context, status=400)
        try:
            answer = look_up(citizen_id, birth_date, address=request.META.get("REMOTE_ADDR", ""))
        except TooManyTries as refused:
            context["refused_until"] = refused.until
            status = 429
        else:
            context["not_found"] = answer is None
            context["answer"] = answer
            if answer is not None and answer.certificate:
                context["qr_svg"] = documents.render(answer.certificate, "svg").decode()
                request.session[LOOKUP_SESSION_KEY] = answer.certificate.pk
                request.session.set_expiry(LOOKUP_SESSION_SECONDS)
    return render(request, "portal/lookup.html", context, status=status)


@require_safe
def lookup_passport(request, form: str):
    """The passport found by this browser's last look-up, as PDF or PNG."""
    from vaxpass.passports import documents
    from vaxpass.passports.models import Certificate, CertificateStatus

    pk = request.session.get(LOOKUP_SESSION_KEY)
    if form not in ("pdf", "png") or pk is None:
        raise Http404
    certificate = Certificate.objects.filter(pk=pk, status=CertificateStatus.VALID).first()
    if certificate is None:
        raise Http404
    response = HttpResponse(documents.render(certificate, form), documents.CONTENT_TYPES[form])
    response["Content-Disposition"] = f'attachment; filename="ho-chieu-vac-xin.{form}"'
    response["Cache-Control"] = "private, no-store"
    return response
