"""Forms: they validate input and nothing else. Workflows live in the service modules."""

from __future__ import annotations

from django import forms
from django.utils.text import slugify

from planner.models import BacklogItem, Horizon

# --- Roadmap and published plans (issue 5) -----------------------------------------------

CLEAR_OVERRIDE = "clear"


class HorizonOverrideForm(forms.Form):
    """Pin one item to a horizon (or remove its pin), always with a reason."""

    item = forms.CharField(
        label="Item reference",
        max_length=20,
        help_text="For example, DIG-012",
        error_messages={"required": "Enter the reference of the item to move"},
    )
    horizon = forms.ChoiceField(
        label="Horizon",
        choices=[*Horizon.choices, (CLEAR_OVERRIDE, "Remove the override")],
        widget=forms.RadioSelect,
        error_messages={"required": "Select a horizon, or remove the override"},
    )
    reason = forms.CharField(
        label="Reason",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Committees ask why the roadmap differs from the ranking",
        error_messages={"required": "Enter the reason for the override"},
    )

    def __init__(self, *args, items=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items

    def clean_item(self) -> BacklogItem:
        reference = self.cleaned_data["item"].strip().upper()
        item = self.items.filter(reference=reference, archived=False).first()
        if item is None:
            raise forms.ValidationError("There is no open item with that reference")
        return item

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Enter the reason for the override")
        return reason


class PublishPlanForm(forms.Form):
    title = forms.CharField(
        label="Title",
        max_length=160,
        help_text="For example, Digital priorities 2027 to 2028",
        error_messages={"required": "Enter a title for the plan"},
    )
    committee = forms.CharField(
        label="Committee",
        max_length=120,
        help_text="For example, Cabinet or Digital Board",
        error_messages={"required": "Enter the committee the plan is for"},
    )
    meeting_date = forms.DateField(
        label="Meeting date",
        help_text="For example, 27/3/2027",
        input_formats=["%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y"],
        error_messages={
            "required": "Enter the meeting date",
            "invalid": "Enter the meeting date as day/month/year, for example 27/3/2027",
        },
    )
    note = forms.CharField(
        label="Note (optional)",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean_title(self) -> str:
        title = self.cleaned_data["title"].strip()
        if not slugify(title):
            raise forms.ValidationError("Enter a title with at least one letter or number")
        return title
