"""Tenancy: councils and who belongs to them, with which role."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords


class Nation(models.TextChoices):
    ENGLAND = "england", "England"
    WALES = "wales", "Wales"
    SCOTLAND = "scotland", "Scotland"
    NORTHERN_IRELAND = "northern_ireland", "Northern Ireland"


class CouncilType(models.TextChoices):
    COUNTY = "county", "County council"
    DISTRICT = "district", "District council"
    UNITARY = "unitary", "Unitary authority"
    LONDON_BOROUGH = "london_borough", "London borough"
    METROPOLITAN = "metropolitan", "Metropolitan borough"
    COMBINED = "combined", "Combined authority"


class Role(models.IntegerChoices):
    """Ordered so that a higher role can do everything a lower one can."""

    VIEWER = 10, "Viewer"
    EDITOR = 20, "Editor"
    # A CIO or head of digital: sets the weightings, plans capacity and money, publishes plans.
    APPROVER = 25, "Approver"
    ADMIN = 30, "Admin"


MAX_HORIZON_QUARTERS = 20
DEFAULT_EFFORT_BANDS = (5, 20, 60, 120)


def default_effort_bands() -> list[int]:
    return list(DEFAULT_EFFORT_BANDS)


class Council(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    nation = models.CharField(max_length=20, choices=Nation.choices, default=Nation.ENGLAND)
    council_type = models.CharField(max_length=20, choices=CouncilType.choices)
    capacity_days_per_quarter = models.PositiveIntegerField(
        "delivery capacity (team-days per quarter)",
        default=120,
        validators=[MinValueValidator(1), MaxValueValidator(100_000)],
    )
    # Planning settings: the delivery plan's quarters, capacity, money and effort bands.
    planning_start = models.DateField(
        "planning start",
        null=True,
        blank=True,
        help_text="The first day of the plan's first quarter. Blank means the current quarter.",
    )
    planning_horizon_quarters = models.PositiveSmallIntegerField(
        "planning horizon (quarters)",
        default=8,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_HORIZON_QUARTERS)],
    )
    financial_year_start_month = models.PositiveSmallIntegerField(
        "first month of the financial year",
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    # Upper bounds in team-days of Effort levels 1 to 4; anything larger is level 5.
    effort_bands = models.JSONField(default=default_effort_bands)
    # Optimistic locking for the planning settings: two approvers must not overwrite each other.
    planning_version = models.PositiveIntegerField(default=1)
    # Optimistic locking for the council's own details (its name), apart from the planning
    # settings so an admin renaming the council never collides with an approver planning.
    version = models.PositiveIntegerField(default=1)
    # A deactivated council keeps its data, but its pages are gone for its members.
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class QuarterCapacity(models.Model):
    """A quarter whose team capacity differs from the usual (holidays, a vacancy, a new hire)."""

    council = models.ForeignKey(
        Council, on_delete=models.CASCADE, related_name="quarter_capacities"
    )
    quarter_start = models.DateField()
    days = models.PositiveIntegerField(
        "team-days", validators=[MinValueValidator(0), MaxValueValidator(100_000)]
    )

    class Meta:
        ordering = ["quarter_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["council", "quarter_start"], name="one_capacity_per_quarter"
            )
        ]

    def __str__(self) -> str:
        return f"{self.council} {self.quarter_start}: {self.days} team-days"


class FinancialYearBudget(models.Model):
    """What a financial year can spend. A blank budget means "not constrained"."""

    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="budgets")
    year = models.PositiveSmallIntegerField(
        help_text="The year the financial year starts in: 2027 for 2027/28.",
        validators=[MinValueValidator(2000), MaxValueValidator(2100)],
    )
    one_off = models.DecimalField(
        "one-off (capital) budget, £",
        max_digits=12,
        decimal_places=0,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    recurring = models.DecimalField(
        "recurring (revenue) budget, £ a year",
        max_digits=12,
        decimal_places=0,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )

    class Meta:
        ordering = ["year"]
        constraints = [
            models.UniqueConstraint(fields=["council", "year"], name="one_budget_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.council} {self.year}/{(self.year + 1) % 100:02d}"


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="memberships")
    role = models.PositiveSmallIntegerField(choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "council"], name="one_membership_per_council")
        ]
        ordering = ["council__name"]

    def __str__(self) -> str:
        return f"{self.user} – {self.council} ({self.get_role_display()})"

    @property
    def can_edit(self) -> bool:
        return self.role >= Role.EDITOR

    @property
    def can_approve(self) -> bool:
        """Weightings, options, pins, planning settings and publishing plans."""
        return self.role >= Role.APPROVER

    @property
    def is_admin(self) -> bool:
        """Members, themes, criteria, wards, directorates and sign-in settings."""
        return self.role >= Role.ADMIN


INVITATION_DAYS = 7


class Invitation(models.Model):
    """An invitation by email to join a council with a role. The link sent carries a signed
    id (planner/invitations.py); `accepted_at` makes it single use."""

    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.PositiveSmallIntegerField(choices=Role.choices, default=Role.VIEWER)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} to {self.council} ({self.get_role_display()})"


class CouncilList(models.Model):
    """An entry of one of a council's simple named lists (wards, directorates)."""

    name = models.CharField(max_length=120)
    history = HistoricalRecords(inherit=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Ward(CouncilList):
    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="wards")

    class Meta(CouncilList.Meta):
        constraints = [
            models.UniqueConstraint(fields=["council", "name"], name="one_ward_name_per_council")
        ]


class Directorate(CouncilList):
    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="directorates")

    class Meta(CouncilList.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["council", "name"], name="one_directorate_name_per_council"
            )
        ]
