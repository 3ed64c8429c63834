"""How `preflight check` prints its report: stable JSON, or text for a person."""

from __future__ import annotations

from datetime import date

from rich.console import Console

from checks import registry as registry_module
from checks.results import CheckResult, Status


def as_json(results: list[CheckResult], company: str, today: date) -> dict[str, object]:
    reg = registry_module.registry
    checks = []
    for result in results:
        spec = reg.get(result.slug)
        checks.append(
            {
                "slug": result.slug,
                "id": result.id,
                "title": spec.title,
                "status": result.status.value,
                "summary": result.summary,
                "hint": result.hint,
                "pending": None if result.pending is None else result.pending.value,
                "findings": [f.as_dict() for f in result.findings],
                "amounts": {k: str(v) for k, v in result.amounts.items()},
            }
        )
    return {"company": company, "date": today.isoformat(), "checks": checks}


ICON = {
    "pass": "[green]✔[/green]",
    "fail": "[red]✘[/red]",
    "warn": "[yellow]![/yellow]",
    "needs_input": "[cyan]?[/cyan]",
    "not_applicable": "[dim]–[/dim]",
    "error": "[red]⚠[/red]",
}


def print_text(results: list[CheckResult], company: str) -> None:
    out = Console()
    reg = registry_module.registry
    out.print(f"[bold]Preflight report[/bold]{' · ' + company if company else ''}")
    for position, result in enumerate(results, start=1):
        spec = reg.get(result.slug)
        out.print(f"\n{ICON[result.status.value]} [bold]{position}. {spec.title}[/bold] ({result.status.value})")
        out.print(f"   {result.summary}", highlight=False, markup=False)
        for finding in result.findings[:12]:
            qty = f" qty {finding.quantity:,}" if finding.quantity is not None else ""
            amount = f" {finding.amount:,.2f}" if finding.amount is not None else ""
            # A drafted journal entry is shown in full unless the hint already shows it.
            entry_in_hint = finding.kind == "journal_entry" and finding.detail in (result.hint or "")
            detail = f" — {finding.detail}" if finding.detail and not entry_in_hint else ""
            out.print(f"   • {finding.name} [{finding.id}]{qty}{amount}{detail}", highlight=False, markup=False)
        if len(result.findings) > 12:
            out.print(f"   … and {len(result.findings) - 12:,} more (use --format json for all)")
        if result.hint and result.status is not Status.PASS:
            out.print(f"   What to do: {result.hint}", highlight=False, markup=False)
