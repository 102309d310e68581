from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from vaxpass.api import api
from vaxpass.records import views as record_views

urlpatterns = [
    path("", record_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("vaxpass.records.urls")),
    path("", include("vaxpass.places.urls")),
    path("", include("vaxpass.imports.urls")),
    path("", include("vaxpass.passports.urls")),
    path("", include("vaxpass.cleaning.urls")),
    path("", include("vaxpass.portal.urls")),
]
