"""Pages of the review queues. Thin: items from scopes, changes from services."""

import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vaxpass.cleaning import services, sheets
from vaxpass.cleaning.models import Correction, ItemStatus, Queue, ReviewUpload
from vaxpass.cleaning.presenting import CORRECTABLE_ROWS, comparison, reasons_of
from vaxpass.cleaning.reasons import reason_labels
from vaxpass.cleaning.scopes import (
    has_review_queue,
    open_items_in_scope,
    queue_of,
    review_items_in_scope,
    sees_every_queue,
)
from vaxpass.places.models import Division
from vaxpass.records import stages


def _require_queue(user) -> None:
    if not has_review_queue(user):
        raise PermissionDenied(_("Your account has no review queue."))


def _queue_title(user) -> str:
    queue = queue_of(user)
    if queue is None:
        return _("All review queues")
    name, wards = queue
    places = ", ".join(Division.objects.filter(pk__in=wards).values_list("name", flat=True))
    if name == Queue.POLICE:
        return _("Ward police review: %(ward)s") % {"ward": places}
    return _("Ward health station review: %(ward)s") % {"ward": places}


@login_required
def queue(request):
    user = request.user
    _require_queue(user)
    items = open_items_in_scope(user).select_related("dose", "dose__facility", "decision")
    shown_queue = request.GET.get("queue", "")
    if sees_every_queue(user) and shown_queue in Queue.values:
        items = items.filter(queue=shown_queue)
    page = Paginator(items.order_by("opened_at", "pk"), 50).get_page(request.GET.get("page"))
    for item in page.object_list:
        item.reason_labels = reason_labels(item.decision.reasons)
        item.best = next(
            (c for c in item.decision.candidates if c["citizen_id"] == item.decision.candidate_id),
            None,
        )
    recent = (
        review_items_in_scope(user)
        .filter(status=ItemStatus.RESOLVED)
        .select_related("dose", "resolution", "resolved_by")
        .order_by("-resolved_at", "-pk")[:10]
    )
    return render(
        request,
        "cleaning/queue.html",
        {
            "title": _queue_title(user),
            "page": page,
            "waiting": page.paginator.count,
            "proposed": items.exclude(decision__candidate_id="").count(),
            "recent": recent,
            "every_queue": sees_every_queue(user),
            "queues": Queue.choices,
            "shown_queue": shown_queue,
            "uploads": ReviewUpload.objects.filter(uploaded_by=user).order_by("-pk")[:5],
        },
    )


def _item_or_404(user, pk: int):
    return get_object_or_404(
        review_items_in_scope(user).select_related(
            "dose", "dose__facility", "dose__captured_ward", "decision", "ward", "resolution"
        ),
        pk=pk,
    )


@login_required
def item(request, pk: int):
    user = request.user
    _require_queue(user)
    shown = _item_or_404(user, pk)
    corrections = []
    for correction in (
        Correction.objects.filter(dose=shown.dose)
        .select_related("applied_by", "undone_by", "person")
        .order_by("-applied_at", "-pk")
    ):
        correction.may_undo = correction.undone_at is None and services.may_undo(user, correction)
        corrections.append(correction)
    history = services.dose_history(shown.dose)["decisions"]
    for decision in history:
        decision.reason_labels = reason_labels(decision.reasons)
    return render(
        request,
        "cleaning/item.html",
        {
            "item": shown,
            "dose": stages.load_stage(shown.dose),
            "comparison": comparison(shown),
            "reasons": reasons_of(shown.decision),
            "open": shown.status == ItemStatus.OPEN and shown.dose.status == "recorded",
            "other_queue": Queue.STATION if shown.queue == Queue.POLICE else Queue.POLICE,
            "corrections": corrections,
            "history": history,
            "fields": CORRECTABLE_ROWS,
        },
    )


def _next_item(user, after):
    following = (
        open_items_in_scope(user)
        .filter(opened_at__gte=after.opened_at)
        .exclude(pk=after.pk)
        .order_by("opened_at", "pk")
        .first()
    )
    return redirect("cleaning:item", pk=following.pk) if following else redirect("cleaning:queue")


def _act(request, pk: int, action):
    """Run one decision on an item; on success go to the next item of the queue."""
    user = request.user
    _require_queue(user)
    shown = _item_or_404(user, pk)
    try:
        message = action(user, shown, request.POST)
    except services.ReviewError as error:
        if error.status == 404:
            raise Http404 from None
        messages.error(request, error.message)
        return redirect("cleaning:item", pk=pk)
    messages.success(request, message)
    return _next_item(user, shown)


def _linked_message(row) -> str:
    return _("The dose is verified: linked to citizen ID %(id)s.") % {"id": row.citizen_id}


@login_required
@require_POST
def confirm(request, pk: int):
    def action(user, item, data):
        return _linked_message(
            services.confirm_candidate(
                actor=user, item=item, citizen_id=data.get("citizen_id", ""),
                note=data.get("note", ""),
            )
        )  # fmt: skip

    return _act(request, pk, action)


@login_required
@require_POST
def choose(request, pk: int):
    def action(user, item, data):
        return _linked_message(
            services.choose_person(
                actor=user, item=item, citizen_id=data.get("citizen_id", ""),
                note=data.get("note", ""),
            )
        )  # fmt: skip

    return _act(request, pk, action)


@login_required
@require_POST
def correct(request, pk: int):
    def action(user, item, data):
        return _linked_message(
            services.correct_field(
                actor=user, item=item, field=data.get("field", ""), value=data.get("value", ""),
                note=data.get("note", ""),
            )
        )  # fmt: skip

    return _act(request, pk, action)


@login_required
@require_POST
def not_found(request, pk: int):
    def action(user, item, data):
        services.mark_not_found(actor=user, item=item, note=data.get("note", ""))
        return _("Marked as not found in the registry.")

    return _act(request, pk, action)


@login_required
@require_POST
def send(request, pk: int):
    def action(user, item, data):
        sent = services.send_to_other_queue(actor=user, item=item, note=data.get("note", ""))
        return _("Sent to the %(queue)s.") % {"queue": sent.get_queue_display()}

    return _act(request, pk, action)


@login_required
@require_POST
def confirm_best(request):
    user = request.user
    _require_queue(user)
    items = open_items_in_scope(user)
    if request.POST.get("all") == "1":
        if not request.POST.get("sure"):
            messages.error(request, _("Tick the confirmation box to confirm them all."))
            return redirect("cleaning:queue")
    else:
        items = items.filter(pk__in=[int(p) for p in request.POST.getlist("items") if p.isdigit()])
    count = services.confirm_best(actor=user, items=items)
    messages.success(
        request,
        ngettext(
            "%(n)s dose verified with its proposed person.",
            "%(n)s doses verified with their proposed person.",
            count,
        )
        % {"n": count},
    )
    return redirect("cleaning:queue")


@login_required
@require_POST
def undo(request, pk: int):
    user = request.user
    _require_queue(user)
    correction = get_object_or_404(Correction, pk=pk)
    if not services.may_undo(user, correction):
        raise Http404
    try:
        services.undo_correction(
            actor=user, correction=correction, note=request.POST.get("note", "")
        )
    except services.ReviewError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("The correction is undone: the dose waits for a decision again.")
        )
    following = (
        review_items_in_scope(user).filter(dose_id=correction.dose_id).order_by("-pk").first()
    )
    if following is not None:
        return redirect("cleaning:item", pk=following.pk)
    return redirect(f"{reverse('cleaning:doses')}?q={correction.citizen_id}")


@login_required
def export(request):
    user = request.user
    _require_queue(user)
    response = HttpResponse(
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="review-{stamp}.xlsx"'
    sheets.export_items(user, response, language=get_language() or "vi")
    return response


@login_required
def upload(request):
    user = request.user
    _require_queue(user)
    if request.method != "POST":
        return redirect("cleaning:queue")
    handed = request.FILES.get("file")
    if handed is None:
        messages.error(request, _("Choose the filled review list to upload."))
        return redirect("cleaning:queue")
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / ("list" + Path(handed.name).suffix.lower())
        with open(path, "wb") as out:
            for block in handed.chunks():
                out.write(block)
        try:
            result = sheets.apply_upload(user, path, file_name=handed.name)
        except sheets.SheetError as error:
            messages.error(request, str(error))
            return redirect("cleaning:queue")
    return render(request, "cleaning/upload.html", {"result": result})


@login_required
def doses(request):
    """Look up doses by ID: their decisions and applied links, which may be undone."""
    user = request.user
    _require_queue(user)
    query = request.GET.get("q", "")
    found = list(stages.with_stage(services.find_cleaned_doses(user, query))[:50])
    for dose in found:
        history = services.dose_history(dose)
        dose.decisions_made = history["decisions"]
        for decision in dose.decisions_made:
            decision.reason_labels = reason_labels(decision.reasons)
        dose.applied = history["corrections"]
        for correction in dose.applied:
            correction.may_undo = correction.undone_at is None
        dose.item = (
            review_items_in_scope(user)
            .filter(dose=dose)
            .order_by("-pk")
            .values_list("pk", flat=True)
            .first()
        )
    return render(request, "cleaning/doses.html", {"query": query, "doses": found})
