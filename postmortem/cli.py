"""The `postmortem` command: Flask's CLI over create_app, plus our own commands."""

from __future__ import annotations

import os

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .errors import DomainError
from .models import Role


def _fail(error: DomainError) -> click.ClickException:
    details = "; ".join(f"{field}: {', '.join(msgs)}" for field, msgs in (error.fields or {}).items())
    return click.ClickException(f"{error.message} {details}".strip())


def _user(email: str):  # noqa: ANN202
    """The user with this email, or a ClickException (non-zero exit) naming it."""
    from .services import accounts

    user = accounts.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No user with email {email}.")
    return user


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database to the newest schema (safe to run again)."""
    from .services import insights, setup
    from .services.insights import search

    setup.upgrade_database()
    if search.document_count() < search.incident_count():
        click.echo(f"Indexed {insights.reindex_all()} post-mortems for search.")
    click.echo(f"Database ready: {setup.describe_database()}")


@click.group("users")
def users_group() -> None:
    """Manage user accounts."""


@users_group.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.AUTHOR.value,
              show_default=True)
@click.option("--password", help="Generated and printed when omitted.")
@with_appcontext
def users_create(email: str, name: str, role: str, password: str | None) -> None:
    """Create a user."""
    from .services import accounts

    generated = password is None
    password = password or accounts.generate_password()
    try:
        user = accounts.create_user(email=email, name=name, role=role, password=password)
    except DomainError as error:
        raise _fail(error) from error
    click.echo(f"Created {user.role} {user.email}.")
    if generated:
        click.echo(f"Password: {password}")


@users_group.command("list")
@with_appcontext
def users_list() -> None:
    """List users with their roles."""
    from .services import accounts

    for user in accounts.list_users():
        state = "" if user.active else " (inactive)"
        click.echo(f"{user.email}\t{user.role}\t{user.name}{state}")


@users_group.command("set-role")
@click.option("--email", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@with_appcontext
def users_set_role(email: str, role: str) -> None:
    """Change a user's role."""
    from .services import accounts

    user = _user(email)
    try:
        accounts.update_user(user, role=role, active=user.active)
    except DomainError as error:
        raise _fail(error) from error
    click.echo(f"{user.email} is now {role}.")


@users_group.command("reset-password")
@click.option("--email", required=True)
@click.option("--password", help="Generated and printed when omitted.")
@with_appcontext
def users_reset_password(email: str, password: str | None) -> None:
    """Set a new password for a user."""
    from .services import accounts

    user = _user(email)
    generated = password is None
    password = password or accounts.generate_password()
    try:
        accounts.set_password(user, password)
    except DomainError as error:
        raise _fail(error) from error
    click.echo(f"Password of {user.email} changed.")
    if generated:
        click.echo(f"Password: {password}")


@click.group("tokens")
def tokens_group() -> None:
    """Manage API tokens."""


@tokens_group.command("create")
@click.option("--email", required=True, help="The user the token acts as.")
@click.option("--label", default="CLI token", show_default=True)
@with_appcontext
def tokens_create(email: str, label: str) -> None:
    """Create an API token; the token alone is printed on the last line."""
    from .services import accounts

    user = _user(email)
    try:
        _, clear = accounts.create_token(user, label)
    except DomainError as error:
        raise _fail(error) from error
    click.echo(f"Token '{label}' for {user.email} ({user.role}); it is shown only once:")
    click.echo(clear)


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the demo data into an empty database."""
    from .services import demo

    try:
        summary = demo.load_demo()
    except DomainError as error:
        raise _fail(error) from error
    click.echo(summary)


@click.command("bootstrap")
@click.option("--demo/--no-demo", default=True, show_default=True,
              help="Load demo data when the database has no post-mortems.")
@with_appcontext
def bootstrap_command(demo: bool) -> None:
    """First run: create an admin when there are no users, and demo data when empty."""
    from .services import demo as demo_data
    from .services import setup

    created = setup.ensure_admin(
        email=os.environ.get("POSTMORTEM_ADMIN_EMAIL") or current_app.config.get("ADMIN_EMAIL"),
        password=os.environ.get("POSTMORTEM_ADMIN_PASSWORD")
        or current_app.config.get("ADMIN_PASSWORD"),
    )
    if created:
        email, password = created
        banner = "=" * 64
        click.echo(banner)
        click.echo("  Postmortem admin account created. Log in at /login with:")
        click.echo(f"    email:    {email}")
        click.echo(f"    password: {password}")
        click.echo("  This password is printed only this once.")
        click.echo(banner)
    if demo and demo_data.database_is_empty():
        click.echo(demo_data.load_demo())
        from .services import insights

        insights.refresh()  # so the first page shows the demo's themes and similar post-mortems


@click.group("deployments")
def deployments_group() -> None:
    """Record and list deployments of immutable artifacts."""


@deployments_group.command("record")
@click.option("--service", required=True, help="The service deployed, e.g. checkout.")
@click.option("--version", "version_", required=True, help="The version label of the artifact.")
@click.option("--environment", required=True, help="Where it was deployed, e.g. production.")
@click.option("--artifact", help="The immutable reference: image digest, AMI id, checksum.")
@click.option("--commit", help="The source commit.")
@click.option("--kind", type=click.Choice(["deploy", "rollback", "config", "manual"]),
              default="deploy", show_default=True)
@click.option("--deployed-at", help="ISO 8601 time of the rollout (default: now).")
@click.option("--link", "pipeline_url", help="A link to the pipeline run or release notes.")
@click.option("--notes")
@click.option("--url", "server", envvar="POSTMORTEM_URL",
              help="Post to the Postmortem server at this URL instead of the local database.")
@click.option("--token", envvar="POSTMORTEM_TOKEN", help="API token for --url (deployer role).")
@with_appcontext
def deployments_record(service: str, version_: str, environment: str, artifact: str | None,
                       commit: str | None, kind: str, deployed_at: str | None,
                       pipeline_url: str | None, notes: str | None, server: str | None,
                       token: str | None) -> None:
    """Record a deployment, locally or (with --url and --token) on a remote server."""
    payload = {"service": service, "version": version_, "environment": environment,
               "artifact": artifact, "commit": commit, "kind": kind, "deployed_at": deployed_at,
               "url": pipeline_url, "notes": notes}
    payload = {key: value for key, value in payload.items() if value is not None}
    if server:
        from .remote import post_json

        if not token:
            raise click.ClickException("--url needs --token (or POSTMORTEM_TOKEN).")
        status, body = post_json(server.rstrip("/") + "/api/v1/deployments", payload, token)
        if status >= 400:
            error = body.get("error", {}) if isinstance(body, dict) else {}
            fields = "; ".join(f"{k}: {', '.join(v)}" for k, v in (error.get("fields") or {}).items())
            raise click.ClickException(f"{status}: {error.get('message', body)} {fields}".strip())
        click.echo(_describe_deployment(body, created=status == 201))
        return
    from .schemas import DeploymentIn, parse
    from .services import deployments
    from .services.incidents import deployment_dict

    try:
        deployment, created = deployments.record_deployment(parse(DeploymentIn, payload))
    except DomainError as error:
        raise _fail(error) from error
    click.echo(_describe_deployment(deployment_dict(deployment), created=created))


def _describe_deployment(body: dict, created: bool) -> str:
    state = "Recorded" if created else "Already recorded"
    flag = "" if body.get("immutable") else " (out-of-band: no artifact or manual change)"
    return (f"{state} deployment {body['id']}: {body['service']} {body['version']} → "
            f"{body['environment']} at {body['deployed_at']}{flag}")


@click.command("remind")
@click.option("--days", default=7, show_default=True, type=click.IntRange(0, 365),
              help="Also remind of items due within this many days.")
@click.option("--dry-run", is_flag=True, help="Print the digests even when mail is configured.")
@with_appcontext
def remind_command(days: int, dry_run: bool) -> None:
    """Send each owner a digest of their overdue and soon-due action items (cron-friendly)."""
    from .services import action_items

    digests = action_items.reminder_digests(soon_days=days)
    if not digests:
        click.echo("No overdue or soon-due action items with an owner.")
        return
    base_url = current_app.config.get("BASE_URL")
    failures = 0
    for digest in digests:
        subject = action_items.subject_for(digest)
        text = digest.text(base_url)
        if action_items.mail_configured() and not dry_run:
            try:
                action_items.send_mail(digest.owner.email, subject, text)
            except OSError as error:  # smtplib errors are OSErrors
                failures += 1
                click.echo(f"Could not mail {digest.owner.email}: {error}", err=True)
            else:
                click.echo(f"Mailed {digest.owner.email}: {subject}")
        else:
            click.echo(f"To: {digest.owner.email}\nSubject: {subject}\n\n{text}\n")
    if failures:
        raise click.ClickException(f"{failures} digest(s) could not be sent.")


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--as-draft", is_flag=True, help="Start every imported post-mortem as a draft.")
@click.option("--allow-duplicate", is_flag=True,
              help="Import even when a post-mortem with the same title and start exists.")
@with_appcontext
def import_command(files: tuple[str, ...], as_draft: bool, allow_duplicate: bool) -> None:
    """Import Markdown interchange documents; a bad file does not stop the others."""
    from .services import exchange

    failures = 0
    for name in files:
        try:
            with open(name, encoding="utf-8") as handle:
                text = handle.read()
            incident = exchange.import_markdown(text, None, keep_status=not as_draft,
                                                allow_duplicate=allow_duplicate).incident
        except (OSError, UnicodeDecodeError) as error:
            failures += 1
            click.echo(f"{name}: not imported: {error}", err=True)
        except DomainError as error:
            failures += 1
            click.echo(f"{name}: not imported: {error.message}", err=True)
        else:
            click.echo(f"{name}: imported as {incident.key} ({incident.title})")
    if failures:
        raise click.ClickException(f"{failures} of {len(files)} file(s) not imported.")


@click.command("export")
@click.argument("key")
@click.option("--format", "fmt", type=click.Choice(["md", "pdf"]), default="md", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="File to write (default: stdout for md).")
@with_appcontext
def export_command(key: str, fmt: str, output: str | None) -> None:
    """Export one post-mortem as Markdown or PDF."""
    from .services import exchange, incidents

    try:
        incident = incidents.get_incident(key)
    except DomainError as error:
        raise _fail(error) from error
    if fmt == "md":
        text = exchange.export_markdown(incident)
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
            click.echo(f"Wrote {output}")
        else:
            click.echo(text, nl=False)
        return
    if not output:
        raise click.ClickException("PDF export needs -o FILE.")
    data = exchange.render_incident_pdf(incident)
    with open(output, "wb") as handle:
        handle.write(data)
    click.echo(f"Wrote {output} ({len(data) // 1024} KB)")


@click.command("digest")
@click.option("--since", help="Start of the period (YYYY-MM-DD); default six months ago.")
@click.option("--until", help="End of the period (YYYY-MM-DD, inclusive); default now.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@with_appcontext
def digest_command(since: str | None, until: str | None, output: str) -> None:
    """Write the stakeholder digest PDF for a period."""
    from .services import exchange, insights

    try:
        start, end = insights.parse_period({"since": since, "until": until})
    except DomainError as error:
        raise _fail(error) from error
    data = exchange.render_digest_pdf(start, end)
    with open(output, "wb") as handle:
        handle.write(data)
    click.echo(f"Wrote {output}: {start.date()} – {end.date()} ({len(data) // 1024} KB)")


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(file: str) -> None:
    """Back up the whole database to FILE while the app keeps serving (SQLite: a checked
    online copy; PostgreSQL: pg_dump's custom format)."""
    from .services import setup

    try:
        click.echo(setup.backup(file))
    except DomainError as error:
        raise _fail(error) from error


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(file: str, yes: bool) -> None:
    """Replace the whole database with the backup in FILE (stop every app instance first)."""
    from .services import setup

    if not yes:
        click.confirm(f"Replace everything in {setup.describe_database()} with {file}?",
                      abort=True)
    try:
        click.echo(setup.restore(file))
    except DomainError as error:
        raise _fail(error) from error


@click.group("insights")
def insights_group() -> None:
    """Similar post-mortems, themes and the search index."""


@insights_group.command("refresh")
@click.option("--force", is_flag=True, help="Recompute even when nothing changed.")
@click.option("--nice", type=click.IntRange(0, 19), default=0,
              help="Run at this lower priority (the serving processes' worker uses 10).")
@with_appcontext
def insights_refresh(force: bool, nice: int) -> None:
    """Recompute similar post-mortems and themes now (one run at a time across instances)."""
    import os

    from .services import insights

    if nice:
        os.nice(nice)

    outcome = insights.refresh(force=force)
    if outcome.skipped:
        click.echo(f"Nothing done: {'; '.join(outcome.notes)}.")
        return
    click.echo(f"Recomputed over {outcome.incidents} post-mortems in {outcome.seconds:.1f} s: "
               f"{outcome.detected} detected and {outcome.taxonomy} taxonomy themes "
               f"({outcome.kept_ids} detected themes kept their id).")


@insights_group.command("reindex")
@with_appcontext
def insights_reindex() -> None:
    """Rebuild every post-mortem's search document (after a bulk load)."""
    from .services import insights

    click.echo(f"Indexed {insights.reindex_all()} post-mortems for search.")


def register_cli(app: Flask) -> None:
    for command in (init_db_command, users_group, tokens_group, demo_command, bootstrap_command,
                    deployments_group, remind_command, import_command, export_command,
                    digest_command, insights_group, backup_command, restore_command):
        app.cli.add_command(command)

