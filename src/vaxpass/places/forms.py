from django import forms
from django.utils.translation import gettext_lazy as _

from vaxpass.places.models import FIELD_KINDS, FacilityKind


class FieldSiteForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[(k.value, k.label) for k in FacilityKind if k in FIELD_KINDS]
    )
    ward_code = forms.CharField(
        label=_("Ward code"),
        max_length=8,
        help_text=_("Official code of the ward where the site works"),
    )
