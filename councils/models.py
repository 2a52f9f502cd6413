"""Tenancy: councils and who belongs to them, with which role."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


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
    ADMIN = 30, "Admin"


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
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="memberships")
    role = models.PositiveSmallIntegerField(choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

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
    def is_admin(self) -> bool:
        return self.role >= Role.ADMIN
