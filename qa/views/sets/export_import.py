"""Exporting a study set or a whole bank (JSON, CSV, Anki .apkg) and importing a set from a
JSON or CSV file."""

from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from accounts.submissions import once_per_form
from config.allowance import refusal, take_slot
from qa import anki, exporters, set_files
from qa.models import Bank
from qa.services import sets as services
from qa.views.sets.access import _get_set_for_user
from qa.views.sets.forms import ImportForm

# Downloads of whole banks per learner and hour: each is built on request.
BANK_EXPORTS_PER_HOUR = 20
SET_IMPORTS_PER_HOUR = 30

EXPORT_TYPES = {
    "json": ("application/json; charset=utf-8", "json"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "apkg": ("application/octet-stream", "apkg"),
}


def _download(data: bytes, fmt: str, name: str) -> HttpResponse:
    content_type, ext = EXPORT_TYPES[fmt]
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{name}.{ext}"
    )
    return response


@login_required
@require_GET
def set_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    study_set = _get_set_for_user(request, pk).study_set
    if fmt not in EXPORT_TYPES:
        raise Http404
    if fmt == "json":
        data = exporters.set_to_json(study_set)
    elif fmt == "csv":
        data = exporters.rows_to_csv(exporters.set_rows(study_set))
    else:
        data = anki.set_to_apkg(study_set)
    return _download(data, fmt, _filename(study_set.title, f"set-{study_set.pk}"))


@login_required
@require_GET
def bank_export(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    bank = get_object_or_404(Bank, slug=slug)
    if fmt not in EXPORT_TYPES:
        raise Http404
    # A whole bank is built on each download: seconds of a worker for a large one.
    if not take_slot(action="bank-export", who=request.user.pk, limit=BANK_EXPORTS_PER_HOUR):
        return refusal(request, _(
            "You have downloaded banks %(n)d times in the last hour. Try again in a while (the "
            "count starts over every hour).") % {"n": BANK_EXPORTS_PER_HOUR})
    if fmt == "json":
        data = exporters.bank_to_json(bank)
    elif fmt == "csv":
        data = exporters.rows_to_csv(exporters.bank_rows(bank))
    else:
        data = anki.bank_to_apkg(bank)
    return _download(data, fmt, bank.slug)


def _filename(title: str, fallback: str) -> str:
    cleaned = "".join(ch for ch in title if ch.isalnum() or ch in " -_").strip()
    return cleaned[:80] or fallback


@login_required
@require_http_methods(["GET", "POST"])
@once_per_form
def set_import(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        # Reading a file costs a worker up to a couple of seconds.
        if not take_slot(action="set-import", who=request.user.pk, limit=SET_IMPORTS_PER_HOUR):
            return refusal(request, _(
                "You have imported sets %(n)d times in the last hour. Try again in a while (the "
                "count starts over every hour).") % {"n": SET_IMPORTS_PER_HOUR})
        upload = form.cleaned_data["file"]
        if upload.size > set_files.MAX_UPLOAD_BYTES:
            problems = [_("The file is larger than %(max)d KB.") % {
                "max": set_files.MAX_UPLOAD_BYTES // 1024}]
        else:
            result = set_files.parse_set_file(name=upload.name, data=upload.read())
            problems = result.errors
            # The file's name without its extension (".csv" alone names nothing).
            title = (form.cleaned_data["title"] or result.title
                     or Path(upload.name).name.rsplit(".", 1)[0].strip() or _("Imported set"))
            if not problems:
                try:
                    study_set = services.create_set_with_items(
                        user=request.user, title=title, description=result.description,
                        team=form.cleaned_data["owner"], items=result.items,
                    )
                except services.SetError as exc:
                    problems = [exc.message]
                else:
                    n = len(result.items)
                    messages.success(request, ngettext("Imported %(n)d question.",
                                                       "Imported %(n)d questions.", n) % {"n": n})
                    if result.notice:
                        messages.info(request, result.notice)
                    return redirect("qa:set", pk=study_set.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "qa/set_import.html", {"form": form, "problems": problems},
                  status=status)
