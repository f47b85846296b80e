"""The scale, the zoom and the stage bands behind the timelines."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from synchrony.launches.models import LaunchStatus
from synchrony.projects.models import Project, Stage, StageTransition
from synchrony.timelines.selectors import (
    COLUMNS,
    BandKind,
    Zoom,
    build_scale,
    dependency_depths,
    parse_start,
    parse_zoom,
    portfolio_timeline,
    project_timeline,
    stage_bands,
)
from tests.factories import LaunchFactory, MilestoneFactory, ProjectFactory, TaskFactory

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2026, 4, 15, 10, 0, tzinfo=BERLIN)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def _berlin():
    with timezone.override(BERLIN):
        yield


def at(day: int, month: int = 3, hour: int = 9) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=BERLIN)


def project_with_history(moves: list[tuple[str, str, dt.datetime]], **fields) -> Project:
    project = ProjectFactory(**fields)
    Project.objects.filter(pk=project.pk).update(created_at=at(1))
    for from_stage, to_stage, when in moves:
        t = StageTransition.objects.create(
            project=project, from_stage=from_stage, to_stage=to_stage
        )
        StageTransition.objects.filter(pk=t.pk).update(created_at=when)
    project.refresh_from_db()
    return project


def bands_of(project: Project, now: dt.datetime = NOW):
    transitions = list(project.transitions.order_by("created_at", "id"))
    return stage_bands(project, transitions, now=now)


@pytest.mark.parametrize(
    ("value", "zoom"),
    [
        ("week", Zoom.WEEK),
        ("month", Zoom.MONTH),
        ("quarter", Zoom.QUARTER),
        (None, Zoom.MONTH),
        ("", Zoom.MONTH),
        ("year", Zoom.MONTH),
        ("WEEK", Zoom.MONTH),
        ("<script>", Zoom.MONTH),
    ],
)
def test_unknown_zoom_falls_back_to_month(value, zoom):
    assert parse_zoom(value) == zoom


def test_month_columns_start_on_the_first_and_hold_today():
    scale = build_scale(Zoom.MONTH, [TODAY, dt.date(2026, 5, 20)], now=NOW)
    assert len(scale.columns) == COLUMNS[Zoom.MONTH]
    assert all(c.starts.day == 1 for c in scale.columns)
    assert scale.start == dt.date(2026, 4, 1) and scale.at_home
    assert [c.label for c in scale.columns if c.is_current] == ["Apr"]
    assert sum(c.place.width for c in scale.columns) == pytest.approx(100)


def test_week_columns_start_on_mondays_under_month_headings():
    scale = build_scale(Zoom.WEEK, [TODAY, dt.date(2026, 5, 20)], now=NOW)
    assert all(c.starts.weekday() == 0 for c in scale.columns)
    assert scale.columns[0].label == "13 Apr"
    assert [g.label for g in scale.groups] == ["Apr 2026", "May 2026", "Jun 2026", "Jul 2026"]


def test_quarter_columns_are_labelled_by_quarter_under_years():
    scale = build_scale(Zoom.QUARTER, [TODAY, dt.date(2027, 2, 1)], now=NOW)
    assert [c.label for c in scale.columns][:4] == ["Q2", "Q3", "Q4", "Q1"]
    assert [g.label for g in scale.groups] == ["2026", "2027", "2028"]


def test_a_span_too_long_for_one_window_opens_around_today():
    days = [dt.date(2025, 1, 1), TODAY, dt.date(2099, 1, 1)]
    scale = build_scale(Zoom.WEEK, days, now=NOW)
    # Three weeks before this week, so today sits a quarter of the way in.
    assert scale.start == dt.date(2026, 3, 23)
    assert len(scale.columns) == COLUMNS[Zoom.WEEK]
    assert scale.place(dt.datetime(2099, 1, 1, tzinfo=BERLIN)) is None
    assert scale.side(dt.datetime(2099, 1, 1, tzinfo=BERLIN)) == "after"
    assert scale.side(dt.datetime(2025, 1, 1, tzinfo=BERLIN)) == "before"


def test_a_long_span_ending_soon_opens_on_its_last_window():
    scale = build_scale(Zoom.MONTH, [dt.date(2024, 1, 1), TODAY], now=NOW)
    # Nothing lies ahead: the window ends with the month holding today.
    assert (scale.start, scale.end) == (dt.date(2025, 8, 1), dt.date(2026, 5, 1))


def test_paging_moves_by_half_a_window_from_a_snapped_start():
    scale = build_scale(Zoom.MONTH, [TODAY], now=NOW, start=dt.date(2026, 6, 17))
    assert scale.start == dt.date(2026, 6, 1) and not scale.at_home
    assert (scale.earlier, scale.later) == ("2026-02-01", "2026-10-01")
    assert scale.today_place is None


@pytest.mark.parametrize(
    ("value", "start"),
    [
        ("2026-06-17", dt.date(2026, 6, 17)),
        ("20260617", dt.date(2026, 6, 17)),
        (None, None),
        ("", None),
        ("yesterday", None),
        ("2026-02-30", None),
        ("9999-12-31", None),
        ("0001-01-01", None),
        ("2026-06-17'; drop table", None),
    ],
)
def test_unusable_from_dates_mean_the_default_window(value, start):
    assert parse_start(value, today=TODAY) == start


def test_places_are_in_local_days():
    scale = build_scale(Zoom.MONTH, [TODAY], now=NOW)
    # 23:30 UTC on 30 April is 01:30 on 1 May in Berlin: it sits in May's column.
    late = dt.datetime(2026, 4, 30, 23, 30, tzinfo=dt.UTC)
    may = next(c for c in scale.columns if c.label == "May")
    assert may.place.left < scale.at(late) < may.place.left + 1
    # The spring-forward day (29 March) is as wide as any other.
    assert scale.at(at(30, hour=0)) - scale.at(at(29, hour=0)) == pytest.approx(
        scale.at(at(31, hour=0)) - scale.at(at(30, hour=0))
    )


def test_bands_past_current_and_planned(db):
    project = project_with_history(
        [("development", "planning", at(10)), ("planning", "activation", at(2, 4))],
        stage=Stage.ACTIVATION,
        activation_due=dt.date(2026, 4, 30),
        performance_due=dt.date(2026, 5, 31),
    )
    plan = bands_of(project)
    assert [(b.stage, b.kind) for b in plan.bands] == [
        ("development", BandKind.PAST),
        ("planning", BandKind.PAST),
        ("activation", BandKind.CURRENT),
        ("performance", BandKind.PLANNED),
    ]
    dev, planning, current, performance = plan.bands
    assert (dev.starts, dev.ends) == (at(1), at(10))
    assert (planning.starts, planning.ends) == (at(10), at(2, 4))
    # The current stage runs to its planned end, which is later than today.
    assert current.starts == at(2, 4)
    assert current.ends == dt.datetime(2026, 5, 1, tzinfo=BERLIN)
    assert not current.late
    # Planned stages follow on to their planned ends.
    assert performance.starts == current.ends
    assert performance.ends == dt.datetime(2026, 6, 1, tzinfo=BERLIN)
    assert plan.unplanned == ["Review"]
    assert dev.description == "Development: 1 Mar 2026 – 10 Mar 2026"
    assert current.description == (
        "Activation, current stage: since 2 Apr 2026; planned to end 30 Apr 2026"
    )
    assert performance.description == "Performance, planned: 1 May 2026 – 31 May 2026"


def test_a_current_stage_past_its_deadline_runs_to_now_and_is_late(db):
    project = project_with_history(
        [("development", "planning", at(10))],
        stage=Stage.PLANNING,
        planning_due=dt.date(2026, 4, 1),
        activation_due=dt.date(2026, 4, 10),
        performance_due=dt.date(2026, 6, 30),
    )
    current, activation, performance = bands_of(project).bands[1:]
    assert current.ends == NOW
    assert current.late
    assert "overdue" in current.description
    # A planned end already behind us: drawn with no width, flagged behind plan.
    assert activation.late and activation.starts == activation.ends == NOW
    assert activation.description == "Activation, planned: behind plan, was to end 10 Apr 2026"
    assert not performance.late and performance.starts == NOW


def test_a_project_without_moves_is_one_current_band_from_its_creation(db):
    project = project_with_history([])
    plan = bands_of(project)
    assert [(b.stage, b.kind, b.starts, b.ends) for b in plan.bands] == [
        ("development", BandKind.CURRENT, at(1), NOW)
    ]
    assert plan.unplanned == ["Planning", "Activation", "Performance", "Review"]


def test_moving_back_draws_the_history_as_it_was(db):
    project = project_with_history(
        [("development", "planning", at(10)), ("planning", "development", at(20))],
        stage=Stage.DEVELOPMENT,
    )
    assert [(b.stage, b.kind) for b in bands_of(project).bands] == [
        ("development", BandKind.PAST),
        ("planning", BandKind.PAST),
        ("development", BandKind.CURRENT),
    ]


def test_a_closed_project_is_all_history(db):
    moves = [
        ("development", "planning", at(5)),
        ("planning", "activation", at(10)),
        ("activation", "performance", at(15)),
        ("performance", "review", at(20)),
        ("review", "closed", at(25)),
    ]
    project = project_with_history(moves, stage=Stage.CLOSED, review_due=dt.date(2026, 12, 1))
    plan = bands_of(project)
    assert {b.kind for b in plan.bands} == {BandKind.PAST}
    assert len(plan.bands) == 5
    assert plan.closed_on == dt.date(2026, 3, 25)
    assert plan.unplanned == []


def test_dependency_depths_survive_a_cycle():
    assert dependency_depths({1: [], 2: [1], 3: [2], 4: [1, 3]}) == {1: 0, 2: 1, 3: 2, 4: 3}
    depths = dependency_depths({1: [2], 2: [1]})
    assert set(depths) == {1, 2}


def test_a_very_long_dependency_chain_is_walked_without_recursion():
    chain = {n: [n - 1] for n in range(1, 5000)}
    assert dependency_depths(chain)[4999] == 4999


def test_task_after_its_dependencies_is_a_bar_from_their_due_date(db):
    project = project_with_history([])
    brief = TaskFactory(project=project, title="Brief", due_date=dt.date(2026, 4, 20))
    design = TaskFactory(project=project, title="Design", due_date=dt.date(2026, 4, 28))
    design.depends_on.add(brief)
    early = TaskFactory(project=project, title="Teaser", due_date=dt.date(2026, 4, 18))
    early.depends_on.add(design)
    undated = TaskFactory(project=project, title="Someday")
    MilestoneFactory(project=project, title="Beta", date=dt.date(2026, 5, 5))
    LaunchFactory(project=project, name="Go", go_live=dt.datetime(2026, 5, 6, 7, tzinfo=dt.UTC))

    timeline = project_timeline(project, zoom=Zoom.WEEK, now=NOW)
    rows = {r.task.title: r for g in timeline.task_groups for r in g.rows}
    assert not rows["Brief"].is_bar and rows["Brief"].depth == 0
    assert rows["Design"].is_bar and rows["Design"].depth == 1
    assert rows["Design"].depends_on == [brief]
    scale = timeline.scale
    assert rows["Design"].place.left == pytest.approx(
        scale.at(dt.datetime(2026, 4, 21, tzinfo=BERLIN))
    )
    # Due before what it depends on: a dot, and the plan is flagged.
    assert not rows["Teaser"].is_bar and rows["Teaser"].out_of_order == [design]
    assert rows["Someday"].place is None
    assert undated.pk in {r.task.pk for r in rows.values()}
    assert [(m.kind, m.title) for m in timeline.markers] == [
        ("milestone", "Beta"),
        ("launch", "Go"),
    ]
    assert timeline.markers[1].when == "6 May 2026, 09:00 CEST"


def test_what_lies_outside_the_window_is_counted_and_sided(db):
    project = project_with_history([("development", "planning", at(10))], stage=Stage.PLANNING)
    MilestoneFactory(project=project, title="Kick-off", date=dt.date(2026, 3, 2))
    TaskFactory(project=project, title="Far", due_date=dt.date(2027, 6, 1))
    timeline = project_timeline(project, zoom=Zoom.WEEK, now=NOW, start=dt.date(2026, 4, 1))
    assert timeline.scale.start == dt.date(2026, 3, 30)
    assert [b.outside for b in timeline.plan.bands] == ["before", ""]
    assert timeline.markers[0].outside == "before"
    assert timeline.task_groups[0].rows[0].outside == "after"
    assert (timeline.hidden.before, timeline.hidden.after) == (2, 1)


def test_a_closed_project_opens_on_its_history(db):
    moves = [("development", "planning", at(5)), ("planning", "closed", at(20))]
    project = project_with_history(moves, stage=Stage.CLOSED)
    later = dt.datetime(2028, 1, 10, tzinfo=BERLIN)
    timeline = project_timeline(project, zoom=Zoom.MONTH, now=later)
    assert timeline.scale.start == dt.date(2026, 2, 1)
    assert all(b.place for b in timeline.plan.bands)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def test_the_portfolio_fetches_what_it_draws_and_counts_the_rest(db):
    """Near the window's edges in Berlin time, and far from them: as the project timeline."""
    project = project_with_history([], stage=Stage.DEVELOPMENT)
    launches = {
        "Far before": utc(2026, 4, 20, 9),
        "Eve": utc(2026, 5, 31, 21, 30),  # 23:30 on 31 May in Berlin: before
        "Dawn": utc(2026, 5, 31, 22, 30),  # 00:30 on 1 June in Berlin: inside
        "Last": utc(2027, 2, 28, 22, 30),  # 23:30 on 28 February: inside
        "Next": utc(2027, 2, 28, 23, 30),  # 00:30 on 1 March: after
        "Far after": utc(2027, 6, 1, 9),
    }
    for name, go_live in launches.items():
        LaunchFactory(project=project, name=name, go_live=go_live, status=LaunchStatus.SCHEDULED)
    for day in (
        dt.date(2026, 1, 1),
        dt.date(2026, 5, 31),
        dt.date(2026, 6, 1),
        dt.date(2027, 2, 28),
        dt.date(2027, 3, 1),
        dt.date(2030, 1, 1),
    ):
        MilestoneFactory(project=project, title=f"On {day}", date=day)
    start = dt.date(2026, 6, 1)

    portfolio = portfolio_timeline(project.owner, zoom=Zoom.MONTH, now=NOW, start=start)
    (row,) = portfolio.rows
    assert (portfolio.scale.start, portfolio.scale.end) == (start, dt.date(2027, 3, 1))
    assert [m.title for m in row.markers] == ["Dawn", "On 2026-06-01", "On 2027-02-28", "Last"]
    assert all(m.place for m in row.markers)
    bands_before = sum(b.outside == "before" for b in row.plan.bands)
    assert (portfolio.hidden.before, portfolio.hidden.after) == (bands_before + 4, 4)

    timeline = project_timeline(project, zoom=Zoom.MONTH, now=NOW, start=start)
    drawn = [m for m in timeline.markers if m.place]
    assert [m.description for m in row.markers] == [m.description for m in drawn]
    assert [m.place for m in row.markers] == [m.place for m in drawn]
    assert [m.css for m in row.markers] == [m.css for m in drawn]
    assert portfolio.hidden == timeline.hidden
    assert row.markers[0].description == "Launch Dawn: 1 Jun 2026, 00:30 CEST (Scheduled)"
    assert row.markers[0].short == "1 Jun 00:30"
    assert row.markers[1].short == "1 Jun"


@pytest.mark.parametrize("zoom", list(Zoom))
def test_the_portfolio_opens_where_the_project_timeline_would(db, zoom):
    """The first and last milestone and launch choose the home window, unfetched."""
    project = project_with_history([], stage=Stage.DEVELOPMENT)
    MilestoneFactory(project=project, date=dt.date(2026, 1, 10))
    MilestoneFactory(project=project, date=dt.date(2026, 2, 10))
    LaunchFactory(project=project, go_live=utc(2026, 3, 20, 9))
    # 00:30 on 21 April in Berlin: the launch's day in the viewer's zone counts.
    LaunchFactory(project=project, go_live=utc(2026, 4, 20, 22, 30))
    portfolio = portfolio_timeline(project.owner, zoom=zoom, now=NOW)
    timeline = project_timeline(project, zoom=zoom, now=NOW)
    assert portfolio.scale.home == timeline.scale.home
    assert portfolio.scale.start == timeline.scale.start
    assert portfolio.hidden == timeline.hidden
    (row,) = portfolio.rows
    assert [m.place for m in row.markers] == [m.place for m in timeline.markers if m.place]


def test_the_portfolio_counts_everything_of_an_empty_window(db):
    project = project_with_history([], stage=Stage.DEVELOPMENT)
    LaunchFactory(project=project, go_live=utc(2026, 5, 1, 9))
    MilestoneFactory(project=project, date=dt.date(2026, 6, 1))
    MilestoneFactory(project=project, date=dt.date(2040, 6, 1))
    portfolio = portfolio_timeline(
        project.owner, zoom=Zoom.MONTH, now=NOW, start=dt.date(2035, 1, 1)
    )
    assert portfolio.rows[0].markers == []
    bands = len(portfolio.rows[0].plan.bands)
    assert (portfolio.hidden.before, portfolio.hidden.after) == (bands + 2, 1)
