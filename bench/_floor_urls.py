"""The Django floor of a dose request: the platform's settings and middleware, its bearer
token authentication and the dose API's own request model (`DoseIn`) parsing the body,
then a view that stores nothing and answers a fixed 201. The dose API cannot be faster
than this on the same machine; `bench/record_doses.py` reports its rate."""

from django.urls import path
from ninja import NinjaAPI
from ninja.security import django_auth

from vaxpass.api import TokenAuth
from vaxpass.records.api import DoseIn

api = NinjaAPI(title="floor", urls_namespace="floor", auth=[TokenAuth(), django_auth])


@api.post("/doses", response={201: dict})
def create_dose(request, data: DoseIn):
    return 201, {"id": 1, "status": "recorded", "product": data.product}


urlpatterns = [path("api/v1/", api.urls)]
