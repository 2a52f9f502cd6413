"""Admins manage themes and criteria; a theme in use can only be retired."""

from __future__ import annotations

import pytest
from django.urls import reverse

from planner.models import Criterion, Theme
from tests.factories import BacklogItemFactory

pytestmark = pytest.mark.django_db


def theme_post(theme, action: str, **overrides) -> dict:
    prefix = f"theme-{theme.pk}"
    data = {
        f"{prefix}-name": theme.name,
        f"{prefix}-position": theme.position,
        f"{prefix}-action": action,
        f"{prefix}-version": theme.version,
    }
    data.update({f"{prefix}-{key}": value for key, value in overrides.items()})
    return data


def theme_edit_url(theme) -> str:
    return reverse("theme_edit", args=[theme.council.slug, theme.pk])


def test_admin_sees_the_themes(admin_client_for_council, council):
    response = admin_client_for_council.get(reverse("themes", args=[council.slug]))
    assert response.status_code == 200
    assert "Procurement" in response.content.decode()


def test_admin_adds_a_theme_at_the_end(admin_client_for_council, council):
    response = admin_client_for_council.post(
        reverse("themes", args=[council.slug]), {"name": "Cyber security", "position": ""}
    )
    assert response.status_code == 302
    theme = council.themes.get(name="Cyber security")
    assert theme.position == council.themes.exclude(pk=theme.pk).count() + 1


def test_duplicate_theme_name_is_refused(admin_client_for_council, council):
    response = admin_client_for_council.post(
        reverse("themes", args=[council.slug]), {"name": "procurement"}
    )
    assert response.status_code == 400
    assert "already a theme" in response.content.decode()


@pytest.mark.parametrize("name", ["", "   ", "n" * 81, "bad\x00name"])
def test_bad_theme_name_is_refused(admin_client_for_council, council, name):
    before = council.themes.count()
    response = admin_client_for_council.post(reverse("themes", args=[council.slug]), {"name": name})
    assert response.status_code == 400
    assert "govuk-error-summary" in response.content.decode()
    assert council.themes.count() == before


def test_admin_renames_and_reorders_a_theme(admin_client_for_council, council):
    theme = council.themes.first()
    response = admin_client_for_council.post(
        theme_edit_url(theme), theme_post(theme, "save", name="Buying things", position=40)
    )
    assert response.status_code == 302
    theme.refresh_from_db()
    assert (theme.name, theme.position) == ("Buying things", 40)


def test_theme_in_use_cannot_be_deleted(admin_client_for_council, council):
    theme = council.themes.first()
    BacklogItemFactory(council=council, theme=theme, archived=True)
    response = admin_client_for_council.post(theme_edit_url(theme), theme_post(theme, "delete"))
    assert response.status_code == 400
    assert "retire it instead" in response.content.decode()
    assert Theme.objects.filter(pk=theme.pk).exists()


def test_unused_theme_can_be_deleted(admin_client_for_council, council):
    theme = council.themes.last()
    response = admin_client_for_council.post(theme_edit_url(theme), theme_post(theme, "delete"))
    assert response.status_code == 302
    assert not Theme.objects.filter(pk=theme.pk).exists()


def test_retired_theme_is_kept_on_its_items_but_not_offered(admin_client_for_council, council):
    theme = council.themes.first()
    item = BacklogItemFactory(council=council, theme=theme)
    admin_client_for_council.post(theme_edit_url(theme), theme_post(theme, "retire"))
    theme.refresh_from_db()
    assert theme.retired
    new_form = admin_client_for_council.get(reverse("item_new", args=[council.slug]))
    assert theme not in new_form.context["form"].fields["theme"].queryset
    edit_form = admin_client_for_council.get(
        reverse("item_edit", args=[council.slug, item.reference])
    )
    assert theme in edit_form.context["form"].fields["theme"].queryset


def test_retired_theme_can_be_restored(admin_client_for_council, council):
    theme = council.themes.first()
    theme.retired = True
    theme.save()
    admin_client_for_council.post(theme_edit_url(theme), theme_post(theme, "restore"))
    theme.refresh_from_db()
    assert not theme.retired


def test_another_councils_theme_is_404(admin_client_for_council, council, other_council):
    foreign = other_council.themes.first()
    url = reverse("theme_edit", args=[council.slug, foreign.pk])
    assert admin_client_for_council.post(url, theme_post(foreign, "delete")).status_code == 404
    assert Theme.objects.filter(pk=foreign.pk).exists()


def test_editor_cannot_manage_themes(editor_client, council):
    theme = council.themes.first()
    assert editor_client.get(reverse("themes", args=[council.slug])).status_code == 403
    response = editor_client.post(theme_edit_url(theme), theme_post(theme, "retire"))
    assert response.status_code == 403
    theme.refresh_from_db()
    assert not theme.retired


# --- Criteria ---


def criterion_data(prefix: str, **overrides) -> dict:
    data = {
        "name": "Carbon reduction",
        "help_text": "Cuts the council's emissions.",
        "direction": "benefit",
        "level_1": "None",
        "level_2": "A little",
        "level_3": "Some",
        "level_4": "A lot",
        "level_5": "Net zero",
        "position": "",
        "active": "on",
    }
    if prefix.startswith("criterion-"):
        data["version"] = str(Criterion.objects.get(pk=prefix.removeprefix("criterion-")).version)
    data.update(overrides)
    return {f"{prefix}-{key}": value for key, value in data.items()}


def test_admin_adds_a_criterion_with_an_anchored_scale(admin_client_for_council, council):
    response = admin_client_for_council.post(
        reverse("criteria", args=[council.slug]), criterion_data("new")
    )
    assert response.status_code == 302
    criterion = council.criteria.get(name="Carbon reduction")
    assert criterion.key == "carbon_reduction"
    assert criterion.levels[4] == (5, "Net zero")


def test_criterion_needs_every_level_described(admin_client_for_council, council):
    response = admin_client_for_council.post(
        reverse("criteria", args=[council.slug]), criterion_data("new", level_3="  ")
    )
    assert response.status_code == 400
    assert "Describe what a score of 3 means" in response.content.decode()
    assert not Criterion.objects.filter(name="Carbon reduction").exists()


def test_admin_edits_a_criterion(admin_client_for_council, council):
    criterion = council.criteria.first()
    prefix = f"criterion-{criterion.pk}"
    response = admin_client_for_council.post(
        reverse("criterion_edit", args=[council.slug, criterion.pk]),
        criterion_data(prefix, name="Resident impact", active=""),
    )
    assert response.status_code == 302
    criterion.refresh_from_db()
    assert (criterion.name, criterion.active) == ("Resident impact", False)


def test_duplicate_criterion_name_is_refused(admin_client_for_council, council):
    existing = council.criteria.first()
    response = admin_client_for_council.post(
        reverse("criteria", args=[council.slug]), criterion_data("new", name=existing.name)
    )
    assert response.status_code == 400


def test_editor_cannot_manage_criteria(editor_client, council):
    criterion = council.criteria.first()
    assert editor_client.get(reverse("criteria", args=[council.slug])).status_code == 403
    response = editor_client.post(
        reverse("criterion_edit", args=[council.slug, criterion.pk]),
        criterion_data(f"criterion-{criterion.pk}", name="Hijacked"),
    )
    assert response.status_code == 403
    criterion.refresh_from_db()
    assert criterion.name != "Hijacked"


def test_criteria_page_escapes_level_text(admin_client_for_council, council):
    criterion = council.criteria.first()
    criterion.level_1 = "<script>alert(1)</script>"
    criterion.save()
    body = admin_client_for_council.get(reverse("criteria", args=[council.slug])).content.decode()
    assert "<script>alert(1)</script>" not in body
