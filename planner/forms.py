"""Forms: they validate input and nothing else. Workflows live in the service modules."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.forms.models import ModelChoiceIterator
from django.utils.text import slugify

from councils.models import Council, Directorate, Role, Ward
from planner import backlog, csv_import
from planner import quarters as cal
from planner.effort import validate_bands
from planner.item_comparison import clean_reference
from planner.items import COMMITTEE_FIELDS, ITEM_EDITABLE_FIELDS
from planner.models import (
    MAX_COST_POUNDS,
    MAX_EFFORT_DAYS,
    SCALE_MAX,
    SCALE_MIN,
    AssessmentStatus,
    BacklogItem,
    Criterion,
    ExemptParagraph,
    RiskRating,
    Status,
    Theme,
)
from planner.options import MAX_COMPARED
from planner.score_grid import CellInput

# --- Backlog ----------------------------------------------------------------------------

SORT_CHOICES = [
    (key, label)
    for name in backlog.SORT_KEYS
    for key, label in ((name, f"{name} ascending"), (f"-{name}", f"{name} descending"))
]


def model_choice(form: forms.BaseForm, name: str) -> forms.ModelChoiceField[Any]:
    """`form.fields[name]`, typed as the model choice field it is declared as."""
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField), name
    return field


def choice(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """`form.fields[name]`, typed as the choice field it is declared as."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField), name
    return field


class BacklogFilterForm(forms.Form):
    """The backlog's filters, search and sort, read from the query string."""

    q = forms.CharField(label="Search titles and problems", max_length=200, required=False)
    theme = forms.ModelChoiceField(
        queryset=Theme.objects.none(), required=False, empty_label="All themes"
    )
    status = forms.ChoiceField(choices=[("", "All statuses"), *Status.choices], required=False)
    owner = forms.ChoiceField(choices=[("", "All owners")], required=False)
    ward = forms.ModelChoiceField(
        queryset=Ward.objects.none(),
        required=False,
        empty_label="Any ward",
        help_text="Includes items that affect all wards",
    )
    directorate = forms.ModelChoiceField(
        queryset=Directorate.objects.none(), required=False, empty_label="Any directorate"
    )
    key_decision = forms.ChoiceField(
        choices=[
            ("", "Any"),
            (backlog.YES, "Key decisions only"),
            (backlog.NO, "Not key decisions"),
        ],
        required=False,
    )
    exempt = forms.ChoiceField(
        label="Exempt information",
        choices=[("", "Any"), (backlog.YES, "Exempt items only"), (backlog.NO, "Not exempt")],
        required=False,
    )
    eqia = forms.ChoiceField(
        label="Equality impact assessment",
        choices=[("", "Any"), (backlog.NOT_SET, "Not recorded"), *AssessmentStatus.choices],
        required=False,
    )
    risk = forms.ChoiceField(
        choices=[("", "Any risk"), (backlog.NOT_SET, "Not assessed"), *RiskRating.choices],
        required=False,
    )
    needs_scoring = forms.BooleanField(label="Only items that need scoring", required=False)
    archived = forms.BooleanField(label="Only archived items (to restore them)", required=False)
    sort = forms.ChoiceField(choices=SORT_CHOICES, required=False)

    def __init__(self, *args: Any, council: Council, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, queryset in (
            ("theme", council.themes.all()),
            ("ward", council.wards.all()),
            ("directorate", council.directorates.all()),
        ):
            field = model_choice(self, name)
            field.queryset = queryset
            # A list, so rendering runs one query rather than a COUNT and then a SELECT
            # (iter(): list() alone asks the iterator its length, which is that COUNT).
            field.choices = list(iter(cast(ModelChoiceIterator, field.choices)))
        choice(self, "owner").choices = [
            ("", "All owners"),
            *((owner, owner) for owner in backlog.owners(council)),
        ]

    def filters(self) -> dict[str, Any]:
        """The valid filters; an invalid one is dropped (and reported) rather than guessed."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}


def _active_themes(council: Council, keep: Theme | None = None):
    """Retired themes are offered only to an item that already has one."""
    themes = council.themes.filter(retired=False)
    if keep is not None and keep.retired:
        themes = council.themes.filter(retired=False) | council.themes.filter(pk=keep.pk)
    return themes


class QuickAddForm(forms.Form):
    title = forms.CharField(max_length=200, error_messages={"required": "Enter a title"})
    theme = forms.ModelChoiceField(
        queryset=Theme.objects.none(),
        empty_label="Choose a theme",
        error_messages={"required": "Choose a theme", "invalid_choice": "Choose a theme"},
    )

    def __init__(self, *args: Any, council: Council, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        theme = model_choice(self, "theme")
        theme.queryset = _active_themes(council)
        theme.choices = list(iter(cast(ModelChoiceIterator, theme.choices)))


REFERENCE_SPLIT = re.compile(r"[\s,;]+")


YES_NO = "yes", "no"
NOT_RECORDED = ("", "Not recorded")
EXEMPT_CHOICES = [("", "Not exempt"), *ExemptParagraph.choices]


class ItemForm(forms.ModelForm):
    depends_on_refs = forms.CharField(
        label="Depends on",
        help_text="References of items that must be done first, separated by commas, "
        "for example DIG-004, DIG-017",
        max_length=1000,
        required=False,
    )
    key_decision = forms.TypedChoiceField(
        label="Key decision",
        help_text="Spending or savings above the council's threshold, or significant "
        "effects on two or more wards",
        choices=[(YES_NO[0], "Yes"), (YES_NO[1], "No")],
        coerce=lambda value: value == YES_NO[0],
        empty_value=False,  # type: ignore[arg-type]  # a blank answer means No
        required=False,
        widget=forms.RadioSelect,
    )
    exempt_paragraph = forms.TypedChoiceField(
        label="Exempt information",
        help_text="The paragraph of Schedule 12A to the Local Government Act 1972, if any. "
        "Public versions of plans leave out an exempt item's problem statement and costs.",
        choices=EXEMPT_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)

    class Meta:
        model = BacklogItem
        fields = ITEM_EDITABLE_FIELDS
        widgets = {
            "wards": forms.CheckboxSelectMultiple,
            "eqia_status": forms.RadioSelect,
            "dpia_status": forms.RadioSelect,
            "one_off_funding": forms.RadioSelect,
            "recurring_funding": forms.RadioSelect,
            "risk_rating": forms.RadioSelect,
            "non_cashable_benefits": forms.Textarea,
        }
        labels = {
            "directorate": "Directorate or service area",
            "eqia_status": "Equality impact assessment (EqIA)",
            "dpia_status": "Data protection impact assessment (DPIA)",
            "risk_description": "Risk in one line",
        }
        help_texts = {
            "problem": "What residents or staff cannot do today, and why it matters",
            "owner": "The person accountable for this challenge",
            "effort_days": f"Team-days to deliver, from 0 to {MAX_EFFORT_DAYS:,}. "
            "The Effort score comes from this estimate.",
            "remaining_days": "For work in progress: the team-days still to do. The plan "
            "commits only these. Leave blank to use the whole estimate.",
            "one_off_cost": f"In pounds, from 0 to {MAX_COST_POUNDS:,}",
            "recurring_cost": f"In pounds a year, from 0 to {MAX_COST_POUNDS:,}",
            "funding_source": "For example: the digital transformation reserve",
            "cashable_savings": f"In pounds a year, from 0 to {MAX_COST_POUNDS:,}",
            "non_cashable_benefits": "For example: fewer calls, quicker decisions for residents",
        }
        error_messages = {
            "title": {"required": "Enter a title"},
            "theme": {"required": "Choose a theme", "invalid_choice": "Choose a theme"},
            "wards": {"invalid_choice": "Choose wards from this council's list"},
            "directorate": {"invalid_choice": "Choose a directorate from this council's list"},
        }

    # "All wards" is posted as one of the wards' values, so that GOV.UK Frontend's exclusive
    # checkbox (which clears the other checkboxes of its name) works; it sets all_wards.
    ALL_WARDS_VALUE = "all"

    def __init__(self, data: Any = None, *args: Any, council: Council, **kwargs: Any) -> None:
        if data is not None and self.ALL_WARDS_VALUE in data.getlist("wards"):
            data = data.copy()
            data.setlist("wards", [v for v in data.getlist("wards") if v != self.ALL_WARDS_VALUE])
            data["all_wards"] = "on"
        super().__init__(data, *args, **kwargs)
        self.council = council
        current_theme = self.instance.theme if self.instance.theme_id else None
        theme = model_choice(self, "theme")
        theme.queryset = _active_themes(council, keep=current_theme)
        theme.empty_label = "Choose a theme"
        # Only this council's lists: another council's id is an invalid choice.
        model_choice(self, "wards").queryset = council.wards.all()
        directorate = model_choice(self, "directorate")
        directorate.queryset = council.directorates.all()
        directorate.empty_label = "Not set"
        for name in ("eqia_status", "dpia_status", "one_off_funding", "recurring_funding"):
            field_choices = getattr(BacklogItem._meta.get_field(name), "choices", None) or []
            choice(self, name).choices = [NOT_RECORDED, *field_choices]
        risk = choice(self, "risk_rating")
        risk.choices = [("", "Not assessed"), *RiskRating.choices]
        self.fields["all_wards"].label = "All wards"
        for name in (
            "effort_days",
            "remaining_days",
            "one_off_cost",
            "recurring_cost",
            "cashable_savings",
        ):
            self.fields[name].localize = False
        self.initial["key_decision"] = YES_NO[0] if self.instance.key_decision else YES_NO[1]
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            self.fields["version"].required = True
            self.fields["depends_on_refs"].initial = ", ".join(
                dependency.reference for dependency in self.instance.depends_on.all()
            )

    def main_fields(self) -> list[forms.BoundField]:
        """The visible fields before the committee section, in their order."""
        return [field for field in self.visible_fields() if field.name not in COMMITTEE_FIELDS]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("all_wards") and cleaned.get("wards"):
            self.add_error("wards", "Select “All wards” or the wards affected, not both")
        return cleaned

    def clean_depends_on_refs(self) -> list[BacklogItem]:
        text = self.cleaned_data["depends_on_refs"].upper()
        refs = [ref for ref in REFERENCE_SPLIT.split(text) if ref]
        if not refs:
            return []
        if self.instance.reference in refs:
            raise ValidationError("An item cannot depend on itself")
        found = {item.reference: item for item in self.council.items.filter(reference__in=refs)}
        missing = [ref for ref in refs if ref not in found]
        if missing:
            raise ValidationError(
                "There is no item %(refs)s in this council", params={"refs": ", ".join(missing)}
            )
        return list(found.values())

    def item_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["wards"] = list(data["wards"])
        data["depends_on"] = self.cleaned_data["depends_on_refs"]
        return data


class ScoreForm(forms.Form):
    """One criterion's score, carrying the version the editor saw (0 when unscored)."""

    value = forms.TypedChoiceField(
        coerce=int,
        error_messages={
            "required": "Choose a score from 1 to 5",
            "invalid_choice": "Choose a score from 1 to 5",
        },
    )
    rationale = forms.CharField(
        label="Rationale (optional)", max_length=1000, required=False, widget=forms.Textarea
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args: Any, criterion: Criterion, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criterion = criterion
        self.fields["value"].label = criterion.name
        choice(self, "value").choices = [
            (level, f"{level}: {text}") for level, text in criterion.levels
        ]

    def clean_value(self) -> int:
        value = self.cleaned_data["value"]
        if not SCALE_MIN <= value <= SCALE_MAX:
            raise ValidationError("Choose a score from 1 to 5")
        return value


class ScoreGridForm(forms.Form):
    """Every cell of a scoring grid: a level 1-5 (blank: left unscored), an optional rationale,
    and the version of the score the page showed. Cells are read straight from the data by
    their names rather than declared as fields: a 200 × 7 grid would be 4,200 bound fields.
    `cells` holds the valid cells, `cell_errors` a message per invalid cell (by its key)."""

    RATIONALE_MAX = 1000

    def __init__(
        self, data: Any, *, items: list[BacklogItem], criteria: list[Criterion], **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        self.items = items
        self.criteria = criteria
        self.cells: list[CellInput] = []
        self.cell_errors: dict[str, str] = {}

    @staticmethod
    def key(item: BacklogItem, criterion: Criterion) -> str:
        """A cell's name stem, and the id its error links to: "DIG-004-12"."""
        return f"{item.reference}-{criterion.pk}"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for item in self.items:
            for criterion in self.criteria:
                self._clean_cell(item, criterion)
        if self.cell_errors:
            raise ValidationError("Some cells need attention: nothing has been saved")
        return cleaned

    def _clean_cell(self, item: BacklogItem, criterion: Criterion) -> None:
        key = self.key(item, criterion)
        where = f"{item.reference} {criterion.name}"
        raw_value = self.data.get(f"score-{key}", "")
        rationale = self.data.get(f"rationale-{key}", "").strip()
        raw_version = self.data.get(f"version-{key}", "")
        if not raw_version.isdigit():
            self.cell_errors[key] = f"{where}: reload the grid, this cell has no version"
        elif raw_value and raw_value not in {
            str(level) for level in range(SCALE_MIN, SCALE_MAX + 1)
        }:
            self.cell_errors[key] = f"{where}: choose a score from {SCALE_MIN} to {SCALE_MAX}"
        elif len(rationale) > self.RATIONALE_MAX:
            self.cell_errors[key] = (
                f"{where}: the rationale must be {self.RATIONALE_MAX:,} characters or fewer"
            )
        elif rationale and not raw_value:
            self.cell_errors[key] = f"{where}: choose a score to go with the rationale"
        else:
            self.cells.append(
                CellInput(
                    item_id=item.pk,
                    criterion_id=criterion.pk,
                    value=int(raw_value) if raw_value else None,
                    rationale=rationale,
                    seen_version=int(raw_version),
                )
            )


class BulkChangeForm(forms.Form):
    items = forms.ModelMultipleChoiceField(
        queryset=BacklogItem.objects.none(),
        to_field_name="reference",
        error_messages={
            "required": "Select at least one item",
            "invalid_choice": "Select items from this backlog",
            "invalid_pk_value": "Select items from this backlog",
        },
    )
    change = forms.ChoiceField(
        label="Change selected items",
        error_messages={
            "required": "Choose a status or theme",
            "invalid_choice": "Choose a status or theme from the list",
        },
    )

    def __init__(self, *args: Any, council: Council, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "items").queryset = council.items.filter(archived=False)
        choice(self, "change").choices = [
            ("", "Choose a change"),
            ("Set status to", [(f"status:{value}", label) for value, label in Status.choices]),
            (
                "Move to theme",
                [(f"theme:{theme.pk}", theme.name) for theme in _active_themes(council)],
            ),
        ]
        self.council = council

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean returns cleaned_data
        kind, _, value = (cleaned.get("change") or "").partition(":")
        cleaned["status"] = value if kind == "status" else None
        cleaned["theme"] = (
            self.council.themes.filter(pk=value, retired=False).first()
            if kind == "theme" and value.isdigit()
            else None
        )
        return cleaned


# --- Set-up: themes and criteria (admins) -------------------------------------------------


class _CouncilListForm(forms.ModelForm):
    """A named, ordered entry in one of the council's set-up lists (themes, criteria)."""

    noun = ""
    # Optimistic locking: an edit form carries the version it was rendered with.
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)

    def __init__(self, *args: Any, council: Council, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.council = council
        self.fields["position"].required = False
        self.fields["position"].validators.append(MaxValueValidator(1000))
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            self.fields["version"].required = True
            self.fields["version"].error_messages["required"] = (
                f"Reload the page and make your change to this {self.noun} again"
            )

    def siblings(self) -> Any:
        raise NotImplementedError

    def clean_position(self) -> int | None:
        # Blank keeps an existing position; a new entry goes at the end.
        position = self.cleaned_data.get("position")
        return self.instance.position if position is None and self.instance.pk else position

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        clash = self.siblings().filter(name__iexact=name).exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(
                "There is already a %(noun)s called %(name)s",
                params={"noun": self.noun, "name": name},
            )
        return name


class ThemeForm(_CouncilListForm):
    noun = "theme"

    class Meta:
        model = Theme
        fields = ["name", "position"]
        labels = {"name": "Theme name", "position": "Order"}
        error_messages = {"name": {"required": "Enter a theme name"}}

    def siblings(self) -> Any:
        return self.council.themes


class ThemeEditForm(ThemeForm):
    action = forms.ChoiceField(
        choices=[
            ("save", "Save"),
            ("retire", "Retire"),
            ("restore", "Restore"),
            ("delete", "Delete"),
        ]
    )


class CriterionForm(_CouncilListForm):
    noun = "criterion"

    class Meta:
        model = Criterion
        fields = [
            "name",
            "help_text",
            "direction",
            "level_1",
            "level_2",
            "level_3",
            "level_4",
            "level_5",
            "position",
            "active",
        ]
        labels = {
            "help_text": "What it measures",
            "level_1": "1 means",
            "level_2": "2 means",
            "level_3": "3 means",
            "level_4": "4 means",
            "level_5": "5 means",
            "position": "Order",
            "active": "Use this criterion when scoring",
        }
        error_messages = {
            "name": {"required": "Enter a name"},
            **{
                f"level_{level}": {"required": f"Describe what a score of {level} means"}
                for level in range(1, 6)
            },
        }

    def siblings(self) -> Any:
        return self.council.criteria

    def clean_name(self) -> str:
        name = super().clean_name()
        if csv_import.is_fixed_column(name):
            raise ValidationError(
                "%(name)s is the name of a column in the backlog spreadsheet. Choose another "
                "name, so exports and imports can tell them apart",
                params={"name": name},
            )
        return name


# --- Roadmap and published plans (issue 5) -----------------------------------------------

CLEAR_PIN = "clear"


class PinForm(forms.Form):
    """Pin one item to a quarter of the plan (or remove its pin), always with a reason."""

    item = forms.CharField(
        label="Item reference",
        max_length=20,
        help_text="For example, DIG-012",
        error_messages={"required": "Enter the reference of the item to pin"},
    )
    quarter = forms.ChoiceField(
        label="Quarter",
        error_messages={
            "required": "Select a quarter, or remove the pin",
            "invalid_choice": "Select a quarter within the plan, or remove the pin",
        },
    )
    reason = forms.CharField(
        label="Reason",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Committees ask why the plan differs from the ranking",
        error_messages={"required": "Enter the reason for the pin"},
    )
    # Optimistic locking: the version of `version_item`'s pin when the form was rendered
    # (0: it had none). A reference typed by hand was not loaded, so it carries no version.
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)
    version_item = forms.CharField(widget=forms.HiddenInput, max_length=20, required=False)

    def __init__(self, *args, items=None, quarters=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        self.quarters = {quarter.key: quarter for quarter in quarters}
        choice(self, "quarter").choices = [
            ("", "Choose a quarter"),
            *((quarter.key, quarter.label) for quarter in quarters),
            (CLEAR_PIN, "Remove the pin: follow the ranking"),
        ]

    def clean_item(self) -> BacklogItem:
        reference = self.cleaned_data["item"].strip().upper()
        item = self.items.filter(reference=reference, archived=False).first()
        if item is None:
            raise forms.ValidationError("There is no open item with that reference")
        return item

    def clean_quarter(self) -> Any:
        key = self.cleaned_data["quarter"]
        if key == CLEAR_PIN:
            return CLEAR_PIN
        return self.quarters[key]

    def seen_version(self) -> int | None:
        """The pin version the page showed for the chosen item, or None if it showed none."""
        item = self.cleaned_data["item"]
        if self.cleaned_data.get("version_item", "").strip().upper() != item.reference:
            return None
        return self.cleaned_data.get("version")

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Enter the reason for the pin")
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

    # One key per rendering of the form: the same form posted twice publishes one plan.
    idempotency_key = forms.UUIDField(required=False, widget=forms.HiddenInput)
    options = forms.TypedMultipleChoiceField(
        label="Options considered (optional)",
        help_text="Saved weighting options to freeze with the plan, beside “Do nothing”.",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose options from the list"},
    )

    def __init__(self, *args: Any, options: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.option_profiles = {option.pk: option for option in options}
        choice(self, "options").choices = [(option.pk, option.name) for option in options]
        posted = self.data.get("idempotency_key") if self.is_bound else None
        try:
            key = uuid.UUID(str(posted)) if posted else uuid.uuid4()
        except ValueError:
            key = uuid.uuid4()
        # A form shown again after an error keeps its key, so fixing it and publishing is
        # still one action; the template renders this value in the hidden field.
        self.publish_key = key

    def clean_options(self) -> list[Any]:
        """The chosen options themselves, as many as the options page compares at most."""
        chosen = self.cleaned_data["options"]
        if len(chosen) > MAX_COMPARED:
            raise ValidationError(f"Choose up to {MAX_COMPARED} options")
        return [self.option_profiles[pk] for pk in chosen]

    def clean_title(self) -> str:
        title = self.cleaned_data["title"].strip()
        if not slugify(title):
            raise forms.ValidationError("Enter a title with at least one letter or number")
        return title

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        if "idempotency_key" in self.errors or not self.cleaned_data.get("idempotency_key"):
            self.errors.pop("idempotency_key", None)
            self.cleaned_data.pop("idempotency_key", None)
            raise forms.ValidationError(
                "This form has expired. Check the details and select Publish plan again"
            )
        return cleaned


# --- Weightings (issue 4) -----------------------------------------------------------------


class WeightsForm(forms.Form):
    """A method and one weight (0 to 100) per active criterion; not all of them zero."""

    method = forms.ChoiceField(
        label="Scoring method",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a scoring method"},
    )

    def __init__(self, *args: Any, criteria: list[Criterion], **kwargs: Any) -> None:
        from planner.models import Method

        super().__init__(*args, **kwargs)
        choice(self, "method").choices = Method.choices
        self.criteria = criteria
        for criterion in criteria:
            name = criterion.name
            self.fields[f"weight_{criterion.pk}"] = forms.DecimalField(
                label=name,
                min_value=0,
                max_value=100,
                max_digits=5,
                decimal_places=2,
                error_messages={
                    "required": f"Enter a weight for {name}, from 0 to 100",
                    "invalid": f"The weight for {name} must be a number from 0 to 100",
                    "min_value": f"The weight for {name} must be 0 or more",
                    "max_value": f"The weight for {name} must be 100 or less",
                    "max_decimal_places": f"The weight for {name} can have at most 2 decimal "
                    "places",
                    "max_digits": f"The weight for {name} must be 100 or less",
                },
            )

    def weight_fields(self) -> list:
        return [self[f"weight_{criterion.pk}"] for criterion in self.criteria]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean returns cleaned_data
        values = [cleaned.get(f"weight_{criterion.pk}") for criterion in self.criteria]
        if self.criteria and all(value is not None for value in values) and not any(values):
            raise ValidationError("Give at least one criterion a weight above 0")
        return cleaned

    def weights(self) -> dict[str, float]:
        """{"<criterion id>": weight}, whole numbers stored as ints."""
        weights: dict[str, float] = {}
        for criterion in self.criteria:
            value = self.cleaned_data[f"weight_{criterion.pk}"]
            weights[str(criterion.pk)] = int(value) if value == int(value) else float(value)
        return weights


class ProfileNameForm(forms.Form):
    """A profile name, unique within the council."""

    name = forms.CharField(
        label="Profile name",
        max_length=80,
        error_messages={
            "required": "Enter a name for the profile",
            "max_length": "The profile name must be 80 characters or fewer",
        },
    )

    def __init__(self, *args: Any, council: Council, exclude_pk: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.council = council
        self.exclude_pk = exclude_pk

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError("Enter a name for the profile")
        taken = self.council.profiles.filter(name__iexact=name)
        if self.exclude_pk is not None:
            taken = taken.exclude(pk=self.exclude_pk)
        if taken.exists():
            raise ValidationError("A profile with that name already exists: choose another")
        return name


class ProfileForm(WeightsForm, ProfileNameForm):
    """Rename a profile and set its method and weights, all in one save."""

    field_order = ["name", "method"]
    # Optimistic locking: the editor carries the profile's version it was rendered with.
    version = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=0,
        error_messages={"required": "Reload the page and make your change to the weights again"},
    )

    # How far the rank ranges vary each weight (SMAA-2). Blank keeps the profile's band, so
    # a form rendered before this field existed still saves.
    weight_band_percent = forms.IntegerField(
        label="Weight band (±%)",
        required=False,
        min_value=0,
        max_value=100,
        help_text=(
            "How far each weight may move either way when working out how sure each rank is. "
            "25 means a weight of 20 may be anything from 15 to 25. From 0 to 100."
        ),
        error_messages={
            "invalid": "The weight band must be a whole number from 0 to 100",
            "min_value": "The weight band must be 0 or more",
            "max_value": "The weight band must be 100 or less",
        },
    )

    def __init__(self, *args: Any, council: Council, criteria: list[Criterion], **kwargs):
        super().__init__(*args, criteria=criteria, council=council, **kwargs)


# --- CSV import -------------------------------------------------------------------------


class ImportUploadForm(forms.Form):
    """A backlog CSV to preview. The import service (`csv_import.read_upload`) refuses a file
    over the size limit, from its declared size, before it reads a byte."""

    file = forms.FileField(
        label="CSV or Excel file",
        error_messages={
            "required": "Choose a CSV or Excel file to upload.",
            "empty": "The file is empty.",
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        megabytes = settings.IMPORT_MAX_BYTES // (1024 * 1024)
        self.fields["file"].help_text = (
            f"Up to {megabytes} MB and {settings.IMPORT_MAX_ROWS:,} rows. An Excel workbook "
            "(.xlsx), or a CSV saved from Excel as “CSV UTF-8 (comma delimited)”."
        )


class ImportColumnsForm(forms.Form):
    """One select per column of the uploaded sheet: the field it fills, or "Ignore". Each
    field can be chosen for one column only; Title and Theme must be chosen."""

    def __init__(
        self,
        *args: Any,
        header: list[str],
        targets: list[tuple[str, str]],
        initial_mapping: list[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.header = header
        self.labels = dict(targets)
        choices = [(csv_import.IGNORE, "Ignore this column"), *targets]
        for position, heading in enumerate(header):
            self.fields[f"column_{position}"] = forms.ChoiceField(
                label=heading or f"Column {position + 1} (no heading)",
                choices=choices,
                required=False,
                initial=initial_mapping[position],
                error_messages={"invalid_choice": "Choose a field from the list, or Ignore"},
            )

    def mapping(self) -> list[str]:
        return [self.cleaned_data.get(f"column_{i}") or "" for i in range(len(self.header))]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        first: dict[str, int] = {}
        for position, target in enumerate(self.mapping()):
            if not target:
                continue
            if target in first:
                self.add_error(
                    f"column_{position}",
                    f"{self.labels[target]} is already matched to "
                    f"“{self.header[first[target]]}”: choose it for one column only",
                )
            else:
                first[target] = position
        for required in csv_import.REQUIRED_COLUMNS:
            if required not in first:
                raise ValidationError(f"Choose the column that holds the {required.lower()}")
        return cleaned


class PlanCompareForm(forms.Form):
    """Choose two published plans of the council to compare (a GET form)."""

    a = forms.ChoiceField(
        label="Earlier plan", error_messages={"required": "Select the first plan to compare"}
    )
    b = forms.ChoiceField(
        label="Later plan", error_messages={"required": "Select the second plan to compare"}
    )

    def __init__(self, *args, plans=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "Choose a plan")] + [
            (plan.slug, f"{plan.title} ({plan.committee}, {plan.meeting_date:%-d %B %Y})")
            for plan in plans
        ]
        invalid = {"invalid_choice": "Select a published plan from the list"}
        for name in ("a", "b"):
            choice(self, name).choices = choices
            self.fields[name].error_messages.update(invalid)

    def clean(self):
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean returns cleaned_data
        if cleaned.get("a") and cleaned.get("a") == cleaned.get("b"):
            self.add_error("b", "Select two different plans")
        return cleaned


# --- Planning settings (issue 9) -----------------------------------------------------------

MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
CURRENT_QUARTER = ""
MAX_TEAM_DAYS = 100_000
MAX_BUDGET_POUNDS = 999_999_999_999


class PoundsField(forms.DecimalField):
    """Whole pounds; people type "£40,000", so the pound sign, commas and spaces are allowed."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_BUDGET_POUNDS)
        kwargs.setdefault("decimal_places", 0)
        kwargs.setdefault("max_digits", 12)
        super().__init__(**kwargs)
        self.localize = False
        self.widget.input_type = "text"

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = value.replace("£", "").replace(",", "").replace(" ", "")
        return super().to_python(value)


class PlanningSettingsForm(forms.Form):
    """The delivery plan's settings. Per-quarter capacities and per-year budgets have one
    field each, for the quarters and financial years of the plan as it stands."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    planning_start = forms.ChoiceField(
        label="Planning start",
        help_text="The plan’s first quarter, which is Now. “The current quarter” moves on by "
        "itself as time passes",
        error_messages={"invalid_choice": "Choose a quarter from the list"},
        required=False,
    )
    horizon_quarters = forms.IntegerField(
        label="Planning horizon, in quarters",
        help_text="From 1 to 20; 8 is two years",
        min_value=1,
        max_value=20,
        error_messages={
            "required": "Enter the planning horizon in quarters",
            "invalid": "Enter the planning horizon as a whole number of quarters, from 1 to 20",
            "min_value": "The planning horizon must be at least 1 quarter",
            "max_value": "The planning horizon can be at most 20 quarters",
        },
    )
    capacity_days = forms.IntegerField(
        label="Team capacity, in team-days a quarter",
        help_text="The usual capacity; change single quarters below",
        min_value=1,
        max_value=MAX_TEAM_DAYS,
        error_messages={
            "required": "Enter the team capacity in team-days a quarter",
            "invalid": "Enter the team capacity as a whole number of team-days",
            "min_value": "The team capacity must be at least 1 team-day a quarter",
            "max_value": f"The team capacity can be at most {MAX_TEAM_DAYS:,} team-days",
        },
    )
    first_month = forms.TypedChoiceField(
        label="First month of the financial year",
        help_text="April for UK councils",
        coerce=int,
        choices=[(number, name) for number, name in enumerate(MONTH_NAMES, start=1)],
        error_messages={
            "required": "Choose the first month of the financial year",
            "invalid_choice": "Choose the first month of the financial year",
        },
    )
    schedule_mode = forms.ChoiceField(
        label="How to build the plan",
        widget=forms.RadioSelect,
        choices=[
            (
                "rank_order",
                "Rank order (transparent): each item in turn, at the earliest quarter with room",
            ),
            (
                "best_value",
                "Best value within limits (optimised): the most score delivered, "
                "sooner, within the same limits",
            ),
        ],  # fmt: skip
        error_messages={
            "required": "Choose how to build the plan",
            "invalid_choice": "Choose how to build the plan",
        },
    )
    discount_percent = forms.DecimalField(
        label="Best value: discount per quarter (%)",
        help_text="Score delivered a quarter later counts this much less; from 0 to 50",
        min_value=0,
        max_value=50,
        max_digits=4,
        decimal_places=1,
        error_messages={
            "required": "Enter the discount per quarter, from 0 to 50",
            "invalid": "Enter the discount per quarter as a number, from 0 to 50",
            "min_value": "The discount cannot be less than 0%%",
            "max_value": "The discount can be at most 50%%",
            "max_decimal_places": "Give the discount to at most 1 decimal place",
        },
    )

    def __init__(
        self, *args: Any, quarters: list[cal.Quarter], start_choices: list[cal.Quarter],
        **kwargs: Any,
    ) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        self.quarters = quarters
        self.start_quarters = {quarter.start.isoformat(): quarter for quarter in start_choices}
        choice(self, "planning_start").choices = [
            (CURRENT_QUARTER, "The current quarter"),
            *((key, quarter.label) for key, quarter in self.start_quarters.items()),
        ]
        for quarter in quarters:
            self.fields[self.capacity_name(quarter)] = forms.IntegerField(
                label=f"Capacity in {quarter.label}",
                required=False,
                min_value=0,
                max_value=MAX_TEAM_DAYS,
                error_messages={
                    "invalid": f"Enter the capacity in {quarter.short_label} as a whole "
                    "number of team-days, or leave it blank",
                    "min_value": f"The capacity in {quarter.short_label} cannot be negative",
                    "max_value": f"The capacity in {quarter.short_label} can be at most "
                    f"{MAX_TEAM_DAYS:,} team-days",
                },
            )
        for year, label in self.years:
            for kind, noun in (("one_off", "one-off"), ("recurring", "recurring")):
                self.fields[f"{kind}_{year}"] = PoundsField(
                    label=f"{label} {noun} budget, £",
                    error_messages={
                        "invalid": f"Enter the {label} {noun} budget in whole pounds, or "
                        "leave it blank",
                        "min_value": f"The {label} {noun} budget cannot be negative",
                        "max_value": f"The {label} {noun} budget is too large",
                        "max_decimal_places": f"Enter the {label} {noun} budget in whole pounds",
                        "max_digits": f"The {label} {noun} budget is too large",
                    },
                )
        for level in range(1, 5):
            self.fields[f"band_{level}"] = forms.DecimalField(
                label=f"Level {level}: up to (team-days)",
                min_value=0,
                max_digits=7,
                decimal_places=1,
                error_messages={
                    "required": f"Enter the upper limit of Effort level {level} in team-days",
                    "invalid": f"Enter the upper limit of Effort level {level} as a number "
                    "of team-days",
                    "min_value": f"The limit of Effort level {level} cannot be negative",
                    "max_digits": f"The limit of Effort level {level} is too large",
                    "max_decimal_places": f"Give the limit of Effort level {level} to at "
                    "most 1 decimal place",
                },
            )
            self.fields[f"band_{level}"].localize = False
        for name in ("discount_percent",):
            self.fields[name].localize = False

    @staticmethod
    def capacity_name(quarter: cal.Quarter) -> str:
        return f"capacity_{quarter.start:%Y_%m}"

    @property
    def years(self) -> list[tuple[int, str]]:
        seen = {quarter.year: quarter.financial_year_label for quarter in self.quarters}
        return sorted(seen.items())

    def capacity_fields(self) -> list[tuple[cal.Quarter, forms.BoundField]]:
        return [(quarter, self[self.capacity_name(quarter)]) for quarter in self.quarters]

    def budget_fields(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [
            (label, self[f"one_off_{year}"], self[f"recurring_{year}"])
            for year, label in self.years
        ]

    def band_fields(self) -> list[forms.BoundField]:
        return [self[f"band_{level}"] for level in range(1, 5)]

    def report_stale(self, message: str) -> None:
        """Show `message` in the error summary of an unbound form that holds the settings
        someone else saved, so nothing the user typed is silently kept or lost unnoticed."""
        self.full_clean()
        self.cleaned_data = {}
        self.add_error(None, message)

    def clean_planning_start(self) -> Any:
        key = self.cleaned_data["planning_start"]
        return None if key == CURRENT_QUARTER else self.start_quarters[key].start

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        bands = [cleaned.get(f"band_{level}") for level in range(1, 5)]
        if all(band is not None for band in bands):
            try:
                validate_bands([float(band) for band in bands if band is not None])
            except ValueError as error:
                self.add_error("band_1", str(error).rstrip("."))
        return cleaned

    def planning_settings(self) -> dict[str, Any]:
        """The cleaned values, shaped for planner.planning_settings.PlanningSettings."""
        data = self.cleaned_data
        return {
            "planning_start": data["planning_start"],
            "horizon_quarters": data["horizon_quarters"],
            "capacity_days": data["capacity_days"],
            "first_month": data["first_month"],
            "quarter_capacities": {
                quarter.start: data.get(self.capacity_name(quarter)) for quarter in self.quarters
            },
            "budgets": {
                year: (data.get(f"one_off_{year}"), data.get(f"recurring_{year}"))
                for year, _label in self.years
            },
            "effort_bands": [float(data[f"band_{level}"]) for level in range(1, 5)],
            "schedule_mode": data["schedule_mode"],
            "discount_percent": data["discount_percent"],
        }


# --- Scoring rounds ---------------------------------------------------------------------


class ParticipantChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.get_full_name() or obj.get_username())


class RoundStartForm(forms.Form):
    name = forms.CharField(
        label="Name of the round",
        max_length=120,
        help_text="For example, Digital board, 3 December",
        error_messages={"required": "Enter a name for the round"},
    )
    items = forms.ModelMultipleChoiceField(
        label="Items to score",
        queryset=BacklogItem.objects.none(),
        to_field_name="reference",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Select at least one item to score",
            "invalid_choice": "Select items from this backlog",
            "invalid_pk_value": "Select items from this backlog",
        },
    )
    participants = ParticipantChoiceField(
        label="Who scores",
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text="Any member of the council, councillors included",
        error_messages={
            "required": "Select at least one participant",
            "invalid_choice": "Select participants from this council's members",
            "invalid_pk_value": "Select participants from this council's members",
        },
    )
    anonymised = forms.TypedChoiceField(
        label="Show each person's scores",
        choices=[("named", "With their names"), ("anonymised", "Anonymised (Participant 1, 2…)")],
        coerce=lambda value: value == "anonymised",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether scores are shown with names"},
    )

    def __init__(self, *args: Any, council: Council, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "items").queryset = council.items.filter(archived=False)
        model_choice(self, "participants").queryset = (
            User.objects.filter(memberships__council=council).order_by("username").distinct()
        )


def cell_name(prefix: str, item_id: int, criterion_id: int) -> str:
    return f"{prefix}-{item_id}-{criterion_id}"


class RoundScoreForm(forms.Form):
    """One participant's scores: a 1–5 choice per item and criterion, each optional."""

    def __init__(
        self,
        *args: Any,
        items: list[BacklogItem],
        criteria: list[Criterion],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.cells = [(item.pk, criterion.pk) for item in items for criterion in criteria]
        for item in items:
            for criterion in criteria:
                self.fields[cell_name("s", item.pk, criterion.pk)] = forms.TypedChoiceField(
                    label=f"{criterion.name} for {item.reference}",
                    choices=[("", "Not scored"), *((n, f"{n}: {t}") for n, t in criterion.levels)],
                    coerce=int,
                    empty_value=None,
                    required=False,
                    error_messages={"invalid_choice": "Choose a score from 1 to 5"},
                )

    def scores(self) -> dict[tuple[int, int], int | None]:
        return {cell: self.cleaned_data[cell_name("s", *cell)] for cell in self.cells}


class AgreedScoresForm(forms.Form):
    """The facilitator's agreed score per cell; a score other than the median needs a note."""

    def __init__(
        self,
        *args: Any,
        defaults: dict[tuple[int, int], int],
        labels: dict[tuple[int, int], str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.defaults = defaults
        for cell, label in labels.items():
            self.fields[cell_name("a", *cell)] = forms.TypedChoiceField(
                label=f"Agreed {label}",
                choices=[(n, str(n)) for n in range(SCALE_MIN, SCALE_MAX + 1)],
                coerce=int,
                error_messages={
                    "required": f"Choose an agreed score for {label}",
                    "invalid_choice": f"Choose an agreed score from 1 to 5 for {label}",
                },
            )
            self.fields[cell_name("n", *cell)] = forms.CharField(
                label=f"Note on {label}", max_length=500, required=False
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean returns cleaned_data
        for (item_id, criterion_id), median in self.defaults.items():
            value = cleaned.get(cell_name("a", item_id, criterion_id))
            note_field = cell_name("n", item_id, criterion_id)
            if value is not None and value != median and not cleaned.get(note_field):
                label = str(self.fields[note_field].label).removeprefix("Note on ")
                self.add_error(
                    note_field,
                    f"Say why {label} is agreed at {value} rather than the median, {median}",
                )
        return cleaned

    def agreed(self) -> dict[tuple[int, int], tuple[int, str]]:
        return {
            cell: (
                self.cleaned_data[cell_name("a", *cell)],
                self.cleaned_data[cell_name("n", *cell)],
            )
            for cell in self.defaults
        }


# --- Council administration ---------------------------------------------------------------

ROLE_CHOICES = [(role.value, role.label) for role in reversed(Role)]


class CouncilNameForm(forms.Form):
    name = forms.CharField(
        label="Council name",
        max_length=120,
        error_messages={"required": "Enter the council's name"},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class InviteForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        error_messages={
            "required": "Enter the email address of the person to invite",
            "invalid": "Enter an email address in the correct format, like name@example.gov.uk",
        },
    )
    role = forms.TypedChoiceField(
        label="Role",
        choices=ROLE_CHOICES,
        coerce=int,
        initial=Role.VIEWER,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a role", "invalid_choice": "Choose a role"},
    )

    def __init__(self, *args: Any, council: Council, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.council = council

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if self.council.memberships.filter(user__email__iexact=email).exists():
            raise ValidationError("%(email)s is already a member", params={"email": email})
        return email


class MemberRoleForm(forms.Form):
    role = forms.TypedChoiceField(
        label="Role",
        choices=ROLE_CHOICES,
        coerce=int,
        error_messages={"required": "Choose a role", "invalid_choice": "Choose a role"},
    )


class ListEntryForm(forms.Form):
    """A ward's or directorate's name, unique in the council's list (case aside)."""

    name = forms.CharField(
        label="Name", max_length=120, error_messages={"required": "Enter a name"}
    )

    def __init__(
        self, *args: Any, entries: Any, noun: str, exclude_pk: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.entries = entries
        self.noun = noun
        self.exclude_pk = exclude_pk

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if self.entries.filter(name__iexact=name).exclude(pk=self.exclude_pk).exists():
            raise ValidationError(
                "There is already a %(noun)s called %(name)s",
                params={"noun": self.noun, "name": name},
            )
        return name


class NewAccountForm(forms.Form):
    """The account an invitee creates: a username and a password that passes Django's
    password validators (AUTH_PASSWORD_VALIDATORS)."""

    username = forms.CharField(
        label="Username",
        max_length=150,
        help_text="You will sign in with this. Letters, numbers and @ . + - _ only.",
        error_messages={"required": "Enter a username"},
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Enter a password"},
    )
    password2 = forms.CharField(
        label="Confirm password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Enter the password again"},
    )

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        user_model = get_user_model()
        try:
            UnicodeUsernameValidator()(username)
        except ValidationError as error:
            raise ValidationError(
                "Enter a username with only letters, numbers and @ . + - _"
            ) from error
        if user_model.objects.filter(username__iexact=username).exists():
            raise ValidationError("That username is taken. Choose another")
        return username

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The passwords do not match")
        elif first:
            user = get_user_model()(username=cleaned.get("username", ""), email=self.email)
            try:
                validate_password(first, user)
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class NewCouncilForm(forms.ModelForm):
    admin_email = forms.EmailField(
        label="First admin's email address",
        max_length=254,
        help_text="They receive an invitation to set up their account and the council.",
        error_messages={
            "required": "Enter the email address of the council's first admin",
            "invalid": "Enter an email address in the correct format, like name@example.gov.uk",
        },
    )

    class Meta:
        model = Council
        fields = ["name", "slug", "nation", "council_type"]
        labels = {"name": "Council name", "slug": "Web address name", "council_type": "Type"}
        help_texts = {"slug": "Lower-case letters, numbers and hyphens: it appears as /c/<name>/."}
        error_messages = {
            "name": {"required": "Enter the council's name"},
            "slug": {
                "required": "Enter a web address name",
                "invalid": "Use only lower-case letters, numbers and hyphens",
                "unique": "Another council already uses that web address name",
            },
            "council_type": {"required": "Choose the type of council"},
        }

    def clean_slug(self) -> str:
        return str(self.cleaned_data["slug"]).lower()


# --- Why is X above Y? (issue 10) -------------------------------------------------------------

ITEM_REFERENCE_MAX = 20


class CompareItemsForm(forms.Form):
    """Choose two items of the backlog to compare (a GET form; references like DIG-004)."""

    a = forms.CharField(
        label="First item",
        max_length=ITEM_REFERENCE_MAX,
        help_text="Its reference, for example DIG-004",
        error_messages={
            "required": "Enter the reference of the first item",
            "max_length": "Enter a reference like DIG-004",
        },
    )
    b = forms.CharField(
        label="Second item",
        max_length=ITEM_REFERENCE_MAX,
        help_text="Its reference, for example DIG-031",
        error_messages={
            "required": "Enter the reference of the second item",
            "max_length": "Enter a reference like DIG-031",
        },
    )

    def clean_a(self) -> str:
        return clean_reference(str(self.cleaned_data["a"]))

    def clean_b(self) -> str:
        return clean_reference(str(self.cleaned_data["b"]))

    def clean(self):
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean returns cleaned_data
        if cleaned.get("a") and cleaned.get("a") == cleaned.get("b"):
            self.add_error("b", "Choose two different items to compare")
        return cleaned


OPTION_NAME_ERRORS = {
    "required": "Enter a name for the option",
    "max_length": "The option name must be 80 characters or fewer",
}


class OptionForm(WeightsForm):
    """The weights being edited, saved under a new name as a weighting option."""

    option_name = forms.CharField(
        label="Option name",
        max_length=80,
        help_text="For example, Option B: savings first",
        error_messages=OPTION_NAME_ERRORS,
    )


class OptionNameForm(forms.Form):
    """Rename a weighting option (the service checks the name is free)."""

    name = forms.CharField(
        label="New name",
        max_length=80,
        error_messages=OPTION_NAME_ERRORS,
    )


class OptionChoiceForm(forms.Form):
    """Choose up to four saved options to compare (a GET form with checkboxes)."""

    option = forms.TypedMultipleChoiceField(
        label="Options to compare",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose options from the list"},
    )

    def __init__(self, *args: Any, options: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice(self, "option").choices = [(option.pk, option.name) for option in options]

    def clean_option(self) -> list[int]:
        chosen = self.cleaned_data["option"]
        if len(chosen) > MAX_COMPARED:
            raise ValidationError(f"Choose up to {MAX_COMPARED} options to compare")
        return chosen
