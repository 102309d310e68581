from django.urls import path

from vaxpass.places import views

app_name = "places"
urlpatterns = [
    path("facilities/", views.facility_list, name="facilities"),
    path("facilities/new-site/", views.add_site, name="add_site"),
]
