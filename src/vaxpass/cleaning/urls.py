from django.urls import path

from vaxpass.cleaning import views

app_name = "cleaning"
urlpatterns = [
    path("review/", views.queue, name="queue"),
    path("review/confirm-best", views.confirm_best, name="confirm_best"),
    path("review/export.xlsx", views.export, name="export"),
    path("review/upload", views.upload, name="upload"),
    path("review/doses/", views.doses, name="doses"),
    path("review/<int:pk>/", views.item, name="item"),
    path("review/<int:pk>/confirm", views.confirm, name="confirm"),
    path("review/<int:pk>/choose", views.choose, name="choose"),
    path("review/<int:pk>/correct", views.correct, name="correct"),
    path("review/<int:pk>/not-found", views.not_found, name="not_found"),
    path("review/<int:pk>/send", views.send, name="send"),
    path("review/corrections/<int:pk>/undo", views.undo, name="undo"),
]
