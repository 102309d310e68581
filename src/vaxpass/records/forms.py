from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vaxpass.core.vaccines import PRODUCTS


def product_choices():
    return [("", "—")] + [(p.code, p.vn_name) for p in PRODUCTS.values()]


class DoseForm(forms.Form):
    product = forms.ChoiceField(label=_("Vaccine"), choices=product_choices)
    lot = forms.CharField(label=_("Lot"), max_length=40, required=False)
    given_on = forms.DateField(
        label=_("Date given"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    dose_number = forms.IntegerField(label=_("Dose number"), min_value=1, max_value=10)
    override_reason = forms.CharField(
        label=_("Reason for recording despite the warnings"), max_length=250, required=False
    )


class PersonForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=120)
    birth_date = forms.CharField(
        label=_("Date of birth"), max_length=12, help_text=_("dd/mm/yyyy, or the year only")
    )
    citizen_id = forms.CharField(
        label=_("Citizen ID (CCCD) or ID card (CMND)"), max_length=20, required=False
    )
    sex = forms.ChoiceField(
        label=_("Sex"), choices=[("", "—"), ("M", _("male")), ("F", _("female"))], required=False
    )
    address = forms.CharField(label=_("Address"), max_length=250, required=False)


class RegistrationForm(forms.Form):
    phone = forms.CharField(label=_("Contact phone"), max_length=15)


PersonFormSet = forms.formset_factory(PersonForm, extra=3, min_num=1, validate_min=True)
