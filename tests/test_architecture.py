"""The layering of docs/architecture.md, checked on the import graph of `portal/` (read with
`ast`, so that nothing is imported): no forbidden import, no cycle between parts."""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "portal"

#: What every part may use: configuration, the extensions, languages, time, the database
#: module, the cleaning of input, where the resource folders are.
FOUNDATION = frozenset(
    {"config", "extensions", "i18n", "timeutil", "database", "validation", "resources"}
)
#: The rules, in plain packages that know nothing of requests.
DOMAIN = frozenset(
    {
        "organizers",
        "events",
        "calendar",
        "registration",
        "mail",
        "exports",
        "demo",
        "backup",
        "scheduling",
    }
)
#: What only the web needs, shared by the audiences' blueprints.
WEB = frozenset({"web"})
#: One package per audience.
AUDIENCES = frozenset({"public", "manage", "api"})
#: What puts the app together: the factory, the CLI, the list of every model.
ASSEMBLY = frozenset({"<factory>", "cli", "models"})

ALLOWED: Mapping[frozenset[str], frozenset[str]] = {
    FOUNDATION: FOUNDATION,
    DOMAIN: FOUNDATION | DOMAIN,
    WEB: FOUNDATION | DOMAIN,
    AUDIENCES: FOUNDATION | DOMAIN | WEB,
    ASSEMBLY: FOUNDATION | DOMAIN | WEB | AUDIENCES | ASSEMBLY,
}

#: Names from Flask and its extensions that belong to a request or to routing; the rules
#: (foundation and domain) import none of them.
REQUEST_NAMES = frozenset(
    {
        ("flask", "request"),
        ("flask", "Blueprint"),
        ("flask", "g"),
        ("flask", "session"),
        ("flask", "has_request_context"),
        ("flask", "abort"),
        ("flask", "redirect"),
        ("flask", "flash"),
        ("flask", "jsonify"),
        ("flask", "make_response"),
        ("flask", "Response"),
        ("flask_login", "current_user"),
    }
)


@dataclass(frozen=True)
class Import:
    #: The importing module, e.g. ``portal.registration.services``.
    source: str
    #: The imported module, or module and name: ``portal.events.models``, ``flask.request``.
    target: str
    line: int


def _module_name(path: Path, package: Path) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(dotted: str, package: Path) -> bool:
    base = package.parent / Path(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def read_imports(package: Path = PACKAGE) -> list[Import]:
    """Every import of the package, type-checking-only imports included (they are
    dependencies too, of the code's meaning if not of its running).

    ``from a.b import c`` gives ``a.b.c`` when ``c`` is a module, else ``a.b.c`` as a name:
    either way its part is that of ``a.b``'s, except for ``from portal import x``.
    """
    found: list[Import] = []
    for path in sorted(package.rglob("*.py")):
        source = _module_name(path, package)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found += [Import(source, alias.name, node.lineno) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    name = f"{node.module}.{alias.name}"
                    if node.module == "portal" and not _is_module(name, package):
                        name = "portal"  # a name of the factory module: create_app
                    found.append(Import(source, name, node.lineno))
    return found


def part_of(module: str) -> str | None:
    """The part a module (or name) of the portal belongs to: its subpackage or top-level
    module; None outside the portal."""
    bits = module.split(".")
    if bits[0] != "portal":
        return None
    return bits[1] if len(bits) > 1 else "<factory>"


def layer_of(part: str) -> frozenset[str]:
    for layer in ALLOWED:
        if part in layer:
            return layer
    raise AssertionError(f"portal.{part} belongs to no layer of docs/architecture.md")


def forbidden_imports(imports: Iterable[Import]) -> list[str]:
    problems = []
    for item in imports:
        source, target = part_of(item.source), part_of(item.target)
        if source is None:
            continue
        layer = layer_of(source)
        if target is not None and target != source and target not in ALLOWED[layer]:
            problems.append(f"{item.source}:{item.line} imports {item.target}")
        if layer in (FOUNDATION, DOMAIN):
            module, _, name = item.target.rpartition(".")
            if (module, name) in REQUEST_NAMES:
                problems.append(f"{item.source}:{item.line} imports {item.target}")
        if layer is AUDIENCES and target in AUDIENCES and target != source:
            problems.append(f"{item.source}:{item.line} imports another audience {item.target}")
    return sorted(set(problems))


def part_cycles(imports: Iterable[Import]) -> list[list[str]]:
    """The cycles between parts (each found once, from its smallest name)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for item in imports:
        source, target = part_of(item.source), part_of(item.target)
        if source and target and source != target:
            graph[source].add(target)
    cycles: list[list[str]] = []

    def walk(start: str, node: str, path: list[str]) -> None:
        for following in sorted(graph[node]):
            if following == start:
                cycles.append([*path, start])
            elif following not in path and following > start:
                walk(start, following, [*path, following])

    for start in sorted(graph):
        walk(start, start, [start])
    # The factory registers the CLI, and the CLI builds the app with the factory.
    return [cycle for cycle in cycles if not set(cycle) <= ASSEMBLY]


def test_every_part_of_the_package_has_a_layer():
    parts = {part_of(_module_name(path, PACKAGE)) for path in PACKAGE.rglob("*.py")}
    for part in parts:
        layer_of(part)


def test_no_part_imports_what_its_layer_may_not():
    assert forbidden_imports(read_imports()) == []


def test_no_cycle_between_parts():
    assert part_cycles(read_imports()) == []


def test_the_top_level_keeps_only_what_every_part_uses():
    top_level = sorted(path.stem for path in PACKAGE.glob("*.py"))
    assert len(top_level) <= 11, top_level


@pytest.mark.parametrize(
    ("module", "line", "expected"),
    [
        # A rule that reads the request.
        ("portal/registration/planted.py", "from flask import request", "imports flask.request"),
        # A rule that reaches up into a blueprint.
        (
            "portal/events/planted.py",
            "from portal.manage import bp",
            "imports portal.manage",
        ),
        # The foundation depending on a domain package.
        ("portal/i18n.py", "from portal.events.models import Event", "imports portal.events"),
    ],
)
def test_a_planted_forbidden_import_is_found(tmp_path, module, line, expected):
    """The checks above would fail on such an import (tried on a copy of the package)."""
    planted = _copy_of_package(tmp_path)
    with (planted.parent / module).open("a") as file:
        file.write(f"\n{line}\n")
    problems = forbidden_imports(read_imports(planted))
    assert any(expected in problem for problem in problems), problems


def test_a_planted_cycle_is_found(tmp_path):
    planted = _copy_of_package(tmp_path)
    (planted / "organizers" / "planted.py").write_text("from portal.events import models\n")
    assert ["events", "organizers", "events"] in part_cycles(read_imports(planted))


def _copy_of_package(tmp_path: Path) -> Path:
    copy = tmp_path / "portal"
    for path in PACKAGE.rglob("*.py"):
        target = copy / path.relative_to(PACKAGE)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(path.read_text())
    return copy
