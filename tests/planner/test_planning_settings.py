"""Planning settings: the form (admins), the service's one transaction and its version check."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from councils.models import Council, FinancialYearBudget, QuarterCapacity
from planner import planning_settings, ranking
from planner.models import Criterion, ItemScore, ScheduleMode, Status
from tests.factories import BacklogItemFactory, score_all

START = date(2027, 4, 1)


def _url(council):
    return reverse("planning_settings", args=[council.slug])


@pytest.fixture
def planned(council):
    council.planning_start = START
    council.capacity_days_per_quarter = 100
    council.save()
    item = BacklogItemFactory(
        council=council, status=Status.READY, effort_days=40, one_off_cost=30000
    )
    score_all(item)
    ranking.run_now(council=council)
    return item


def _form_data(client, council, **changes):
    """What the browser would post back unchanged, with `changes` applied."""
    form = client.get(_url(council)).context["form"]
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        data[name] = "" if value is None else value
    data.update(changes)
    return data


def test_admin_sees_the_settings_with_their_current_values(admin_client_for_council, council):
    response = admin_client_for_council.get(_url(council))
    assert response.status_code == 200
    form = response.context["form"]
    assert form["horizon_quarters"].value() == 8
    assert len(form.capacity_fields()) == 8
    assert [label for label, _o, _r in form.budget_fields()][0].count("/") == 1
    assert "Planning settings" in response.text


def test_saving_a_budget_moves_an_item_with_a_money_reason(
    admin_client_for_council, council, planned, django_capture_on_commit_callbacks
):
    data = _form_data(admin_client_for_council, council, one_off_2027="£10,000")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_for_council.post(_url(council), data)
    assert response.status_code == 302
    assert FinancialYearBudget.objects.get(council=council, year=2027).one_off == 10000
    entry = ranking.latest_done_run(council).entries.get(item=planned)
    assert entry.schedule_details["text"] == "over the 2027/28 one-off budget by £20,000"
    assert entry.horizon == "later"


def test_saving_settings_updates_the_council_and_bumps_its_version(
    admin_client_for_council, council, planned
):
    data = _form_data(
        admin_client_for_council,
        council,
        horizon_quarters=6,
        capacity_days=80,
        capacity_2027_07="40",
        schedule_mode=ScheduleMode.BEST_VALUE,
        discount_percent="7.5",
    )
    response = admin_client_for_council.post(_url(council), data)
    assert response.status_code == 302
    council.refresh_from_db()
    assert (council.planning_horizon_quarters, council.capacity_days_per_quarter) == (6, 80)
    assert council.planning_version == 2
    assert QuarterCapacity.objects.get(council=council).days == 40
    profile = council.profiles.get(is_active=True)
    assert (profile.schedule_mode, profile.value_discount_percent) == ("best_value", Decimal("7.5"))


def test_blank_capacity_and_budget_clear_earlier_overrides(admin_client_for_council, council):
    council.planning_start = START
    council.save()
    QuarterCapacity.objects.create(council=council, quarter_start=START, days=10)
    FinancialYearBudget.objects.create(council=council, year=2027, one_off=5)
    data = _form_data(admin_client_for_council, council, capacity_2027_04="", one_off_2027="")
    assert admin_client_for_council.post(_url(council), data).status_code == 302
    assert not QuarterCapacity.objects.filter(council=council).exists()
    assert not FinancialYearBudget.objects.filter(council=council).exists()


def test_new_effort_bands_rederive_effort_scores_and_level_texts(admin_client_for_council, council):
    effort = council.criteria.get(derived_from_estimate=True)
    item = BacklogItemFactory(council=council, effort_days=30)
    data = _form_data(
        admin_client_for_council, council, band_1="10", band_2="40", band_3="80", band_4="160"
    )
    assert admin_client_for_council.post(_url(council), data).status_code == 302
    council.refresh_from_db()
    assert council.effort_bands == [10, 40, 80, 160]
    assert ItemScore.objects.get(item=item, criterion=effort).value == 2
    assert Criterion.objects.get(pk=effort.pk).level_1.startswith("Up to 10 team-days")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"horizon_quarters": "21"}, "The planning horizon can be at most 20 quarters"),
        ({"capacity_days": "lots"}, "Enter the team capacity as a whole number of team-days"),
        ({"one_off_2027": "-5"}, "The 2027/28 one-off budget cannot be negative"),
        ({"band_2": "3"}, "Each band limit must be larger than the one before it"),
        ({"discount_percent": "80"}, "The discount can be at most 50%"),
        ({"planning_start": "1999-04-01"}, "Choose a quarter from the list"),
    ],
)
def test_bad_input_shows_an_error_and_saves_nothing(
    admin_client_for_council, council, changes, message
):
    council.planning_start = START
    council.save()
    data = _form_data(admin_client_for_council, council, **changes)
    response = admin_client_for_council.post(_url(council), data)
    assert response.status_code == 400
    assert "There is a problem" in response.text and message in response.text
    fresh = Council.objects.get(pk=council.pk)
    assert fresh.planning_version == 1
    assert not FinancialYearBudget.objects.filter(council=council).exists()


def test_a_stale_save_is_refused_with_409_and_overwrites_nothing(admin_client_for_council, council):
    data = _form_data(admin_client_for_council, council, capacity_days="55")
    Council.objects.filter(pk=council.pk).update(planning_version=2, capacity_days_per_quarter=70)
    response = admin_client_for_council.post(_url(council), data)
    assert response.status_code == 409
    assert "Someone else saved the planning settings" in response.text
    assert Council.objects.get(pk=council.pk).capacity_days_per_quarter == 70
    assert response.context["form"]["capacity_days"].value() == 70


def test_the_service_refuses_a_stale_version(council):
    settings = planning_settings.PlanningSettings(
        planning_start=None,
        horizon_quarters=8,
        capacity_days=100,
        first_month=4,
        quarter_capacities={},
        budgets={2027: (Decimal(1), None)},
        effort_bands=[5, 20, 60, 120],
        schedule_mode=ScheduleMode.RANK_ORDER,
        discount_percent=Decimal(5),
    )
    with pytest.raises(planning_settings.StaleSettings):
        planning_settings.save_planning_settings(council=council, version=7, settings=settings)
    assert not FinancialYearBudget.objects.exists()


def test_viewer_and_editor_cannot_save_settings(viewer_client, editor_client, council):
    for client in (viewer_client, editor_client):
        assert client.get(_url(council)).status_code == 403
        assert client.post(_url(council), {"capacity_days": "1"}).status_code == 403
    assert Council.objects.get(pk=council.pk).planning_version == 1


def test_outsider_gets_404(outsider_client, council):
    assert outsider_client.get(_url(council)).status_code == 404
    assert outsider_client.post(_url(council), {}).status_code == 404
