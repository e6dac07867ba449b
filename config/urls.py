from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from accounts.views import AddressesView
from config.admin_login import RateLimitedAdminAuthenticationForm
from config.health import healthz
from qa.views.home import home

admin.site.site_header = _("Mianshi editors")
admin.site.site_title = _("Mianshi admin")
admin.site.index_title = _("Question bank administration")
admin.site.login_form = RateLimitedAdminAuthenticationForm

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # allauth's page of addresses, telling why a confirmation mail asked again is not sent.
    path("accounts/email/", AddressesView.as_view(), name="account_email"),
    path("accounts/", include("allauth.urls")),
    path("me/", include("accounts.urls")),
    path("", include("qa.urls")),
]

handler404 = "config.errors.page_not_found"
handler403 = "config.errors.permission_denied"

if settings.BENCH_CEILING_VIEW:
    from config.bench import ceiling

    urlpatterns.append(path("bench/ceiling/", ceiling, name="bench-ceiling"))

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
