from django.urls import path

from vaxpass.passports import views

app_name = "passports"
urlpatterns = [
    path("signing/", views.sign_page, name="sign"),
    path("signing/all", views.sign_all, name="sign_all"),
    path("signing/rule", views.auto_sign, name="auto_sign"),
    path("passports/", views.certificates, name="certificates"),
    path("passports/<int:pk>/revoke", views.revoke, name="revoke"),
    path("passports/<int:pk>/<str:form>", views.certificate_file, name="file"),
]
