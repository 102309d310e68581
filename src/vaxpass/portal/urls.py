from django.urls import path

from vaxpass.portal import views

app_name = "portal"

urlpatterns = [
    path("verify/", views.verifier, name="verify"),
    path("lookup/", views.lookup, name="lookup"),
    path("lookup/passport.<str:form>", views.lookup_passport, name="lookup_passport"),
    path("verify/sw.js", views.service_worker, name="service_worker"),
    path(
        "trust/trustlist.json", views.published_file, {"name": "trustlist.json"}, name="trustlist"
    ),
    path(
        "trust/revocations.json",
        views.published_file,
        {"name": "revocations.json"},
        name="revocations",
    ),
]
