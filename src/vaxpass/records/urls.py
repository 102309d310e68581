from django.urls import path

from vaxpass.records import views

app_name = "records"
urlpatterns = [
    path("record/", views.find_person, name="find"),
    path("record/<int:person_id>/", views.record, name="record"),
    path("register/", views.register, name="register"),
    path("doses/", views.dose_list, name="doses"),
]
