from django.urls import path

from vaxpass.imports import views

app_name = "imports"
urlpatterns = [
    path("imports/", views.batches, name="batches"),
    path("imports/template.<str:fmt>", views.dose_template, name="template"),
    path("imports/<int:batch_id>/", views.batch_detail, name="batch"),
    path("imports/<int:batch_id>/progress", views.batch_progress, name="progress"),
    path("imports/<int:batch_id>/cancel", views.batch_cancel, name="cancel"),
    path("imports/<int:batch_id>/resume", views.batch_resume, name="resume"),
    path("imports/<int:batch_id>/report", views.batch_report, name="report"),
    path("imports/<int:batch_id>/commitment", views.batch_commitment, name="commitment"),
]
