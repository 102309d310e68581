import io
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vaxpass.core.vaccines import PRODUCTS
from vaxpass.imports import spreadsheets
from vaxpass.imports.forms import UploadForm
from vaxpass.imports.models import ImportStatus
from vaxpass.imports.scopes import batches_in_scope
from vaxpass.imports.services import (
    UploadRefused,
    can_import,
    create_batch,
    earlier_upload,
    error_report,
    problem_messages,
    request_cancel,
)
from vaxpass.imports.tasks import run_import

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_importer(user):
    if not can_import(user):
        raise PermissionDenied(_("Your account may not import doses."))


@login_required
def batches(request):
    _require_importer(request.user)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = create_batch(
                request.user,
                form.cleaned_data["file"],
                name=form.cleaned_data["file"].name,
                mode=form.cleaned_data["mode"],
                commitment=form.cleaned_data["commitment"],
            )
        except UploadRefused as error:
            form.add_error("file", str(error))
        else:
            run_import.enqueue(batch.pk)
            return redirect("imports:batch", batch_id=batch.pk)
    recent = batches_in_scope(request.user)[:50]
    return render(request, "imports/batches.html", {"form": form, "batches": recent})


@login_required
def batch_detail(request, batch_id: int):
    batch = get_object_or_404(batches_in_scope(request.user), pk=batch_id)
    problems = batch.problems.exclude(severity="repair")[:300]
    lines = (
        problem_messages(batch)
        if batch.status not in (ImportStatus.UPLOADED, ImportStatus.CHECKING)
        else {}
    )
    shown = sorted(lines.items())[:300]
    return render(
        request,
        "imports/batch.html",
        {
            "batch": batch,
            "problems": problems,
            "lines": shown,
            "more": len(lines) > len(shown),
            "earlier": earlier_upload(batch),
            "running": batch.status
            in (ImportStatus.UPLOADED, ImportStatus.CHECKING, ImportStatus.LOADING),
        },
    )


@login_required
def batch_progress(request, batch_id: int):
    batch = get_object_or_404(batches_in_scope(request.user), pk=batch_id)
    return JsonResponse(
        {
            "status": batch.status,
            "status_label": batch.get_status_display(),
            "total_rows": batch.total_rows,
            "error_rows": batch.error_rows,
            "rows_done": batch.rows_done,
            "loaded_rows": batch.loaded_rows,
            "existing_rows": batch.existing_rows,
            "percent": batch.progress_percent,
        }
    )


@login_required
@require_POST
def batch_cancel(request, batch_id: int):
    batch = get_object_or_404(batches_in_scope(request.user), pk=batch_id)
    request_cancel(batch)
    messages.info(request, _("Cancelling: the rows already stored stay; you can resume later."))
    return redirect("imports:batch", batch_id=batch.pk)


@login_required
@require_POST
def batch_resume(request, batch_id: int):
    batch = get_object_or_404(batches_in_scope(request.user), pk=batch_id)
    if batch.loadable and batch.status != ImportStatus.LOADED:
        batch.cancel_requested = False
        batch.save(update_fields=["cancel_requested"])
        run_import.enqueue(batch.pk)
    return redirect("imports:batch", batch_id=batch.pk)


@login_required
def batch_report(request, batch_id: int):
    batch = get_object_or_404(batches_in_scope(request.user), pk=batch_id)
    out = io.BytesIO()
    error_report(batch, out)
    suffix = Path(batch.file.name).suffix
    name = f"{Path(batch.original_name).stem}-{_('errors')}{suffix}"
    content_type = XLSX if suffix == ".xlsx" else "text/csv; charset=utf-8"
    response = HttpResponse(out.getvalue(), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def batch_commitment(request, batch_id: int):
    batch = get_object_or_404(batches_in_scope(request.user), pk=batch_id)
    if not batch.commitment:
        raise PermissionDenied
    return FileResponse(
        batch.commitment.open("rb"), as_attachment=True, filename=Path(batch.commitment.name).name
    )


@login_required
def dose_template(request, fmt: str):
    _require_importer(request.user)
    if fmt not in ("xlsx", "csv"):
        raise Http404
    language = translation.get_language()
    code = request.user.facility.code if request.user.facility_id else ""
    if fmt == "csv":
        text = io.StringIO()
        spreadsheets.write_dose_csv_template(text, language=language)
        response = HttpResponse(
            ("\ufeff" + text.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
        )
    else:
        out = io.BytesIO()
        spreadsheets.write_dose_template(
            out,
            language=language,
            products=[p.vn_name for p in PRODUCTS.values()],
            facility_code=code,
        )
        response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="vaxpass-{_("doses")}.{fmt}"'
    return response
