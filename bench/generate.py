"""A seeded generator of a large, realistic archive, for the scale benchmark (`make bench-scale`).

    python bench/generate.py --incidents 10000 [--seed 7]

writes into DATABASE_URL (SQLite or PostgreSQL; the schema is migrated first): 40 people, 200
services, 50,000 deployments, and per post-mortem about 10 KB of narrative in the standard
template's sections, 12 timeline events, 2–3 contributing factors, 10 action items with their
status changes, linked deployments, reviewers and a revision. Every status, severity, role and
link role is represented. Rows go in with bulk INSERTs of explicit ids, so 10,000 post-mortems
take about a minute on SQLite.
"""

from __future__ import annotations

import argparse
import html
import random
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Integer, insert, text  # noqa: E402

from postmortem import create_app  # noqa: E402
from postmortem.extensions import db  # noqa: E402
from postmortem.models import (  # noqa: E402
    ActionItem,
    ActionItemEvent,
    Artifact,
    Deployment,
    Factor,
    Incident,
    IncidentDeployment,
    IncidentSection,
    IncidentTag,
    Revision,
    Service,
    TimelineEvent,
    User,
    incident_reviewers,
    incident_services,
)
from postmortem.services import insights, setup  # noqa: E402

START = datetime(2016, 12, 1, tzinfo=UTC)
END = datetime(2026, 11, 1, tzinfo=UTC)
BATCH = 500

FIRST = ["Ada", "Ben", "Chloe", "Dev", "Elif", "Farah", "Gus", "Hana", "Ivan", "Jun", "Kofi",
         "Lena", "Mateo", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tariq"]
LAST = ["Okafor", "Lindqvist", "Moreau", "Tanaka", "Novak", "Haddad", "Silva", "Kowalski",
        "Mensah", "Ibrahim", "Larsen", "Patel", "Reyes", "Schmidt", "Yilmaz", "Fischer"]
TEAMS = ["payments", "checkout", "identity", "platform", "data", "search", "mobile", "edge",
         "messaging", "billing", "growth", "infra"]
NOUNS = ["checkout", "payments", "auth", "search", "catalog", "ledger", "billing", "orders",
         "inventory", "notify", "profile", "session", "media", "export", "reports", "gateway",
         "pricing", "ranking", "feeds", "webhooks", "cart", "tax", "shipping", "fraud", "audit"]
SUFFIXES = ["api", "worker", "db", "cache", "web", "svc", "scheduler"]

# One scenario per failure theme: the words a responder uses for it, so themes recur with
# varied wording, the way a real archive's do.
SCENARIOS: list[dict[str, Any]] = [
    {"category": "config-change", "cause": ["a feature flag rolled out to every region at once",
     "a configuration push that set the connection limit to zero", "a typo in the rate-limit "
     "config", "an environment variable renamed in one place and not the other"],
     "symptom": ["requests failing with 500s", "logins rejected", "a spike of 503 answers"],
     "fix": ["validate configuration in CI before it ships", "stage config pushes region by region",
             "add a schema check for the flag file"]},
    {"category": "deploy-release", "cause": ["release {version} with a migration that locked the "
     "orders table", "a canary that skipped the smoke tests", "a build that bundled a debug "
     "dependency", "a rollout that went to 100 % without a bake time"],
     "symptom": ["elevated error rates after the deploy", "p99 latency above three seconds",
                 "crash loops on the new pods"],
     "fix": ["roll back automatically when the error budget burns", "add bake time to canaries",
             "run migrations separately from the release"]},
    {"category": "capacity", "cause": ["traffic from a marketing e-mail tripled the request rate",
     "the worker pool saturated during the nightly batch", "disk filled on the primary",
     "memory pressure evicted the hot keys from the cache"],
     "symptom": ["queue depth growing without bound", "timeouts at the load balancer",
                 "OOM kills on the workers"],
     "fix": ["autoscale on queue depth", "alert on disk at 80 %", "load-test the launch path"]},
    {"category": "dependency", "cause": ["the upstream payment provider throttled us",
     "a third-party DNS provider answered slowly", "the identity provider rotated keys early",
     "an SDK upgrade changed the retry defaults"],
     "symptom": ["card payments declined", "sign-ins timing out", "webhooks piling up"],
     "fix": ["add a circuit breaker around the provider", "cache the JWKS with a grace period",
             "pin the SDK and test upgrades"]},
    {"category": "data-store", "cause": ["a long-running analytics query held locks on the primary",
     "replication lag on the read replicas reached twenty minutes", "an index dropped by a "
     "migration", "vacuum fell behind and the table bloated"],
     "symptom": ["stale reads on the order page", "write timeouts", "slow queries everywhere"],
     "fix": ["move analytics to a replica", "alert on replication lag", "review migrations "
             "that drop indexes"]},
    {"category": "certificate-time", "cause": ["the TLS certificate of the API expired",
     "an intermediate certificate missing from the chain", "clock drift on the batch hosts",
     "a leap-second smear misconfigured on one NTP pool"],
     "symptom": ["clients refusing the handshake", "mobile apps unable to connect",
                 "signed URLs rejected as expired"],
     "fix": ["automate certificate renewal", "monitor certificate expiry 30 days ahead",
             "alert on clock skew"]},
    {"category": "tooling-command", "cause": ["a cleanup script run against production instead of "
     "staging", "a terraform apply that replaced the load balancer", "an operator command that "
     "drained every node at once"],
     "symptom": ["the site returning 502s", "all traffic dropped for a region",
                 "a fleet of hosts going offline"],
     "fix": ["require confirmation for production targets", "add a plan review step",
             "limit drains to a fraction of the fleet"]},
    {"category": "monitoring-gap", "cause": ["an alert routed to a channel nobody watched",
     "a dashboard that averaged away the errors", "a health check that only tested the port"],
     "symptom": ["customers reporting errors before we noticed", "silent data loss for hours",
                 "a partial outage invisible on the dashboards"],
     "fix": ["page on symptoms, not causes", "add a synthetic check of the checkout path",
             "review alert routing every quarter"]},
    {"category": "cascading-failure", "cause": ["retries from every client amplified a brief "
     "slowdown", "a thundering herd after the cache was flushed", "one slow shard held every "
     "connection in the pool"],
     "symptom": ["a retry storm", "every service timing out in turn", "the whole site degraded"],
     "fix": ["add jittered backoff to clients", "shed load at the edge", "bulkhead the pools"]},
    {"category": "network", "cause": ["a BGP route withdrawn by the transit provider",
     "packet loss between availability zones", "a security group change blocking port 5432",
     "MTU mismatch after a VPN change"],
     "symptom": ["cross-zone calls failing", "intermittent connection resets",
                 "the database unreachable from the app tier"],
     "fix": ["test failover between zones", "add network path monitoring",
             "review security group changes in CI"]},
    {"category": "process-communication", "cause": ["two teams changing the same system in one "
     "window", "an incident channel without a commander for forty minutes", "a status page "
     "update that came an hour late"],
     "symptom": ["confused customers", "duplicated mitigation work", "a slower recovery"],
     "fix": ["name an incident commander in the first five minutes", "publish status page "
             "templates", "keep a change calendar"]},
    {"category": "security", "cause": ["a leaked API token used to scrape profiles", "a WAF rule "
     "that blocked legitimate traffic", "credential stuffing against the login endpoint"],
     "symptom": ["unusual traffic from a few ASNs", "customers locked out", "an abuse report"],
     "fix": ["rotate tokens automatically", "rate-limit logins per account", "scan commits "
             "for secrets"]},
]

OPENERS = ["At first", "Shortly after", "Within minutes", "Meanwhile", "Later that hour",
           "Once the page fired", "In hindsight", "During the response", "As traffic grew",
           "By the time we looked"]
VERBS = ["noticed", "confirmed", "suspected", "ruled out", "traced", "correlated", "escalated",
         "discussed", "measured", "reproduced", "documented", "checked"]
OBJECTS = ["the error budget burn", "the saturation of the connection pool", "the deploy history",
           "the logs of the {service} pods", "the latency histogram", "the dashboards of "
           "{service}", "the runbook for {service}", "the queue depth", "a config diff",
           "the upstream status page", "the last known-good artifact {version}",
           "the alert thresholds", "a heap profile", "the packet captures"]
TAILS = ["which took longer than it should have", "and wrote it down in the channel",
         "before anyone paged the owning team", "while customers kept retrying",
         "with help from the on-call engineer of {team}", "and it matched the timeline",
         "which explained only part of the symptoms", "so the hypothesis changed",
         "and nobody had seen this pattern before", "though the graphs were noisy"]
SECTION_TITLES = [("summary", "Summary"), ("impact", "Impact"), ("detection", "Detection"),
                  ("response", "Response"), ("recovery", "Recovery"),
                  ("lessons_learned", "Lessons learned"), ("what_went_well", "What went well"),
                  ("what_went_poorly", "What went poorly"),
                  ("where_we_got_lucky", "Where we got lucky")]
KINDS = ["detection", "escalation", "communication", "mitigation", "deploy", "rollback", "note",
         "note", "note", "resolution"]
ACTION_VERBS = ["Add", "Automate", "Document", "Alert on", "Test", "Review", "Remove", "Limit",
                "Monitor", "Split", "Backfill", "Rehearse"]


def sentence(rng: random.Random, scenario: dict, ctx: dict) -> str:
    cause = rng.choice(scenario["cause"])
    symptom = rng.choice(scenario["symptom"])
    forms = [
        f"{rng.choice(OPENERS)} the team {rng.choice(VERBS)} {rng.choice(OBJECTS)}, "
        f"{rng.choice(TAILS)}.",
        f"The trigger was {cause}, which led to {symptom} on {ctx['service']}.",
        f"{rng.choice(OPENERS)}, {ctx['person']} {rng.choice(VERBS)} {rng.choice(OBJECTS)} "
        f"{rng.choice(TAILS)}.",
        f"We saw {symptom} for about {rng.randint(3, 240)} minutes; "
        f"roughly {rng.randint(1, 60)} % of requests to {ctx['service']} were affected.",
        f"Rolling back to {ctx['version']} was considered {rng.choice(TAILS)}.",
    ]
    return rng.choice(forms).format(**ctx)


def paragraph(rng: random.Random, scenario: dict, ctx: dict, sentences: int) -> str:
    return " ".join(sentence(rng, scenario, ctx) for _ in range(sentences))


def batches(rows: list[dict], size: int = BATCH) -> Iterator[list[dict]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


class Writer:
    """Buffers rows per table and flushes them in bulk INSERTs."""

    def __init__(self) -> None:
        self.rows: dict[Any, list[dict]] = {}
        self.counts: dict[str, int] = {}

    def add(self, table: Any, row: dict) -> None:
        self.rows.setdefault(table, []).append(row)

    def flush(self, order: list[Any]) -> None:
        for table in order:
            rows = self.rows.pop(table, [])
            name = getattr(table, "__tablename__", None) or table.name
            self.counts[name] = self.counts.get(name, 0) + len(rows)
            for chunk in batches(rows, 2000):
                db.session.execute(insert(table), chunk)


def generate(incidents: int, seed: int, deployments_total: int, services_total: int,
             people: int) -> dict[str, int]:
    rng = random.Random(seed)
    writer = Writer()
    now = datetime.now(UTC)
    roles = ["admin", "reviewer", "reviewer", "author", "author", "author", "author", "viewer",
             "deployer"]
    from werkzeug.security import generate_password_hash

    password = generate_password_hash("bench-password-1", method="pbkdf2:sha256:1000")
    users = []
    for uid in range(1, people + 1):
        name = f"{FIRST[uid % len(FIRST)]} {LAST[(uid * 7) % len(LAST)]}"
        users.append({"id": uid, "name": name})
        writer.add(User, {"id": uid, "email": f"person{uid}@example.com", "name": name,
                          "password_hash": password, "role": roles[uid % len(roles)] if uid > 1
                          else "admin", "active": uid % 23 != 0, "created_at": START})
    services = []
    for sid in range(1, services_total + 1):
        name = f"{NOUNS[sid % len(NOUNS)]}-{SUFFIXES[sid % len(SUFFIXES)]}"
        if sid > len(NOUNS) * len(SUFFIXES) // 2:
            name = f"{name}-{sid}"
        services.append({"id": sid, "name": name})
        writer.add(Service, {"id": sid, "name": name, "team": TEAMS[sid % len(TEAMS)],
                             "description": f"The {name} service.", "created_at": START})
    writer.flush([User, Service])

    # Deployments: a few busy services get most of them (the way real fleets do).
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(services_total)]
    span = (END - START).total_seconds()
    per_service: dict[int, list[tuple[datetime, int]]] = {}
    artifact_id = 0
    versions: dict[int, int] = {}
    for did in range(1, deployments_total + 1):
        sid = rng.choices(range(1, services_total + 1), weights)[0]
        at = START + timedelta(seconds=rng.random() * span)
        per_service.setdefault(sid, []).append((at, did))
    deployment_ids_by_service: dict[int, list[tuple[datetime, int, str]]] = {}
    for sid, moments in per_service.items():
        moments.sort()
        for at, did in moments:
            production = rng.random() < 0.7
            if not production or sid not in versions or rng.random() < 0.8:
                versions[sid] = versions.get(sid, 0) + 1
                artifact_id += 1
                version = f"{versions[sid] // 100}.{versions[sid] // 10 % 10}.{versions[sid] % 10}"
                reference = f"registry.example.com/{services[sid - 1]['name']}@sha256:" + \
                    f"{rng.getrandbits(256):064x}"
                writer.add(Artifact, {"id": artifact_id, "service_id": sid, "version": version,
                                      "reference": reference, "created_at": at})
            kind = rng.choices(["deploy", "rollback", "config", "manual"], [90, 5, 4, 1])[0]
            writer.add(Deployment, {
                "id": did, "service_id": sid, "artifact_id": artifact_id,
                "environment": "production" if production else "staging", "deployed_at": at,
                "artifact_ref": None if kind == "manual" else reference,
                "commit": f"{rng.getrandbits(160):040x}", "kind": kind,
                "url": f"https://ci.example.com/runs/{did}", "notes": None, "created_at": at})
            if production:
                deployment_ids_by_service.setdefault(sid, []).append((at, did, version))
    writer.flush([Artifact, Deployment])

    section_id = event_id = factor_id = item_id = item_event_id = 0
    order = [Incident, IncidentSection, TimelineEvent, Factor, ActionItem, ActionItemEvent,
             IncidentTag, incident_services, incident_reviewers, IncidentDeployment, Revision]
    for iid in range(1, incidents + 1):
        scenario = SCENARIOS[rng.randrange(len(SCENARIOS))]
        second = SCENARIOS[rng.randrange(len(SCENARIOS))] if rng.random() < 0.3 else None
        started = START + timedelta(seconds=span * (iid - 1) / incidents
                                    + rng.random() * 3600)
        sids = rng.sample(range(1, services_total + 1), rng.choice([1, 1, 2, 3]))
        sids[0] = rng.choices(range(1, services_total + 1), weights)[0]
        sids = list(dict.fromkeys(sids))
        commander = users[rng.randrange(people)]
        person = users[rng.randrange(people)]["name"]
        version = f"{rng.randint(1, 12)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}"
        ctx = {"service": services[sids[0] - 1]["name"], "person": person, "version": version,
               "team": TEAMS[sids[0] % len(TEAMS)]}
        age_days = (now - started).days
        settled = age_days > 60 and rng.random() < 0.95
        status = "published" if settled else rng.choice(["draft", "in_review", "published"])
        detected = started + timedelta(minutes=rng.randint(1, 60))
        mitigated = detected + timedelta(minutes=rng.randint(5, 240))
        resolved = mitigated + timedelta(minutes=rng.randint(5, 600))
        title = f"{ctx['service']}: {rng.choice(scenario['symptom'])} after " \
                f"{rng.choice(scenario['cause'])}".format(**ctx)[:200]
        writer.add(Incident, {
            "id": iid, "title": title, "severity": rng.choices(
                ["SEV1", "SEV2", "SEV3", "SEV4"], [5, 20, 50, 25])[0],
            "status": status, "template_key": "standard", "started_at": started,
            "detected_at": detected, "mitigated_at": mitigated,
            "resolved_at": resolved if rng.random() < 0.97 else None,
            "commander_id": commander["id"], "created_by_id": commander["id"],
            "extra_metadata": {}, "version": 1, "created_at": started,
            "updated_at": resolved, "published_at": resolved + timedelta(days=3)
            if status == "published" else None,
            "archived_at": resolved + timedelta(days=400) if rng.random() < 0.01 else None})
        markdown_sections = []
        for position, (key, section_title) in enumerate(SECTION_TITLES):
            blend = second if second and position % 3 == 2 else scenario
            body = "\n\n".join(paragraph(rng, blend, ctx, rng.randint(3, 6))
                               for _ in range(2))
            if key == "lessons_learned":
                body += "\n\n" + "\n".join(f"- {rng.choice(blend['fix']).capitalize()}."
                                           for _ in range(3))
            section_id += 1
            # The HTML render_markdown gives for paragraphs and one list, written directly
            # (rendering 90,000 sections would take longer than generating everything else).
            blocks = []
            for block in body.split("\n\n"):
                if block.startswith("- "):
                    items = "".join(f"<li>{html.escape(line[2:])}</li>\n"
                                    for line in block.splitlines())
                    blocks.append(f"<ul>\n{items}</ul>")
                else:
                    blocks.append(f"<p>{html.escape(block)}</p>")
            markdown_sections.append({"key": key, "title": section_title, "markdown": body})
            writer.add(IncidentSection, {"id": section_id, "incident_id": iid,
                                         "position": position, "key": key,
                                         "title": section_title, "guidance": None,
                                         "required": key in ("summary", "impact"),
                                         "markdown": body, "html": "\n".join(blocks)})
        moment = started
        for index in range(12):
            event_id += 1
            moment += timedelta(minutes=rng.randint(1, 40))
            writer.add(TimelineEvent, {
                "id": event_id, "incident_id": iid, "at": moment,
                "kind": KINDS[min(index, len(KINDS) - 1)] if index < 3 or index == 11
                else rng.choice(KINDS[:-1]),
                "text": sentence(rng, scenario, ctx), "created_at": resolved, "version": 1})
        factor_ids = []
        for blend in [scenario, scenario, second or scenario][:rng.choice([2, 3])]:
            factor_id += 1
            factor_ids.append(factor_id)
            writer.add(Factor, {"id": factor_id, "incident_id": iid,
                                "text": f"{rng.choice(blend['cause']).format(**ctx).capitalize()}"
                                        f", {rng.choice(TAILS).format(**ctx)}.",
                                "category": blend["category"] if rng.random() < 0.9 else None,
                                "created_at": resolved, "version": 1})
        for _ in range(10):
            item_id += 1
            finished = age_days > 120 and rng.random() < 0.85
            item_status = (rng.choice(["done", "done", "done", "wont_do"]) if finished
                           else rng.choice(["open", "open", "in_progress"]))
            created = resolved + timedelta(hours=rng.randint(1, 72))
            completed = created + timedelta(days=rng.randint(1, 90)) if finished else None
            owner = users[rng.randrange(people)]["id"] if rng.random() < 0.85 else None
            writer.add(ActionItem, {
                "id": item_id, "incident_id": iid,
                "title": f"{rng.choice(ACTION_VERBS)} {rng.choice(scenario['fix'])} for "
                         f"{ctx['service']}"[:300],
                "description": paragraph(rng, scenario, ctx, 1) if rng.random() < 0.5 else None,
                "owner_id": owner, "team": ctx["team"],
                "priority": rng.choice(["P1", "P2", "P3", None]),
                "kind": rng.choice(["prevent", "mitigate", "detect", "process"]),
                "status": item_status,
                "due_on": (created + timedelta(days=rng.randint(7, 120))).date()
                if rng.random() < 0.8 else None,
                "factor_id": rng.choice(factor_ids) if rng.random() < 0.7 else None,
                "verification": None, "external_url": None,
                "resolution_note": "Shipped and verified." if item_status == "done" else None,
                "created_at": created, "updated_at": completed or created,
                "completed_at": completed, "reviewed_at": None, "version": 1})
            if finished:
                item_event_id += 1
                writer.add(ActionItemEvent, {"id": item_event_id, "action_item_id": item_id,
                                             "actor_id": owner, "at": completed,
                                             "from_status": "open", "to_status": item_status,
                                             "note": None})
        for tag in rng.sample(["customer-facing", "data-loss", "security", "mobile", "eu",
                               "us", "apac", "holiday", "launch"], rng.randint(0, 3)):
            writer.add(IncidentTag, {"incident_id": iid, "tag": tag})
        for sid in sids:
            writer.add(incident_services, {"incident_id": iid, "service_id": sid})
        if status == "in_review":
            for uid in rng.sample(range(1, people + 1), 2):
                writer.add(incident_reviewers, {"incident_id": iid, "user_id": uid})
        candidates = deployment_ids_by_service.get(sids[0], [])
        before = [c for c in candidates[-400:] if c[0] <= started] if candidates else []
        if before and rng.random() < 0.6:
            roles_ = ["culprit", "suspected", "rollback_target"]
            for (_, did, _), role in zip(reversed(before[-2:]), roles_, strict=False):
                writer.add(IncidentDeployment, {"incident_id": iid, "deployment_id": did,
                                                "role": role, "created_at": resolved})
        writer.add(Revision, {"id": iid, "incident_id": iid, "number": 1,
                              "author_id": commander["id"], "created_at": resolved,
                              "summary": "Imported",
                              "snapshot": {"title": title, "status": status,
                                           "sections": markdown_sections}})
        if iid % BATCH == 0 or iid == incidents:
            writer.flush(order)
    return writer.counts


def reset_sequences() -> None:
    """PostgreSQL: move each id sequence past the ids written explicitly."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in db.metadata.sorted_tables:
        if "id" in table.c and table.c.id.primary_key and table.c.id.autoincrement and \
                isinstance(table.c.id.type, Integer):
            db.session.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"COALESCE((SELECT max(id) FROM {table.name}), 0) + 1, false)"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--deployments", type=int, default=50_000)
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--people", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    app = create_app()
    with app.app_context():
        started = time.perf_counter()
        setup.upgrade_database()
        if db.session.scalar(text("SELECT count(*) FROM incidents")):
            sys.exit("error: the database already holds post-mortems; generate into an empty one")
        counts = generate(args.incidents, args.seed, args.deployments, args.services,
                          args.people)
        reset_sequences()
        db.session.commit()
        insights.reindex_all()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        elapsed = time.perf_counter() - started
    summary = ", ".join(f"{count:,} {name}" for name, count in counts.items())
    print(f"generated in {elapsed:.0f} s: {summary}")
    print("log in as person1@example.com (admin) with the password bench-password-1")


if __name__ == "__main__":
    main()
