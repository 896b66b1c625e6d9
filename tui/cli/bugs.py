"""`oncall bugs`: the shared bug queue."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tui.cli.common import Env, JsonOpt, done, emit_json, env_of, info, out_console
from tui.cli.helptext import example
from tui.cli.listing import Format, FormatOpt, Listing, chosen, emit
from tui.cli.slices import _time
from tui.core.errors import UsageError
from tui.core.words import num, slice_text, when
from tui.core.work import bugs as core

app = typer.Typer(
    epilog=example(
        "oncall bugs list", 'oncall bugs new --title "amount missing in EU" --model fraud --alert 6'
    ),
    help="The bug queue: file, triage, link, close, export.",
    no_args_is_help=True,
)

IdArg = Annotated[int, typer.Argument(help="The bug id.")]


def _done(env: Env, bug_id: int, message: str, as_json: bool) -> None:
    """Say what was done; with --json, the bug as it now is."""
    done(message, as_json, lambda: core.show_bug(env.store(), bug_id).to_json())


def _print_bug(bug: core.Bug) -> None:
    out_console.print(f"bug #{bug.id} [{bug.priority}] {bug.title}", style="bold")
    out_console.print(
        f"{bug.model} · {bug.status} · assignee {bug.assignee or '—'} · "
        f"reported by {bug.reporter} · tags {', '.join(bug.tags) or '—'}"
    )
    if bug.root_cause or bug.mitigation:
        out_console.print(
            f"root cause {bug.root_cause or '—'} · mitigation "
            f"{bug.mitigation or '—'}: {bug.mitigation_note or ''}"
        )
    if bug.description:
        out_console.print(bug.description)


def _link_text(link: core.BugLink) -> str:
    """A link as `slice market=FR 11-22 09:00–11-22 15:00`, `alert 12`."""
    target = link.target if link.slice is None else slice_text(link.slice)
    window = f" {when(link.window_start)}–{when(link.window_end)}" if link.window_start else ""
    return f"{link.kind} {target}{window}"


@app.command(
    "new",
    epilog=example(
        'oncall bugs new --title "amount missing in EU" --model fraud --priority P1 --alert 6'
    ),
)
def new(
    ctx: typer.Context,
    title: Annotated[str, typer.Option("--title", help="What is wrong, in a line.")],
    model: Annotated[str, typer.Option("--model", "-m")],
    priority: Annotated[str, typer.Option("--priority", help="P0 to P3.")] = "P2",
    tag: Annotated[list[str] | None, typer.Option("--tag", help="A tag (repeatable).")] = None,
    alert: Annotated[
        list[int] | None, typer.Option("--alert", help="An alert it came from (repeatable).")
    ] = None,
    root_cause: Annotated[
        str | None, typer.Option("--root-cause", help=f"One of: {', '.join(core.ROOT_CAUSES)}.")
    ] = None,
    description: Annotated[str, typer.Option("--description")] = "",
    assignee: Annotated[str | None, typer.Option("--assignee")] = None,
    as_json: JsonOpt = False,
) -> None:
    """File a bug; filing it from an alert links the alert and counts it as acted on."""
    env = env_of(ctx)
    store = env.writer()
    bug_id = core.file_bug(
        store,
        env.settings(),
        core.NewBug(
            title=title,
            model=model,
            priority=priority,
            description=description,
            tags=tuple(tag or ()),
            root_cause=root_cause,
            assignee=assignee,
            alerts=tuple(alert or ()),
        ),
        env.actor,
        env.now(),
    )
    bug = core.show_bug(store, bug_id)
    if as_json:
        emit_json(bug.to_json())
    else:
        _print_bug(bug.bug)
    info(f"filed bug #{bug_id}")


@app.command("list", epilog=example("oncall bugs list --status all --format csv > bugs.csv"))
def list_(
    ctx: typer.Context,
    status: Annotated[
        str, typer.Option("--status", help="open (default), all, or a status.")
    ] = "open",
    model: Annotated[str | None, typer.Option("--model", "-m")] = None,
    tag: Annotated[str | None, typer.Option("--tag")] = None,
    assignee: Annotated[str | None, typer.Option("--assignee")] = None,
    as_json: JsonOpt = False,
    fmt: FormatOpt = None,
) -> None:
    """Bugs by priority, open ones by default."""
    env = env_of(ctx)
    rows = core.list_bugs(env.store(), status, model, tag, assignee)
    shape = chosen(fmt, as_json)
    if not rows and shape is Format.table:
        info(f"no {status} bugs")
        return
    cells = [
        [str(b.id), b.priority, b.status, b.model, b.title, b.assignee or "—", when(b.updated_at)]
        for b in rows
    ]
    columns = ("id", "pri", "status", "model", "title", "assignee", "updated")
    emit(
        Listing(columns, cells, lambda: [b.to_json() for b in rows], wrap=frozenset({"title"})),
        shape,
    )


@app.command("show", epilog=example("oncall bugs show 3"))
def show(ctx: typer.Context, bug_id: IdArg, as_json: JsonOpt = False) -> None:
    """A bug with its links and its whole history."""
    env = env_of(ctx)
    shown = core.show_bug(env.store(), bug_id)
    if as_json:
        emit_json(shown.to_json())
        return
    _print_bug(shown.bug)
    for link in shown.links:
        out_console.print(f"  link: {_link_text(link)}")
    for e in shown.events:
        out_console.print(f"  {when(e.acted_at)} {e.actor} {e.action} {core.event_text(e)}")


@app.command("edit", epilog=example("oncall bugs edit 3 --status in_progress --assignee alice"))
def edit(
    ctx: typer.Context,
    bug_id: IdArg,
    status: Annotated[str | None, typer.Option("--status")] = None,
    priority: Annotated[str | None, typer.Option("--priority")] = None,
    assignee: Annotated[str | None, typer.Option("--assignee")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Add a tag (repeatable).")] = None,
    untag: Annotated[
        list[str] | None, typer.Option("--untag", help="Remove a tag (repeatable).")
    ] = None,
    root_cause: Annotated[str | None, typer.Option("--root-cause")] = None,
    mitigation: Annotated[
        str | None, typer.Option("--mitigation", help=f"One of: {', '.join(core.MITIGATIONS)}.")
    ] = None,
    mitigation_note: Annotated[str | None, typer.Option("--mitigation-note")] = None,
    title: Annotated[str | None, typer.Option("--title")] = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    if_version: Annotated[
        int | None,
        typer.Option("--if-version", help="Refuse if the bug changed since this version."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a bug's fields; every change is recorded."""
    env = env_of(ctx)
    if mitigation_note is not None and mitigation is None:
        raise UsageError("--mitigation-note goes with --mitigation KIND")
    version = core.edit_bug(
        env.writer(),
        env.settings(),
        bug_id,
        env.actor,
        env.now(),
        {
            "status": status,
            "priority": priority,
            "assignee": assignee,
            "root_cause": root_cause,
            "mitigation": mitigation,
            "mitigation_note": mitigation_note,
            "title": title,
            "description": description,
            "add_tags": tuple(tag or ()),
            "drop_tags": tuple(untag or ()),
        },
        if_version,
    )
    _done(env, bug_id, f"bug #{bug_id} updated (version {version})", as_json)


@app.command("comment", epilog=example('oncall bugs comment 3 --text "upstream fix deployed"'))
def comment(
    ctx: typer.Context,
    bug_id: IdArg,
    text: Annotated[str, typer.Option("--text")],
    as_json: JsonOpt = False,
) -> None:
    """Comment on a bug."""
    env = env_of(ctx)
    core.comment(env.writer(), env.settings(), bug_id, env.actor, env.now(), text)
    _done(env, bug_id, f"comment added to bug #{bug_id}", as_json)


@app.command("link", epilog=example("oncall bugs link 3 --alert 6"))
def link(
    ctx: typer.Context,
    bug_id: IdArg,
    alert: Annotated[list[int] | None, typer.Option("--alert")] = None,
    prediction: Annotated[
        list[str] | None, typer.Option("--prediction", help="A prediction id (repeatable).")
    ] = None,
    where: Annotated[
        list[str] | None,
        typer.Option("--where", help="COL=VAL: all rows of a slice (with --since/--until)."),
    ] = None,
    since: Annotated[str | None, typer.Option("--since")] = None,
    until: Annotated[str | None, typer.Option("--until")] = None,
    bug: Annotated[
        list[int] | None, typer.Option("--bug", help="A related bug (repeatable).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Link a bug to alerts, example predictions, a slice and window, or other bugs."""
    env = env_of(ctx)
    # The core says what a link needs in its own words; here, in this command's options.
    if not (alert or prediction or where or bug):
        raise UsageError("link needs --alert, --prediction, --where or --bug")
    if where and (since is None or until is None):
        raise UsageError("a slice link (--where) needs --since and --until (the window)")
    added = core.link(
        env.writer(),
        env.settings(),
        bug_id,
        env.actor,
        env.now(),
        alerts=alert,
        predictions=prediction,
        where=where,
        since=_time(since, "--since") if since else None,
        until=_time(until, "--until") if until else None,
        bugs=bug,
    )
    _done(env, bug_id, f"{added} link(s) added to bug #{bug_id}", as_json)


@app.command("close", epilog=example("oncall bugs close 3 --resolution fixed"))
def close(
    ctx: typer.Context,
    bug_id: IdArg,
    resolution: Annotated[str, typer.Option("--resolution", help="fixed, wontfix or duplicate.")],
    duplicate_of: Annotated[int | None, typer.Option("--duplicate-of")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Close a bug as fixed, wontfix or a duplicate of another."""
    env = env_of(ctx)
    core.close(env.writer(), env.settings(), bug_id, env.actor, env.now(), resolution, duplicate_of)
    _done(env, bug_id, f"bug #{bug_id} closed ({resolution})", as_json)


@app.command("export", epilog=example("oncall bugs export 3 --out bug-3.md"))
def export(
    ctx: typer.Context,
    bug_id: IdArg,
    out: Annotated[Path, typer.Option("--out", help="FILE.parquet or FILE.csv")],
    as_json: JsonOpt = False,
) -> None:
    """Write the bug's linked examples with their labels: a validation-set delta."""
    env = env_of(ctx)
    count = core.export(env.store(), env.settings(), bug_id, out)
    done(
        f"wrote {num(count)} rows to {out}",
        as_json,
        lambda: {"bug": bug_id, "rows": count, "out": str(out)},
    )


@app.command("mitigations", epilog=example("oncall bugs mitigations --model fraud"))
def mitigations(
    ctx: typer.Context,
    model: Annotated[str, typer.Option("--model", "-m")],
    as_json: JsonOpt = False,
) -> None:
    """Rules and filters patched onto a model, and why."""
    env = env_of(ctx)
    rows = core.mitigations(env.store(), env.settings(), model)
    if as_json:
        emit_json([b.to_json() for b in rows])
        return
    if not rows:
        info(f"no rule or filter is recorded for {model}")
        return
    for b in rows:
        out_console.print(
            f"#{b.id} {when(b.updated_at)} {b.title} ({b.status}): {b.mitigation_note or '—'}"
        )
