from django import forms
from django.utils.translation import gettext_lazy as _

from vaxpass.imports.models import ImportMode


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Filled template (.xlsx or .csv)"))
    commitment = forms.FileField(
        label=_("Signed commitment, scanned (PDF or image)"),
        help_text=_(
            "The paper commitment signed by the facility head, as in the ministry's procedure."
        ),
    )
    mode = forms.ChoiceField(
        label=_("When some rows have errors"),
        choices=ImportMode.choices,
        initial=ImportMode.ALL_OR_NOTHING,
        widget=forms.RadioSelect,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError(_("Upload an .xlsx or .csv file made from the template."))
        return upload

    def clean_commitment(self):
        upload = self.cleaned_data["commitment"]
        if not upload.name.lower().endswith((".pdf", ".jpg", ".jpeg", ".png")):
            raise forms.ValidationError(_("The commitment must be a PDF or an image (JPG, PNG)."))
        return upload
