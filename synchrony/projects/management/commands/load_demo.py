"""Load a realistic demo workspace: people in every role, channels, three projects.

Everything is created through the services, so the demo has a real history and
real notifications. Passwords are random per install and written to
var/demo-logins.txt, which `make run` prints at every start.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from synchrony.accounts.models import Team, User
from synchrony.activity.models import Notification
from synchrony.launches import services as launches
from synchrony.launches.models import (
    Activation,
    AdapterKind,
    Channel,
    ChannelKind,
    DeliveryAttempt,
    Launch,
    LaunchStatus,
)
from synchrony.planning import services as planning
from synchrony.planning.models import BudgetCategory, ContentKind, ContentStatus, TaskStatus
from synchrony.projects import services as projects
from synchrony.projects.models import Project, RequestKind, RequestStatus, Role, Stage
from synchrony.projects.selectors import PROJECT_STARTERS

PEOPLE = [
    # username, first, last, team, time zone, what they do in the demo
    ("maria", "Maria", "Lopez", "Marketing", "Europe/Berlin", "marketing manager"),
    ("devon", "Devon", "Park", "Marketing", "America/New_York", "designer (contributor)"),
    ("wren", "Wren", "Ali", "Marketing", "Europe/London", "writer (contributor)"),
    ("sam", "Sam", "Okafor", "Sales", "America/Chicago", "sales (viewer)"),
    ("cass", "Cass", "Meyer", "Customer success", "Europe/Berlin", "customer success (viewer)"),
    ("ivan", "Ivan", "Petrov", "IT", "Europe/Berlin", "IT (signs off)"),
    ("fran", "Fran", "Dubois", "Finance", "Europe/Paris", "finance (signs off budgets)"),
]
# A past launch per channel: (state, [(status code, outcome, error)], ms late).
Outcomes = dict[str, tuple[str, Sequence[tuple[int | None, str, str]], int | None]]


class Command(BaseCommand):
    help = "Load the demo workspace (with --if-empty: only into an empty database)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--if-empty", action="store_true")

    def handle(self, *args: Any, if_empty: bool = False, **options: Any) -> None:
        if if_empty and (User.objects.exists() or Project.objects.exists()):
            self.stdout.write("Database has data; demo workspace not loaded.")
            return
        password = secrets.token_urlsafe(9)
        with transaction.atomic():
            people = self.people(password)
            channels = self.channels(people)
            self.atlas(people, channels)
            self.webinars(people, channels)
            self.renewals(people, channels)
            self.standups(people)
            self.upgrade_review(people, channels)
            # The demo's own history is not news: keep it in the app, and mark it e-mailed
            # so the e-mail tasks queued on commit find nothing to send.
            Notification.objects.update(emailed_at=timezone.now())
        logins = ["Demo logins (password for everyone: " + password + "):"]
        logins.append(f"  {'admin':<8} administrator (Django admin at /admin/)")
        logins += [f"  {p[0]:<8} {p[5]}" for p in PEOPLE]
        text = "\n".join(logins) + "\n"
        settings.VAR_DIR.mkdir(exist_ok=True)
        (settings.VAR_DIR / "demo-logins.txt").write_text(text)
        self.stdout.write(self.style.SUCCESS("Demo workspace loaded."))
        self.stdout.write(text)

    def people(self, password: str) -> dict[str, User]:
        people: dict[str, User] = {}
        admin = User.objects.create_superuser(
            "admin", "admin@example.com", password, first_name="Ada", last_name="Admin"
        )
        people["admin"] = admin
        for username, first, last, team, tz, _ in PEOPLE:
            user = User.objects.create_user(
                username,
                f"{username}@example.com",
                password,
                first_name=first,
                last_name=last,
                time_zone=tz,
            )
            user.teams.add(Team.objects.get_or_create(name=team)[0])
            people[username] = user
        starters, _ = Group.objects.get_or_create(name=PROJECT_STARTERS)
        starters.permissions.add(
            Permission.objects.get_by_natural_key("add_project", "projects", "project")
        )
        people["maria"].groups.add(starters)
        return people

    def channels(self, p: dict[str, User]) -> dict[str, Channel]:
        # The newsletter goes out by e-mail (the console in development); the in-app
        # messages by webhook to a placeholder address; the rest are done by a person.
        specs: list[tuple[str, str, str, str, dict[str, str]]] = [
            (
                "Newsletter",
                ChannelKind.EMAIL,
                "#3b5bdb",
                "wren",
                {"adapter": AdapterKind.EMAIL, "recipients": "customers@example.com"},
            ),
            ("LinkedIn", ChannelKind.SOCIAL, "#0a66c2", "devon", {}),
            ("Google Ads", ChannelKind.PAID_ADS, "#f08c00", "maria", {}),
            ("Website", ChannelKind.WEB, "#2b8a3e", "devon", {}),
            ("Press", ChannelKind.PR, "#862e9c", "wren", {}),
            ("Webinars", ChannelKind.EVENTS, "#e8590c", "maria", {}),
            ("Sales enablement", ChannelKind.SALES_ENABLEMENT, "#c2255c", "sam", {}),
            (
                "In-app messages",
                ChannelKind.CUSTOMER_SUCCESS,
                "#1098ad",
                "cass",
                {
                    "adapter": AdapterKind.WEBHOOK,
                    "endpoint_url": "https://in-app.example.com/hooks/synchrony",
                },
            ),
        ]
        return {
            name: Channel.objects.create(
                name=name, kind=kind, colour=colour, owner=p[owner], **extra
            )
            for name, kind, colour, owner, extra in specs
        }

    def launch_history(self, project: Project, p: dict[str, User], c: dict[str, Channel]) -> None:
        """Two renewal waves that went out already, as the engine recorded them.

        History cannot be made through the services (they refuse a go-live in the past),
        so it is written as the engine would have: states, attempts, lateness and skew.
        """
        now = timezone.now()
        waves: list[tuple[str, int, Outcomes]] = [
            # name, days ago, {channel: (state, [(status code, outcome, error)], ms late)}
            (
                "Renewal reminder, wave 1",
                12,
                {
                    "Newsletter": (
                        "delivered",
                        [(None, "retry", "SMTP timeout"), (250, "delivered", "")],
                        41,
                    ),
                    "In-app messages": ("delivered", [(200, "delivered", "")], 38),
                    "Sales enablement": ("done", [], None),
                },
            ),
            (
                "Renewal reminder, wave 2",
                3,
                {
                    "Newsletter": ("delivered", [(250, "delivered", "")], 44),
                    "In-app messages": (
                        "failed",
                        [(503, "retry", "HTTP 503: upstream unavailable")] * 4
                        + [(503, "failed", "HTTP 503: upstream unavailable")],
                        52,
                    ),
                    "Sales enablement": ("done", [], None),
                },
            ),
        ]
        for name, days, outcomes in waves:
            go_live = (now - dt.timedelta(days=days)).replace(
                hour=8, minute=0, second=0, microsecond=0
            )
            local = timezone.localtime(go_live, ZoneInfo("Europe/Berlin"))
            failed = any(state == "failed" for state, _, _ in outcomes.values())
            sent = [ms for _, _, ms in outcomes.values() if ms is not None]
            launch = Launch.objects.create(
                project=project,
                name=name,
                go_live=go_live,
                local_date=local.date(),
                local_time=local.time().replace(tzinfo=None),
                time_zone="Europe/Berlin",
                status=LaunchStatus.PARTLY_LAUNCHED if failed else LaunchStatus.LAUNCHED,
                created_by=p["maria"],
                armed_at=go_live - dt.timedelta(seconds=9),
                fired_at=go_live - dt.timedelta(seconds=1),
                finished_at=go_live + dt.timedelta(minutes=40 if failed else 20),
                lateness_ms=min(sent),
                skew_ms=max(sent) - min(sent),
            )
            for channel_name, (state, attempts, ms) in outcomes.items():
                first = go_live + dt.timedelta(milliseconds=ms or 0)
                at = first
                activation = Activation.objects.create(
                    launch=launch,
                    channel=c[channel_name],
                    subject="Your renewal is coming up",
                    body="Here is what your team gained this year, and what is next.",
                    state=state,
                    due_at=go_live,
                    first_sent_at=first if attempts else None,
                    attempts=len(attempts),
                    done_by=p["sam"] if state == "done" else None,
                )
                for number, (code, outcome, error) in enumerate(attempts, start=1):
                    DeliveryAttempt.objects.create(
                        activation=activation,
                        number=number,
                        started_at=at,
                        finished_at=at + dt.timedelta(milliseconds=180),
                        status_code=code,
                        outcome=outcome,
                        error=error,
                    )
                    at += dt.timedelta(seconds=2**number)
                if attempts:
                    code, _, error = attempts[-1]
                    activation.sent_at = at
                    activation.status_code = code
                    activation.last_error = error if state == "failed" else ""
                if state == "failed":
                    activation.failed_at = at
                    activation.owner_notified_at = at + dt.timedelta(milliseconds=300)
                activation.save()

    def team(self, project: Project, p: dict[str, User]) -> None:
        roles = {
            "devon": Role.CONTRIBUTOR,
            "wren": Role.CONTRIBUTOR,
            "ivan": Role.CONTRIBUTOR,
            "fran": Role.CONTRIBUTOR,
            "sam": Role.VIEWER,
            "cass": Role.VIEWER,
        }
        for username, role in roles.items():
            projects.member_set(actor=p["maria"], project=project, user=p[username], role=role)

    def atlas(self, p: dict[str, User], c: dict[str, Channel]) -> None:
        """In Planning: a product launch with tasks, content in review and a budget to approve."""
        today = timezone.localdate()
        maria = p["maria"]
        project = projects.project_create(
            actor=maria,
            name="Atlas 3.0 product launch",
            summary="Launch Atlas 3.0 to existing customers and new mid-market prospects.",
            scope="New reporting module and pricing tiers. Markets: EU and North America. "
            "Out of scope: the APAC partner programme.",
            promotion_start=today + dt.timedelta(days=21),
            promotion_end=today + dt.timedelta(days=63),
            development_due=today - dt.timedelta(days=3),
            planning_due=today + dt.timedelta(days=20),
            activation_due=today + dt.timedelta(days=35),
            performance_due=today + dt.timedelta(days=63),
            review_due=today + dt.timedelta(days=75),
            budget=Decimal("40000"),
            channels=[c["Newsletter"], c["LinkedIn"], c["Google Ads"], c["Website"], c["Press"]],
        )
        self.team(project, p)
        projects.goal_create(
            actor=maria,
            project=project,
            metric="Marketing-qualified leads",
            baseline=Decimal(120),
            target=Decimal(400),
            unit="leads",
            due_date=today + dt.timedelta(days=90),
        )
        projects.goal_create(
            actor=maria,
            project=project,
            metric="Trial sign-ups",
            baseline=Decimal(300),
            target=Decimal(900),
            unit="sign-ups",
            due_date=today + dt.timedelta(days=90),
        )
        for title, who, team in [
            ("Pricing and positioning sign-off", None, "Sales"),
            ("Release date confirmed by engineering", p["ivan"], None),
            ("Budget envelope", p["fran"], None),
        ]:
            request = projects.request_create(
                actor=maria,
                project=project,
                kind=RequestKind.SIGNOFF,
                title=title,
                user=who,
                team=Team.objects.get_or_create(name=team)[0] if team else None,
            )
            projects.request_answer(
                actor=who or p["sam"],
                request=request,
                version=request.version,
                decision=RequestStatus.APPROVED,
                response="Looks right to us.",
            )
        projects.project_move(
            actor=maria,
            project=project,
            to_stage=Stage.PLANNING,
            expected_stage=Stage.DEVELOPMENT,
            reason="Goals set and every sign-off in.",
        )
        messaging = planning.task_create(
            actor=maria,
            project=project,
            title="Product messaging document",
            owner=maria,
            due_date=today - dt.timedelta(days=1),
            status=TaskStatus.DOING,
        )
        planning.task_create(
            actor=maria,
            project=project,
            title="Landing page design",
            owner=p["devon"],
            due_date=today + dt.timedelta(days=5),
            status=TaskStatus.DOING,
            depends_on=[messaging],
        )
        planning.task_create(
            actor=maria,
            project=project,
            title="Launch e-mail copy",
            owner=p["wren"],
            due_date=today + dt.timedelta(days=3),
            depends_on=[messaging],
        )
        planning.task_create(
            actor=maria,
            project=project,
            title="Sales deck refresh",
            owner=p["devon"],
            due_date=today + dt.timedelta(days=8),
            status=TaskStatus.BLOCKED,
            blocked_reason="Waiting for final pricing tiers from Sales.",
        )
        planning.task_create(
            actor=maria,
            project=project,
            title="Partner co-marketing outreach",
            due_date=today + dt.timedelta(days=12),
        )
        planning.task_create(
            actor=maria,
            project=project,
            title="Launch-day social posts",
            owner=p["devon"],
            due_date=today + dt.timedelta(days=18),
            stage=Stage.ACTIVATION,
        )
        blog = planning.content_create(
            actor=p["wren"],
            project=project,
            title="Introducing Atlas 3.0",
            kind=ContentKind.BLOG_POST,
            channel=c["Website"],
            owner=p["wren"],
            due_date=today + dt.timedelta(days=10),
            body="Atlas 3.0 brings reporting that answers the questions your board asks…",
        )
        planning.content_submit(actor=p["wren"], item=blog, version=blog.version)
        press = planning.content_create(
            actor=p["wren"],
            project=project,
            title="Press release",
            kind=ContentKind.OTHER,
            channel=c["Press"],
            owner=p["wren"],
            due_date=today + dt.timedelta(days=14),
            body="FOR IMMEDIATE RELEASE — Atlas 3.0…",
        )
        press = planning.content_submit(actor=p["wren"], item=press, version=press.version)
        planning.content_review(
            actor=maria,
            item=press,
            version=press.version,
            decision=ContentStatus.CHANGES_REQUESTED,
            comment="Lead with the customer quote, and add the pricing line once Sales confirms.",
        )
        carousel = planning.content_create(
            actor=p["devon"],
            project=project,
            title="LinkedIn carousel",
            kind=ContentKind.SOCIAL_POST,
            channel=c["LinkedIn"],
            owner=p["devon"],
            due_date=today + dt.timedelta(days=16),
        )
        carousel = planning.content_submit(
            actor=p["devon"], item=carousel, version=carousel.version
        )
        planning.content_review(
            actor=maria,
            item=carousel,
            version=carousel.version,
            decision=ContentStatus.APPROVED,
            comment="",
        )
        planning.content_create(
            actor=maria,
            project=project,
            title="Launch e-mail",
            kind=ContentKind.EMAIL,
            channel=c["Newsletter"],
            owner=p["wren"],
            due_date=today + dt.timedelta(days=15),
        )
        self.atlas_launches(project, p, c)
        for category, description, planned, actual, owner in [
            (BudgetCategory.CONTENT_CREATION, "Copywriting and video", "8000", "2500", p["wren"]),
            (BudgetCategory.DESIGN, "Landing page and assets", "6000", "6200", p["devon"]),
            (BudgetCategory.MEDIA, "Search and social ads", "20000", "0", None),
        ]:
            planning.budget_line_create(
                actor=maria,
                project=project,
                category=category,
                description=description,
                planned=Decimal(planned),
                actual=Decimal(actual),
                owner=owner,
            )

    def atlas_launches(self, project: Project, p: dict[str, User], c: dict[str, Channel]) -> None:
        today = timezone.localdate()
        maria = p["maria"]
        day = dt.datetime.combine(today + dt.timedelta(days=21), dt.time(9, 0))
        launch, _ = launches.launch_create(
            actor=maria,
            project=project,
            name="Atlas 3.0 goes live",
            local_go_live=day,
            time_zone="Europe/Berlin",
            channels=[c["Newsletter"], c["LinkedIn"], c["Website"], c["Press"]],
            notes="Embargo lifts at 09:00 Berlin time; every channel at once.",
        )
        for channel, subject in [
            (c["Newsletter"], "Atlas 3.0 is here: reporting your board will love"),
            (c["LinkedIn"], "Meet Atlas 3.0"),
        ]:
            launches.activation_set(
                actor=maria,
                launch=launch,
                channel=channel,
                subject=subject,
                body="Atlas 3.0 brings reporting that answers the questions your board asks.",
                link="https://example.com/atlas-3",
            )
        launch.refresh_from_db()
        launches.launch_set_status(
            actor=maria, launch=launch, version=launch.version, status=LaunchStatus.SCHEDULED
        )
        launches.gate_create(
            actor=maria,
            launch=launch,
            title="Product shipped to production",
            owner=p["ivan"],
            due_date=today + dt.timedelta(days=18),
        )
        launches.gate_create(
            actor=maria,
            launch=launch,
            title="Sales briefed on pricing",
            team=Team.objects.get_or_create(name="Sales")[0],
            due_date=today + dt.timedelta(days=19),
        )
        launches.gate_create(
            actor=maria,
            launch=launch,
            title="Customer success FAQ ready",
            owner=p["cass"],
            due_date=today + dt.timedelta(days=24),
        )
        launches.launch_create(
            actor=maria,
            project=project,
            name="LinkedIn teaser",
            local_go_live=day - dt.timedelta(hours=20),
            time_zone="Europe/Berlin",
            channels=[c["LinkedIn"]],
        )
        launches.milestone_create(
            actor=maria,
            project=project,
            title="Beta feedback in",
            date=today + dt.timedelta(days=7),
        )
        launches.milestone_create(
            actor=maria, project=project, title="Embargo lifts", date=today + dt.timedelta(days=21)
        )

    def webinars(self, p: dict[str, User], c: dict[str, Channel]) -> None:
        """In Development: goals set, sign-offs still coming in."""
        today = timezone.localdate()
        maria = p["maria"]
        project = projects.project_create(
            actor=maria,
            name="Spring webinar series",
            summary="Four webinars that turn Atlas trial users into paying customers.",
            promotion_start=today + dt.timedelta(days=45),
            promotion_end=today + dt.timedelta(days=110),
            development_due=today + dt.timedelta(days=10),
            planning_due=today + dt.timedelta(days=44),
            channels=[c["Webinars"], c["Newsletter"], c["In-app messages"]],
        )
        self.team(project, p)
        projects.goal_create(
            actor=maria,
            project=project,
            metric="Trial-to-paid conversion",
            baseline=Decimal("4.5"),
            target=Decimal("7"),
            unit="%",
            due_date=today + dt.timedelta(days=120),
        )
        projects.request_create(
            actor=maria,
            project=project,
            kind=RequestKind.SIGNOFF,
            title="Which customer stories can we use?",
            team=Team.objects.get_or_create(name="Sales")[0],
            due_date=today + dt.timedelta(days=4),
        )
        it = projects.request_create(
            actor=maria,
            project=project,
            kind=RequestKind.SIGNOFF,
            title="Webinar platform and SSO",
            user=p["ivan"],
        )
        projects.request_answer(
            actor=p["ivan"],
            request=it,
            version=it.version,
            decision=RequestStatus.APPROVED,
            response="The platform passed the security review.",
        )
        projects.request_create(
            actor=maria,
            project=project,
            kind=RequestKind.SIGNOFF,
            title="Speaker fees",
            user=p["fran"],
            due_date=today + dt.timedelta(days=7),
        )
        cs = projects.request_create(
            actor=maria,
            project=project,
            kind=RequestKind.INPUT,
            title="Top five questions trial users ask",
            user=p["cass"],
        )
        projects.request_answer(
            actor=p["cass"],
            request=cs,
            version=cs.version,
            decision=RequestStatus.ANSWERED,
            response="Exports, SSO, roles, API limits and data residency.",
        )

    def renewals(self, p: dict[str, User], c: dict[str, Channel]) -> None:
        """In Performance: launched, measured against its goals."""
        today = timezone.localdate()
        maria = p["maria"]
        project = projects.project_create(
            actor=maria,
            name="Winter renewal campaign",
            summary="Remind customers up for renewal of what they gained this year.",
            promotion_start=today - dt.timedelta(days=40),
            promotion_end=today + dt.timedelta(days=20),
            budget=Decimal("12000"),
            channels=[c["Newsletter"], c["In-app messages"], c["Sales enablement"]],
        )
        self.team(project, p)
        projects.goal_create(
            actor=maria,
            project=project,
            metric="Renewal rate",
            baseline=Decimal(82),
            target=Decimal(88),
            unit="%",
            due_date=today + dt.timedelta(days=30),
        )
        fin = projects.request_create(
            actor=maria,
            project=project,
            kind=RequestKind.SIGNOFF,
            title="Renewal discount limits",
            user=p["fran"],
        )
        projects.request_answer(
            actor=p["fran"],
            request=fin,
            version=fin.version,
            decision=RequestStatus.APPROVED,
            response="Up to 10 % for multi-year renewals.",
        )
        projects.project_move(
            actor=maria,
            project=project,
            to_stage=Stage.PLANNING,
            expected_stage=Stage.DEVELOPMENT,
        )
        for title, owner, days in [
            ("Renewal e-mail sequence", p["wren"], -35),
            ("In-app renewal banner", p["devon"], -30),
        ]:
            planning.task_create(
                actor=maria,
                project=project,
                title=title,
                owner=owner,
                due_date=today + dt.timedelta(days=days),
                status=TaskStatus.DONE,
            )
        planning.budget_line_create(
            actor=maria,
            project=project,
            category=BudgetCategory.CONTENT_CREATION,
            description="E-mail sequence",
            planned=Decimal(3000),
            actual=Decimal(2800),
        )
        project.refresh_from_db()
        planning.budget_approve(actor=maria, project=project, budget_version=project.budget_version)
        project.refresh_from_db()
        projects.project_move(
            actor=maria,
            project=project,
            to_stage=Stage.ACTIVATION,
            expected_stage=Stage.PLANNING,
        )
        projects.project_move(
            actor=maria,
            project=project,
            to_stage=Stage.PERFORMANCE,
            expected_stage=Stage.ACTIVATION,
        )
        planning.task_create(
            actor=maria,
            project=project,
            title="Weekly renewal report to sales",
            owner=maria,
            due_date=today + dt.timedelta(days=2),
            stage=Stage.PERFORMANCE,
        )
        self.launch_history(project, p, c)
        self.renewal_metrics(project, p, c)

    def renewal_metrics(self, project: Project, p: dict[str, User], c: dict[str, Channel]) -> None:
        """Forty days of figures per channel; the renewal rate climbs, but more slowly than
        the line from 82 % to 88 % asks, so the goal is at risk (and Maria was told)."""
        import random

        from synchrony.performance import services as performance
        from synchrony.performance.models import Aggregation, MetricKind

        maria = p["maria"]
        today = timezone.localdate()
        start = project.promotion_start or today
        for key, name in [("renewals", "Renewals"), ("renewals_due", "Renewals due")]:
            performance.custom_metric_create(
                actor=maria, project=project, key=key, name=name, kind=MetricKind.COUNT
            )
        rng = random.Random(6)  # noqa: S311 (demo figures, not secrets)
        rows: list[dict[str, Any]] = []
        # channel, share of renewals due it reaches, daily impressions, daily spend
        reach = [
            ("Newsletter", 0.5, 4000, Decimal("20")),
            ("In-app messages", 0.35, 9000, Decimal("35")),
            ("Sales enablement", 0.15, 0, Decimal("60")),
        ]
        days = (today - start).days
        for n in range(days):
            day = start + dt.timedelta(days=n)
            rate = 0.825 + 0.04 * n / max(days - 1, 1)
            for channel, share, impressions, spend in reach:
                due = max(1, round(rng.gauss(60 * share, 3)))
                renewed = min(due, round(due * rng.gauss(rate, 0.02)))
                clicks = round(impressions * rng.uniform(0.02, 0.04)) if impressions else 0
                figures = {
                    "renewals_due": due,
                    "renewals": renewed,
                    "leads": round(due * rng.uniform(0.1, 0.2)),
                    "spend": spend,
                    "revenue": renewed * 1150,
                }
                if impressions:
                    figures |= {"impressions": round(impressions * rng.uniform(0.8, 1.2))}
                    figures |= {"clicks": clicks}
                for metric, value in figures.items():
                    rows.append(
                        {
                            "channel": channel,
                            "metric": metric,
                            "date": day,
                            "value": value,
                            "source": "crm",
                        }
                    )
        performance.samples_record(actor=maria, project=project, rows=rows, source="crm")
        goal = project.goals.get(metric="Renewal rate")
        performance.tracking_set(
            actor=maria,
            goal=goal,
            aggregation=Aggregation.RATIO,
            metric="renewals",
            denominator="renewals_due",
        )
        performance.snapshot_create(
            actor=maria,
            project=project,
            as_of=today - dt.timedelta(days=7),
            title="Winter renewals: last week's steering meeting",
        )

    def standups(self, p: dict[str, User]) -> None:
        """Atlas's weekly stand-up: last week's meeting held (notes, a decision, action
        items that became tasks, one of them done), and tomorrow's agenda written."""
        from synchrony.planning.models import Task
        from synchrony.standups import services as standups

        project = Project.objects.get(name="Atlas 3.0 product launch")
        maria = p["maria"]
        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        series = standups.series_create(
            actor=maria,
            name="Atlas weekly stand-up",
            projects=[project],
            team=None,
            facilitator=maria,
            attendees=[maria, p["devon"], p["wren"], p["ivan"]],
            cadence_weeks=1,
            weekday=tomorrow.weekday(),
            local_time=dt.time(9, 30),
            time_zone="Europe/Berlin",
            duration_minutes=30,
            starts_on=tomorrow - dt.timedelta(days=14),
        )
        last = standups.meeting_open(series=series, local_date=tomorrow - dt.timedelta(days=7))
        standups.agenda_write(meeting=last, now=last.starts_at - dt.timedelta(hours=24))
        standups.meeting_start(actor=maria, meeting=last, now=last.starts_at)
        for who in ("maria", "devon", "wren"):
            standups.attendance_set(actor=maria, meeting=last, user=p[who], present=True)
        standups.note_create(
            actor=maria,
            meeting=last,
            section=f"person-{p['devon'].pk}",
            kind="decision",
            body="The sales deck waits for the final pricing tiers; no interim version.",
        )
        standups.note_create(
            actor=maria,
            meeting=last,
            section="launches",
            kind="note",
            body="Ivan expects the production deploy a few days before the embargo.",
        )
        chase = standups.action_item_create(
            actor=maria,
            meeting=last,
            title="Get the final pricing tiers from Sales",
            owner=maria,
            due_date=tomorrow - dt.timedelta(days=4),
            project=project,
            section=f"person-{p['devon'].pk}",
        )
        standups.action_item_create(
            actor=maria,
            meeting=last,
            title="Draft the customer FAQ outline with Cass",
            owner=p["wren"],
            due_date=tomorrow + dt.timedelta(days=3),
            project=project,
            section="launches",
        )
        standups.meeting_end(
            actor=maria, meeting=last, now=last.starts_at + dt.timedelta(minutes=24)
        )
        assert chase.task_id is not None  # an action item on a project is a task at once
        task = Task.objects.get(pk=chase.task_id)
        planning.task_update(
            actor=maria, task=task, version=task.version, changes={"status": TaskStatus.DONE}
        )
        upcoming = standups.upcoming_meeting(series=series, now=timezone.now())
        standups.agenda_write(meeting=upcoming)

    def upgrade_review(self, p: dict[str, User], c: dict[str, Channel]) -> None:
        """Closed: last autumn's upgrade campaign, with its blameless retrospective (one
        item written anonymously), an action item sent to the webinar series, and two
        published lessons. The webinar series (Development) is suggested both, since it
        shares their channels; Atlas already applied one, so its retrospective will ask
        whether it helped."""
        from synchrony.reviews import services as reviews
        from synchrony.reviews.models import Item, ItemGroup, Participant

        today = timezone.localdate()
        maria = p["maria"]
        project = projects.project_create(
            actor=maria,
            name="Autumn upgrade campaign",
            summary="Move Starter customers to the Pro plan with the new reporting add-on.",
            scope="Existing Starter customers in the EU. E-mail, in-app messages, the website.",
            promotion_start=today - dt.timedelta(days=150),
            promotion_end=today - dt.timedelta(days=100),
            budget=Decimal("9000"),
            channels=[c["Newsletter"], c["In-app messages"], c["Website"]],
        )
        self.team(project, p)
        upgrades = projects.goal_create(
            actor=maria,
            project=project,
            metric="Upgrades to Pro",
            baseline=Decimal(40),
            target=Decimal(120),
            unit="upgrades",
            due_date=today - dt.timedelta(days=100),
        )
        conversion = projects.goal_create(
            actor=maria,
            project=project,
            metric="Upgrade page conversion",
            baseline=Decimal("2.0"),
            target=Decimal("3.5"),
            unit="%",
            due_date=today - dt.timedelta(days=100),
        )
        projects.project_move(
            actor=maria, project=project, to_stage=Stage.PLANNING, expected_stage=Stage.DEVELOPMENT
        )
        planning.task_create(
            actor=maria,
            project=project,
            title="Upgrade page and pricing table",
            owner=p["devon"],
            due_date=today - dt.timedelta(days=155),
            status=TaskStatus.DONE,
        )
        planning.budget_line_create(
            actor=maria,
            project=project,
            category=BudgetCategory.DESIGN,
            description="Upgrade page design",
            planned=Decimal(4000),
            actual=Decimal(4600),
            owner=p["devon"],
        )
        planning.budget_line_create(
            actor=maria,
            project=project,
            category=BudgetCategory.CONTENT_CREATION,
            description="E-mail and in-app copy",
            planned=Decimal(3000),
            actual=Decimal(2700),
            owner=p["wren"],
        )
        project.refresh_from_db()
        planning.budget_approve(actor=maria, project=project, budget_version=project.budget_version)
        project.refresh_from_db()
        for stage, to in [
            (Stage.PLANNING, Stage.ACTIVATION),
            (Stage.ACTIVATION, Stage.PERFORMANCE),
            (Stage.PERFORMANCE, Stage.REVIEW),
        ]:
            projects.project_move(actor=maria, project=project, to_stage=to, expected_stage=stage)
        # The launch, as the engine recorded it: every channel out within 6 ms.
        go_live = (timezone.now() - dt.timedelta(days=150)).replace(
            hour=8, minute=0, second=0, microsecond=0
        )
        local = timezone.localtime(go_live, ZoneInfo("Europe/Berlin"))
        launch = Launch.objects.create(
            project=project,
            name="Pro upgrade offer",
            go_live=go_live,
            local_date=local.date(),
            local_time=local.time().replace(tzinfo=None),
            time_zone="Europe/Berlin",
            status=LaunchStatus.LAUNCHED,
            created_by=maria,
            armed_at=go_live - dt.timedelta(seconds=9),
            fired_at=go_live - dt.timedelta(seconds=1),
            finished_at=go_live + dt.timedelta(minutes=12),
            lateness_ms=38,
            skew_ms=6,
        )
        for name, state, ms in [
            ("Newsletter", "delivered", 38),
            ("In-app messages", "delivered", 44),
            ("Website", "done", None),
        ]:
            sent = go_live + dt.timedelta(milliseconds=ms) if ms is not None else None
            activation = Activation.objects.create(
                launch=launch,
                channel=c[name],
                subject="Reporting that answers your board's questions",
                state=state,
                due_at=go_live,
                first_sent_at=sent,
                sent_at=sent,
                attempts=1 if ms is not None else 0,
                status_code=200 if ms is not None else None,
                done_by=p["devon"] if state == "done" else None,
            )
            if sent is not None:
                DeliveryAttempt.objects.create(
                    activation=activation,
                    number=1,
                    started_at=sent,
                    finished_at=sent + dt.timedelta(milliseconds=150),
                    status_code=200,
                    outcome="delivered",
                )
        # Stage moves as they happened, not all today.
        for to, days in [
            (Stage.PLANNING, 190),
            (Stage.ACTIVATION, 160),
            (Stage.PERFORMANCE, 149),
            (Stage.REVIEW, 98),
        ]:
            project.transitions.filter(to_stage=to).update(
                created_at=timezone.now() - dt.timedelta(days=days)
            )

        retro = reviews.retrospective_start(
            actor=maria,
            project=project,
            facilitator=maria,
            participants=[p["devon"], p["wren"], p["sam"], p["cass"]],
        )
        who = {pt.user.username: pt for pt in Participant.objects.filter(retrospective=retro)}
        items = {}
        for key, username, prompt, text, anonymous in [
            (
                "wave",
                "wren",
                "worked",
                "E-mail and in-app went out at the same moment: support saw one wave of "
                "questions, not two.",
                False,
            ),
            ("page", "devon", "worked", "The upgrade page was ready two days early.", False),
            (
                "sales",
                "sam",
                "needs_work",
                "Sales heard about the upgrade offer from customers first.",
                True,
            ),
            (
                "faq",
                "cass",
                "needs_work",
                "Nobody owned the customer success FAQ until launch week.",
                True,
            ),
            (
                "copy",
                "wren",
                "needs_work",
                "The in-app copy was approved the evening before go-live.",
                False,
            ),
            (
                "gate",
                "cass",
                "try_next",
                "Make “sales briefed” and “FAQ ready” readiness gates, due two days ahead.",
                False,
            ),
        ]:
            items[key] = reviews.item_add(
                participant=who[username],
                retro=retro,
                prompt=prompt,
                text=text,
                anonymous=anonymous,
            )
        reviews.note_add(
            actor=maria,
            retro=retro,
            date=today - dt.timedelta(days=151),
            text="The pricing page changed a day before the launch (outside Synchrony).",
        )
        retro = reviews.phase_move(
            actor=maria, retro=retro, to_phase="group", expected_phase="write"
        )
        for item in items.values():
            item.retrospective = retro
        group = reviews.item_group(actor=maria, item=items["faq"], with_item=items["sales"])
        reviews.group_rename(
            actor=maria, group=group, title="Customer-facing teams learned about it late"
        )
        retro = reviews.phase_move(
            actor=maria, retro=retro, to_phase="vote", expected_phase="group"
        )
        for username, votes in [
            ("sam", [group, group, items["copy"]]),
            ("cass", [group, items["gate"], items["gate"]]),
            ("devon", [group, items["copy"], items["wave"]]),
            ("wren", [items["copy"], group, items["page"]]),
        ]:
            for card in votes:
                reviews.vote_cast(
                    participant=who[username],
                    retro=retro,
                    item=card if isinstance(card, Item) else None,
                    group=card if isinstance(card, ItemGroup) else None,
                )
        retro = reviews.phase_move(
            actor=maria, retro=retro, to_phase="discuss", expected_phase="vote"
        )
        webinars = Project.objects.get(name="Spring webinar series")
        reviews.action_create(
            actor=maria,
            retro=retro,
            title="Add “Sales briefed” and “CS FAQ ready” gates to the first webinar launch",
            project=webinars,
            owner=maria,
            due_date=today + dt.timedelta(days=30),
            group=group,
        )
        for goal, final, reading in [
            (upgrades, Decimal(96), "Most upgrades came in the first week, from the e-mail."),
            (conversion, Decimal("3.6"), "The new pricing table helped more than we expected."),
        ]:
            reviews.reading_save(
                actor=maria,
                retro=retro,
                goal=goal,
                version=None,
                final_value=final,
                reading=reading,
            )
        lessons = []
        sources: list[tuple[dict[str, Any], str, str, str, list[Channel], Stage]] = [
            (
                {"group": group},
                "Brief sales and customer success before customers hear",
                "Customers asked sales about the offer before sales knew of it, and the "
                "customer success FAQ had no owner until launch week.",
                "Every launch to customers has two readiness gates, “Sales briefed” and "
                "“CS FAQ ready”, each with an owner and due two days before go-live.",
                [c["Newsletter"], c["In-app messages"]],
                Stage.ACTIVATION,
            ),
            (
                {"item": items["copy"]},
                "Approve in-app copy a week ahead",
                "The in-app message was approved the evening before go-live.",
                "In-app copy is due for review a week before go-live; the launch's content "
                "check holds it otherwise.",
                [c["In-app messages"]],
                Stage.PLANNING,
            ),
        ]
        for source, title, happened, differently, channels, stage in sources:
            lesson = reviews.lesson_create(
                actor=maria,
                retro=retro,
                channels=channels,
                title=title,
                what_happened=happened,
                do_differently=differently,
                stage=stage,
                kind="campaign",
                **source,
            )
            lessons.append(reviews.lesson_publish(actor=maria, lesson=lesson, version=1))
        retro = reviews.phase_move(
            actor=maria, retro=retro, to_phase="done", expected_phase="discuss"
        )
        projects.project_move(
            actor=maria,
            project=project,
            to_stage=Stage.CLOSED,
            expected_stage=Stage.REVIEW,
            reason="Retrospective held; lessons published.",
        )
        project.transitions.filter(to_stage=Stage.CLOSED).update(
            created_at=timezone.now() - dt.timedelta(days=90)
        )
        atlas = Project.objects.get(name="Atlas 3.0 product launch")
        reviews.lesson_answer(
            actor=maria,
            project=atlas,
            lesson=lessons[0],
            status="applied",
            note="“Sales briefed on pricing” and “Customer success FAQ ready” are gates of "
            "the Atlas 3.0 launch.",
        )
