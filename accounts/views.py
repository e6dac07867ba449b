from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.forms import ProfileForm
from accounts.models import User


@login_required
def settings_view(request: HttpRequest) -> HttpResponse:
    # A copy: a refused form must not leave its values on request.user, which the page's
    # header shows.
    form = ProfileForm(request.POST or None, instance=User.objects.get(pk=request.user.pk))
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your settings were saved."))
        return redirect("accounts:settings")
    return render(request, "accounts/settings.html", {"form": form})
