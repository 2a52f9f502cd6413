"""Issue 14, items 5 and 6: lost updates on themes, criteria, weighting profiles and pins are
refused with a 409 that shows the other person's change; a name taken by a concurrent save
is a 400 "already exists", not a 500; scoring an archived item from a backlog row is a 400."""

from __future__ import annotations

import pytest
from django.urls import reverse

from councils.models import Role
from planner import pins, setup, weightings
from planner.forms import CriterionForm, ProfileNameForm, ThemeForm
from planner.models import HorizonOverride, Method
from tests.concurrency import at_once, council_with_member, needs_postgres
from tests.factories import BacklogItemFactory, UserFactory
from tests.planner.test_setup_themes_criteria import criterion_data, theme_post
from tests.planner.test_weightings import _post_data

pytestmark = pytest.mark.django_db


# --- 5: optimistic locking ---------------------------------------------------------------


def test_stale_theme_save_gets_409_and_overwrites_nothing(admin_client_for_council, council):
    theme = council.themes.first()
    seen = theme_post(theme, "save", name="My name")
    setup.change_theme(
        theme=theme, user=None, action="save", name="Their name", position=7, version=1
    )
    response = admin_client_for_council.post(
        reverse("theme_edit", args=[council.slug, theme.pk]), seen
    )
    body = response.content.decode()
    assert response.status_code == 409
    assert "Their name" in body and "order 7" in body  # their change is shown
    theme.refresh_from_db()
    assert (theme.name, theme.position, theme.version) == ("Their name", 7, 2)
    # Their typing stays, with the version saved now: saving again is a deliberate choice.
    assert 'value="My name"' in body
    assert f'name="theme-{theme.pk}-version" value="2"' in body


def test_stale_criterion_save_gets_409_and_overwrites_nothing(admin_client_for_council, council):
    criterion = council.criteria.filter(derived_from_estimate=False).first()
    prefix = f"criterion-{criterion.pk}"
    seen = criterion_data(prefix, name="My criterion")
    criterion.level_3 = "Their level three"
    setup.save_criterion(council=council, user=None, criterion=criterion, version=1)
    response = admin_client_for_council.post(
        reverse("criterion_edit", args=[council.slug, criterion.pk]), seen
    )
    body = response.content.decode()
    assert response.status_code == 409
    assert "Their level three" in body
    criterion.refresh_from_db()
    assert criterion.level_3 == "Their level three" and criterion.name != "My criterion"
    assert f'name="{prefix}-version" value="2"' in body


def test_stale_profile_save_gets_409_and_overwrites_nothing(admin_client_for_council, council):
    profile = weightings.active_profile(council)
    criteria = weightings.active_criteria(council)
    seen = _post_data(profile, criteria, method="rice")
    other = UserFactory(username="colleague")
    from planner.audit import record_history_user

    record_history_user(profile, other)
    weightings.update_profile(
        profile=profile,
        method=Method.WSJF,
        weights={str(criteria[0].pk): 77},
        version=profile.version,
    )
    response = admin_client_for_council.post(reverse("weightings", args=[council.slug]), seen)
    body = response.content.decode()
    assert response.status_code == 409
    assert "WSJF" in body and f"{criteria[0].name} 77" in body
    profile.refresh_from_db()
    assert profile.method == Method.WSJF and profile.weights[str(criteria[0].pk)] == 77
    assert 'name="version" value="2"' in body
    # htmx gets the editor fragment with the same 409.
    response = admin_client_for_council.post(
        reverse("weightings", args=[council.slug]), seen, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 409
    assert "saved this profile while you were editing" in response.content.decode()


def _pin_post(item, quarter_key: str, version: int, reason: str = "Mine") -> dict:
    return {
        "item": item.reference,
        "quarter": quarter_key,
        "reason": reason,
        "version": str(version),
        "version_item": item.reference,
    }


def test_stale_pin_gets_409_and_overwrites_nothing(approver_client, council):
    from planner import planning

    item = BacklogItemFactory(council=council)
    quarters = planning.plan_quarters(council)
    page = approver_client.get(reverse("roadmap", args=[council.slug]), {"item": item.reference})
    assert page.context["form"]["version"].value() == 0  # the page saw no pin
    pins.pin_item(
        council=council,
        item=item,
        quarter=quarters[2].start,
        reason="Their statutory deadline",
        pinned_by=UserFactory(username="colleague"),
    )
    response = approver_client.post(
        reverse("roadmap_pin", args=[council.slug]), _pin_post(item, quarters[0].key, 0)
    )
    body = response.content.decode()
    assert response.status_code == 409
    assert "colleague" in body and "Their statutory deadline" in body
    pin = HorizonOverride.objects.get(item=item)
    assert (pin.quarter, pin.reason) == (quarters[2].start, "Their statutory deadline")
    # Saving again with the version now shown replaces theirs: a deliberate choice.
    response = approver_client.post(
        reverse("roadmap_pin", args=[council.slug]), _pin_post(item, quarters[0].key, 1)
    )
    assert response.status_code == 302
    pin.refresh_from_db()
    assert (pin.quarter, pin.reason, pin.version) == (quarters[0].start, "Mine", 2)


def test_stale_unpin_gets_409(approver_client, council):
    from planner import planning

    item = BacklogItemFactory(council=council)
    quarters = planning.plan_quarters(council)
    pins.pin_item(council=council, item=item, quarter=quarters[1].start, reason="A", pinned_by=None)
    pins.pin_item(council=council, item=item, quarter=quarters[2].start, reason="B", pinned_by=None)
    response = approver_client.post(
        reverse("roadmap_pin", args=[council.slug]), _pin_post(item, "clear", 1)
    )
    assert response.status_code == 409
    assert HorizonOverride.objects.filter(item=item, reason="B").exists()


# --- 6: a name taken by a concurrent save is a 400, not a 500 ----------------------------


def _skip_name_check(monkeypatch, form_class) -> None:
    """The race: the form's own check ran before the other save committed."""
    monkeypatch.setattr(form_class, "clean_name", lambda self: self.cleaned_data["name"])


def test_theme_added_twice_at_once_gets_400_already_exists(
    admin_client_for_council, council, monkeypatch
):
    existing = council.themes.first()
    _skip_name_check(monkeypatch, ThemeForm)
    response = admin_client_for_council.post(
        reverse("themes", args=[council.slug]), {"name": existing.name, "position": ""}
    )
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    assert council.themes.filter(name=existing.name).count() == 1


def test_theme_renamed_onto_a_new_name_at_once_gets_400(
    admin_client_for_council, council, monkeypatch
):
    first, second = council.themes.all()[:2]
    _skip_name_check(monkeypatch, ThemeForm)
    response = admin_client_for_council.post(
        reverse("theme_edit", args=[council.slug, second.pk]),
        theme_post(second, "save", name=first.name),
    )
    assert response.status_code == 400
    assert "already exists" in response.content.decode()


def test_criterion_added_twice_at_once_gets_400_already_exists(
    admin_client_for_council, council, monkeypatch
):
    existing = council.criteria.first()
    _skip_name_check(monkeypatch, CriterionForm)
    response = admin_client_for_council.post(
        reverse("criteria", args=[council.slug]), criterion_data("new", name=existing.name)
    )
    assert response.status_code == 400
    assert "already exists" in response.content.decode()


def test_profile_created_twice_at_once_gets_400_already_exists(
    admin_client_for_council, council, monkeypatch
):
    existing = weightings.active_profile(council)
    monkeypatch.setattr(ProfileNameForm, "clean_name", lambda self: self.cleaned_data["name"])
    for url, prefix in [
        (reverse("weighting_profile_new", args=[council.slug]), "new"),
        (reverse("weighting_profile_copy", args=[council.slug, existing.pk]), "copy"),
    ]:
        response = admin_client_for_council.post(url, {f"{prefix}-name": existing.name})
        assert response.status_code == 400
        assert "already exists" in response.content.decode()
    assert council.profiles.filter(name=existing.name).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_profiles_activated_at_once_leave_one_active_and_no_error():
    needs_postgres()
    council, admin = council_with_member(Role.ADMIN)
    drafts = [weightings.create_profile(council=council, name=f"Draft {n}") for n in range(4)]
    for _round in range(3):
        at_once(
            len(drafts),
            lambda n: weightings.activate_profile(profile=drafts[n], activated_by=admin),
        )
        assert council.profiles.filter(is_active=True).count() == 1
