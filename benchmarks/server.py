"""Server time of the calendar and timeline pages, beside a floor, in this process.

Each page is fetched with django.test.Client as the benchmark manager (who sees all
200 projects), through the whole middleware stack and template rendering. Its floor
is one SQL query returning the rows the page shows, turned into JSON with json.dumps:
what the page would cost with no ORM, no Python between rows and no HTML. Page and
floor alternate run by run, so both see the same noise on a shared machine.

Each timed call ends with a garbage collection, inside its time, over a heap frozen
after the warm-ups: a call pays for the reference cycles it leaves behind (a big
page leaves tens of thousands), and never for those of the call before it.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import statistics
import time
import zoneinfo
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from synchrony.accounts.models import User
from synchrony.calendars.views import period
from synchrony.lib.stats import nearest_rank
from synchrony.projects.models import Project

# The projects the user may see, as projects_for_user() decides: a member, any role.
# Constant text spliced into the queries below; every value is a bound parameter.
MEMBER = "SELECT project_id FROM projects_membership WHERE user_id = %(user)s"

CALENDAR_FLOOR = f"""
SELECT * FROM (
  SELECT 'launch' AS kind, l.id, l.name AS title, l.go_live AS at, NULL::date AS day,
         l.status, p.id AS project_id, p.name AS project, NULL AS owner,
         (SELECT json_agg(json_build_array(c.id, c.name, c.colour) ORDER BY c.name)
            FROM launches_activation a JOIN launches_channel c ON c.id = a.channel_id
           WHERE a.launch_id = l.id) AS channels
    FROM launches_launch l JOIN projects_project p ON p.id = l.project_id
   WHERE l.project_id IN ({MEMBER}) AND l.go_live >= %(lo)s AND l.go_live < %(hi)s
  UNION ALL
  SELECT 'milestone', m.id, m.title, NULL, m.date, '', p.id, p.name, NULL, NULL
    FROM launches_milestone m JOIN projects_project p ON p.id = m.project_id
   WHERE m.project_id IN ({MEMBER}) AND m.date BETWEEN %(start)s AND %(end)s
  UNION ALL
  SELECT 'task', t.id, t.title, NULL, t.due_date, t.status, p.id, p.name,
         concat_ws(' ', u.first_name, u.last_name), NULL
    FROM planning_task t JOIN projects_project p ON p.id = t.project_id
    LEFT JOIN accounts_user u ON u.id = t.owner_id
   WHERE t.project_id IN ({MEMBER}) AND t.due_date BETWEEN %(start)s AND %(end)s
  UNION ALL
  SELECT 'stage', p.id, s.stage, NULL, s.due, '', p.id, p.name, NULL, NULL
    FROM projects_project p
    CROSS JOIN LATERAL (VALUES ('development', p.development_due),
                               ('planning', p.planning_due),
                               ('activation', p.activation_due),
                               ('performance', p.performance_due),
                               ('review', p.review_due)) AS s(stage, due)
   WHERE p.id IN ({MEMBER}) AND s.due BETWEEN %(start)s AND %(end)s
) items
ORDER BY coalesce(day, (at AT TIME ZONE %(tz)s)::date), at NULLS FIRST, kind, title
"""  # noqa: S608

# The project row, its stage history, tasks with owners and dependencies, milestones
# and launches: everything the project timeline draws.
PROJECT_FLOOR = f"""
SELECT * FROM (
  SELECT 'project' AS kind, p.id, p.name AS title, p.created_at AS at, NULL::date AS day,
         p.stage AS status, NULL AS owner,
         json_build_array(p.development_due, p.planning_due, p.activation_due,
                          p.performance_due, p.review_due) AS extra
    FROM projects_project p WHERE p.id = %(project)s AND p.id IN ({MEMBER})
  UNION ALL
  SELECT 'transition', s.id, s.to_stage, s.created_at, NULL, s.from_stage, NULL, NULL
    FROM projects_stagetransition s WHERE s.project_id = %(project)s AND s.project_id IN ({MEMBER})
  UNION ALL
  SELECT 'task', t.id, t.title, NULL, t.due_date, t.status,
         concat_ws(' ', u.first_name, u.last_name),
         json_build_object('stage', t.stage, 'depends_on',
           (SELECT json_agg(d.to_task_id) FROM planning_task_depends_on d
             WHERE d.from_task_id = t.id))
    FROM planning_task t LEFT JOIN accounts_user u ON u.id = t.owner_id
   WHERE t.project_id = %(project)s AND t.project_id IN ({MEMBER})
  UNION ALL
  SELECT 'milestone', m.id, m.title, NULL, m.date, '', NULL, NULL
    FROM launches_milestone m WHERE m.project_id = %(project)s AND m.project_id IN ({MEMBER})
  UNION ALL
  SELECT 'launch', l.id, l.name, l.go_live, NULL, l.status, NULL, NULL
    FROM launches_launch l WHERE l.project_id = %(project)s AND l.project_id IN ({MEMBER})
) rows ORDER BY kind, coalesce(day, at::date), id
"""  # noqa: S608

# Every visible project with its stage plan and history, milestones and launches.
PORTFOLIO_FLOOR = f"""
SELECT * FROM (
  SELECT 'project' AS kind, p.id, p.id AS project_id, p.name AS title, p.created_at AS at,
         NULL::date AS day, p.stage AS status,
         json_build_array(p.development_due, p.planning_due, p.activation_due,
                          p.performance_due, p.review_due) AS extra
    FROM projects_project p WHERE p.id IN ({MEMBER})
  UNION ALL
  SELECT 'transition', s.id, s.project_id, s.to_stage, s.created_at, NULL, s.from_stage, NULL
    FROM projects_stagetransition s WHERE s.project_id IN ({MEMBER})
  UNION ALL
  SELECT 'milestone', m.id, m.project_id, m.title, NULL, m.date, '', NULL
    FROM launches_milestone m WHERE m.project_id IN ({MEMBER})
  UNION ALL
  SELECT 'launch', l.id, l.project_id, l.name, l.go_live, NULL, l.status, NULL
    FROM launches_launch l WHERE l.project_id IN ({MEMBER})
) rows ORDER BY project_id, coalesce(day, at::date), kind, id
"""  # noqa: S608


@dataclass
class Case:
    name: str
    url: str
    floor_sql: str
    floor_params: dict[str, Any]


@dataclass
class Result:
    name: str
    url: str
    status: int | None = None
    error: str = ""
    queries: int | None = None
    sql_ms: float | None = None  # time inside the database on the counted run
    bytes: int | None = None
    floor_rows: int | None = None
    floor_bytes: int | None = None
    view_ms: list[float] = field(default_factory=list)
    floor_ms: list[float] = field(default_factory=list)
    # CPU time of this process for each page run: what the page costs in Python,
    # whatever else the machine is doing (PostgreSQL's own time is not in it).
    cpu_ms: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        lists = ("view_ms", "floor_ms", "cpu_ms")
        out = {k: v for k, v in asdict(self).items() if k not in lists}
        out |= {f"view_{k}": v for k, v in stats(self.view_ms).items()}
        out |= {f"floor_{k}": v for k, v in stats(self.floor_ms).items()}
        out |= {f"cpu_{k}": v for k, v in stats(self.cpu_ms).items()}
        view_p95, floor_p95 = out.get("view_p95"), out.get("floor_p95")
        out["ratio_p95"] = round(view_p95 / floor_p95, 1) if view_p95 and floor_p95 else None
        out["view_ms"] = [round(x, 2) for x in self.view_ms]
        out["floor_ms"] = [round(x, 2) for x in self.floor_ms]
        out["cpu_ms"] = [round(x, 2) for x in self.cpu_ms]
        return out


def stats(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {
        "p50": round(statistics.median(values), 2),
        "p95": round(nearest_rank(values, 0.95), 2),
        "min": round(min(values), 2),
        "max": round(max(values), 2),
    }


def cases(manager: User, project: Project, today: dt.date) -> list[Case]:
    zone = zoneinfo.ZoneInfo(manager.time_zone)
    out = []
    for view in ("month", "week", "agenda"):
        start, end, *_ = period(view, today)
        params = {
            "user": manager.pk,
            "start": start,
            "end": end,
            "lo": dt.datetime.combine(start, dt.time.min, zone),
            "hi": dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, zone),
            "tz": manager.time_zone,
        }
        out.append(
            Case(f"calendar {view}", f"/calendar/?view={view}&date={today}", CALENDAR_FLOOR, params)
        )
    out.append(
        Case(
            "project timeline",
            f"/projects/{project.pk}/timeline/?zoom=month",
            PROJECT_FLOOR,
            {"user": manager.pk, "project": project.pk},
        )
    )
    out.append(
        Case("portfolio timeline", "/timelines/?zoom=month", PORTFOLIO_FLOOR, {"user": manager.pk})
    )
    return out


def floor(sql: str, params: dict[str, Any]) -> Callable[[], tuple[int, int]]:
    def run() -> tuple[int, int]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            names = [c.name for c in cursor.description]
            rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        return len(rows), len(json.dumps(rows, default=str))

    return run


def measure(
    manager: User,
    project: Project,
    today: dt.date,
    *,
    runs: int,
    warmup: int,
    log: Callable[[str], None],
) -> list[Result]:
    client = Client()
    client.force_login(manager)
    results = []
    for case in cases(manager, project, today):
        result = Result(case.name, case.url)
        results.append(result)
        run_floor = floor(case.floor_sql, case.floor_params)
        try:
            for _ in range(warmup):
                response = client.get(case.url)
                run_floor()
            result.status = response.status_code
            if response.status_code != 200:
                result.error = f"HTTP {response.status_code}"
                log(f"  {case.name}: HTTP {response.status_code}, not measured")
                continue
            result.bytes = len(response.content)
            with CaptureQueriesContext(connection) as captured:
                client.get(case.url)
            result.queries = len(captured.captured_queries)
            result.sql_ms = round(
                sum(float(q["time"]) for q in captured.captured_queries) * 1000, 2
            )
            del response, captured
            gc.collect()
            gc.freeze()
            for _ in range(runs):
                c0, t0 = time.process_time(), time.perf_counter()
                client.get(case.url)
                gc.collect()
                t1, c1 = time.perf_counter(), time.process_time()
                result.floor_rows, result.floor_bytes = run_floor()
                gc.collect()
                t2 = time.perf_counter()
                result.view_ms.append((t1 - t0) * 1000)
                result.floor_ms.append((t2 - t1) * 1000)
                result.cpu_ms.append((c1 - c0) * 1000)
        except Exception as error:  # a page being built by someone else: report, go on
            result.error = f"{type(error).__name__}: {error}"[:500]
            log(f"  {case.name}: {result.error}")
            continue
        finally:
            gc.unfreeze()
        s = result.summary()
        log(
            f"  {case.name:<20} {result.queries:>3} queries  p50 {s['view_p50']:>7.1f} ms"
            f"  p95 {s['view_p95']:>7.1f} ms  floor p95 {s['floor_p95']:>6.1f} ms"
            f"  ×{s['ratio_p95']}  CPU p50 {s['cpu_p50']:>6.1f} ms"
        )
    return results
