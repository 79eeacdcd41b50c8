"""How the stack commands show a preview, a refusal and an inventory: plain aligned text.

Plain lines rather than tables that wrap: these get read in CI logs and pasted into
reviews. Every change shows its action, logical id, type, Replacement and the
properties that change; a property shows what causes it (a parameter, a resource that
is replaced) and whether it replaces the resource.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from messaging.ops import stack

__all__ = ["print_inventory", "print_preview", "property_summary"]


def property_summary(change: stack.PropertyChange) -> str:
    """`TableName (NamePrefix; replaces)`, `Endpoint (dynamic: OrdersQueue.Arn; may replace)`."""
    parts = []
    dynamic = change.evaluation == "Dynamic"
    if change.causing_entity:
        parts.append(("dynamic: " if dynamic else "") + change.causing_entity)
    elif dynamic:
        parts.append("dynamic")
    if change.requires_recreation == "Always":
        parts.append("may replace" if dynamic else "replaces")
    elif change.requires_recreation == "Conditionally":
        parts.append("may replace")
    name = change.name or change.attribute
    return f"{name} ({'; '.join(parts)})" if parts else name


def _rows(changes: list[stack.ResourceChange]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = [("Action", "Logical ID", "Type", "Replacement", "Changes")]
    for change in changes:
        rows.append(
            (
                change.action,
                change.logical_id,
                change.resource_type,
                change.replacement or "-",
                ", ".join(property_summary(p) for p in change.properties) or "-",
            )
        )
    return rows


def print_preview(console: Console, preview: stack.Preview) -> None:
    kind = "create" if preview.change_set_type == "CREATE" else "update"
    was = f" (now {preview.status})" if preview.status else ""
    console.print(
        f"[bold]Preview[/bold] of stack {preview.stack_name}{was}: a deploy would {kind} it. "
        "Nothing was changed.",
        soft_wrap=True,
        highlight=False,
    )
    if preview.replaces_failed_stack:
        console.print(
            "  The failed stack would be deleted first, then every resource created.",
            highlight=False,
        )
    given = ", ".join(f"{k}={v}" for k, v in preview.parameters.items()) or "none"
    console.print(f"  Parameters given: {escape(given)}", soft_wrap=True, highlight=False)
    if preview.kept:
        console.print(
            f"  Keeping current values: {', '.join(preview.kept)}", soft_wrap=True, highlight=False
        )
    if preview.no_changes or not preview.changes:
        console.print("[green]No changes[/green]: the stack already matches the template.")
        return
    rows = _rows(preview.changes)
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for number, row in enumerate(rows):
        cells = [cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)]
        line = escape("  " + "  ".join([*cells, row[4]]))
        console.print(
            f"[bold]{line}[/bold]" if number == 0 else line, soft_wrap=True, highlight=False
        )
    if preview.risks:
        console.print(
            f"[red]{len(preview.risks)} resource(s) holding data would be replaced or removed"
            "[/red] (a deploy refuses this without --allow-data-loss):",
            soft_wrap=True,
        )
        for risk in preview.risks:
            console.print(f"  {escape(risk.describe())}", soft_wrap=True, highlight=False)


def _size(size: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return str(size)  # pragma: no cover


def print_inventory(console: Console, found: stack.Inventory, *, keep_data: bool) -> None:
    """What the stack holds, so the user knows what `destroy` deletes before saying yes."""
    fate = "kept (--keep-data)" if keep_data else "deleted"
    console.print(
        f"Stack {found.stack_name} ({found.status}) holds this data, which will be {fate}:",
        highlight=False,
    )
    lines = []
    for logical_id, name, items in found.tables:
        lines.append(("table", logical_id, name, f"{items:,} items"))
    for bucket in sorted(found.buckets, key=lambda b: b.access_logs):
        kind = "logs" if bucket.access_logs else "bucket"
        what = "access-log objects" if bucket.access_logs else "objects"
        detail = f"{bucket.objects:,} {what} ({bucket.versions:,} versions, {_size(bucket.size)})"
        lines.append((kind, bucket.logical_id, bucket.name, detail))
    for logical_id, url, messages in found.queues:
        lines.append(("queue", logical_id, url.rsplit("/", 1)[-1], f"{messages:,} messages"))
    if not lines:
        console.print("  no tables, buckets or queues")
        return
    widths = [max(len(line[i]) for line in lines) for i in range(3)]
    for line in lines:
        cells = [cell.ljust(width) for cell, width in zip(line[:3], widths, strict=True)]
        console.print(escape("  " + "  ".join([*cells, line[3]])), soft_wrap=True, highlight=False)
