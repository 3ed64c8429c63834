"""The check registry, modelled on Django's system checks: stable slugs, declared needs, results as data.

A check is a pure function `(snapshot, answers) -> CheckResult`. The registry decides what is generic to
every check: a recorded "not applicable", a failed source (`error`, never a silent pass), and whether the
result counts as cleared.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

from checks.answers import Answers
from checks.results import ID_LETTER, CheckResult, Pending, Status
from checks.snapshot import Need, Snapshot, SourceFailure

CheckFunc = Callable[[Snapshot, Answers], CheckResult]
NeedsFunc = Callable[[Answers], frozenset[Need]]
ViewFunc = Callable[[Snapshot], object]
V = TypeVar("V", bound=ViewFunc)


# The outcomes any check can give, by id suffix (the id is `<slug>.<suffix>`). Numbers never change meaning.
GENERIC_OUTCOMES: Mapping[str, str] = {
    "A900": "an owner marked the check not applicable",
    "E900": "a source it needs failed",
    "E901": "a source it needs rejected Preflight's connection: reconnect",
    "E902": "a system it needs is not connected",
    "E903": "data it needs was not loaded",
    "E904": "the data was fetched for another enable date than the one now chosen",
    "E905": "the check stopped before it finished (its worker process died)",
}

ID_PATTERN = re.compile(r"^(?P<slug>[a-z][a-z0-9-]*)\.(?P<letter>[EFWNIA])(?P<number>\d{3})$")


def outcome_id(slug: str, suffix: str) -> str:
    """The id of one of the GENERIC_OUTCOMES for a check, e.g. `outcome_id("backup", "E900")`."""
    if suffix not in GENERIC_OUTCOMES:
        raise KeyError(f"{suffix!r} is not a generic outcome: {', '.join(GENERIC_OUTCOMES)}")
    return f"{slug}.{suffix}"


def id_matches_status(result_id: str, status: Status) -> bool:
    match = ID_PATTERN.match(result_id)
    return match is not None and match["letter"] == ID_LETTER[status]


class Kind(enum.StrEnum):
    AUTOMATIC = "automatic"
    AUTOMATIC_CONFIRMATION = "automatic + confirmation"
    AUTOMATIC_ACKNOWLEDGEMENT = "automatic + acknowledgement"
    INPUT = "input"
    INPUT_AUTOMATIC = "input + automatic"
    CONFIRMATION = "confirmation"


class UnknownCheckError(KeyError):
    def __init__(self, slug: str, known: Sequence[str]) -> None:
        super().__init__(slug)
        self.slug = slug
        self.known = tuple(known)

    def __str__(self) -> str:
        return f"There is no check called {self.slug!r}. The checks are: {', '.join(self.known)}."


@dataclass(frozen=True)
class CheckSpec:
    slug: str
    title: str
    kind: Kind
    order: int
    why: str  # in plain words: why this precondition matters
    func: CheckFunc
    needs: NeedsFunc
    depends_on_enable_date: bool = False
    allow_not_applicable: bool = False
    # Needs whose failure the check reports itself (e.g. admin-access turns a rejected connection into a
    # `fail` with a reconnect hint). Such a check must never pass on a failed source.
    handles_failures: frozenset[Need] = frozenset()
    # The check's own outcomes: id -> what it means (see checks.results).
    outcomes: Mapping[str, str] = field(default_factory=dict)

    def all_outcomes(self) -> dict[str, str]:
        """Every id this check can give: its own and the generic ones."""
        generic = {outcome_id(self.slug, suffix): meaning for suffix, meaning in GENERIC_OUTCOMES.items()}
        return {**self.outcomes, **generic}

    def run(self, snapshot: Snapshot, answers: Answers) -> CheckResult:
        na = answers.not_applicable.get(self.slug)
        if na is not None and self.allow_not_applicable:
            result = CheckResult(
                slug=self.slug,
                status=Status.NOT_APPLICABLE,
                summary=f"Marked not applicable by {na.user_name}: {na.value}",
                id=outcome_id(self.slug, "A900"),
            )
        else:
            failed = [
                snapshot.errors[n]
                for n in sorted(self.needs(answers))
                if n in snapshot.errors and n not in self.handles_failures
            ]
            result = source_error_result(self.slug, failed) if failed else self.func(snapshot, answers)
        return replace(result, cleared=is_cleared(result, answers))


def source_error_result(slug: str, failed: Sequence[SourceFailure]) -> CheckResult:
    """`error` for failed sources; when a source rejected the credentials, ask for a reconnection."""
    rejected = [e for e in failed if e.auth]
    pending: Pending | None = None
    suffix = "E900"
    hint = "Fix the connection named above, then run the check again. Until then this item stays open."
    if rejected:
        suffix = "E901"
        qbo = any(e.need.source == "QuickBooks Online" for e in rejected)
        pending = Pending.CONNECT_QBO if qbo else Pending.CONNECT_FINALE
        which = "QuickBooks Online" if qbo else "Finale"
        command = "connect qbo" if qbo else "connect finale"
        hint = (
            f"{which} rejected Preflight's connection. An owner reconnects it with `{command}`, "
            "then runs the check again. Until then this item stays open."
        )
    return CheckResult(
        slug=slug,
        status=Status.ERROR,
        summary="Could not check: " + "; ".join(dict.fromkeys(e.message for e in failed)),
        hint=hint,
        id=outcome_id(slug, suffix),
        pending=pending,
    )


def is_cleared(result: CheckResult, answers: Answers) -> bool:
    if result.status in (Status.PASS, Status.NOT_APPLICABLE):
        return True
    return result.status is Status.WARN and answers.acknowledged(result.slug, result.ack_key)


@dataclass(frozen=True)
class FixedNeeds:
    """The needs of a check that needs the same data whatever the answers (a value, so specs can be pickled
    and sent to a worker process)."""

    needs: frozenset[Need]

    def __call__(self, _answers: Answers) -> frozenset[Need]:
        return self.needs


@dataclass(frozen=True)
class ViewSpec:
    """Data several checks derive from the snapshot in the same way (say, every product by its id).

    `build(snapshot)` memoizes what it builds on the snapshot (`Snapshot.derived`). The runner calls it as soon
    as `needs` are loaded, while the other sources are still being read, when a check in `used_by` runs: the
    checks that use it then find it built."""

    name: str
    needs: frozenset[Need]
    used_by: frozenset[str]
    build: ViewFunc


class CheckRegistry:
    def __init__(self) -> None:
        self._specs: dict[str, CheckSpec] = {}
        self._views: dict[str, ViewSpec] = {}

    def register(
        self,
        *,
        slug: str,
        title: str,
        kind: Kind,
        order: int,
        why: str,
        needs: Iterable[Need] | NeedsFunc = (),
        depends_on_enable_date: bool = False,
        allow_not_applicable: bool = False,
        handles_failures: Iterable[Need] = (),
        outcomes: Mapping[str, str] | None = None,
    ) -> Callable[[CheckFunc], CheckFunc]:
        if slug in self._specs:
            raise ValueError(f"A check called {slug!r} is already registered.")
        for result_id in outcomes or {}:
            match = ID_PATTERN.match(result_id)
            if match is None or match["slug"] != slug or match["number"].startswith("9"):
                raise ValueError(f"{result_id!r} is not an id of {slug!r} (`{slug}.<E|F|W|N|I|A><3 digits>`, not 9xx).")
        needs_func: NeedsFunc = needs if callable(needs) else FixedNeeds(frozenset(needs))

        def decorator(func: CheckFunc) -> CheckFunc:
            self._specs[slug] = CheckSpec(
                slug=slug,
                title=title,
                kind=kind,
                order=order,
                why=why,
                func=func,
                needs=needs_func,
                depends_on_enable_date=depends_on_enable_date,
                allow_not_applicable=allow_not_applicable,
                handles_failures=frozenset(handles_failures),
                outcomes=dict(outcomes or {}),
            )
            return func

        return decorator

    def view(self, *, needs: Iterable[Need], used_by: Iterable[str]) -> Callable[[V], V]:
        """Register a ViewSpec (see there) under the function's name."""

        def decorator(build: V) -> V:
            name = getattr(build, "__qualname__", repr(build))
            self._views[name] = ViewSpec(name, frozenset(needs), frozenset(used_by), build)
            return build

        return decorator

    def views_for(self, specs: Iterable[CheckSpec]) -> tuple[ViewSpec, ...]:
        """The views a run of these checks uses."""
        slugs = {spec.slug for spec in specs}
        return tuple(view for view in self._views.values() if view.used_by & slugs)

    def all(self) -> list[CheckSpec]:
        return sorted(self._specs.values(), key=lambda s: s.order)

    def slugs(self) -> list[str]:
        return [s.slug for s in self.all()]

    def get(self, slug: str) -> CheckSpec:
        try:
            return self._specs[slug.strip().lower()]
        except KeyError:
            raise UnknownCheckError(slug, self.slugs()) from None

    def select(self, slugs: Iterable[str] | None = None) -> list[CheckSpec]:
        """The named checks in walkthrough order; all of them when none (or "all") is named."""
        wanted = [s for s in (slugs or ()) if s.strip().lower() != "all"]
        if not wanted:
            return self.all()
        chosen = {self.get(s).slug for s in wanted}
        return [s for s in self.all() if s.slug in chosen]

    def needs(self, specs: Iterable[CheckSpec], answers: Answers) -> frozenset[Need]:
        out: set[Need] = set()
        for spec in specs:
            out |= spec.needs(answers)
        return frozenset(out)

    def run(self, snapshot: Snapshot, answers: Answers, slugs: Iterable[str] | None = None) -> list[CheckResult]:
        return [spec.run(snapshot, answers) for spec in self.select(slugs)]


registry = CheckRegistry()
register = registry.register
register_view = registry.view
