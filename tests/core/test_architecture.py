"""The house drawn from the imports: every import of every module (ast, module- and function-level) follows the
arrows documented in docs/ARCHITECTURE.md ("Who may import whom"). The arrows are data here, as in the doc.

A *face* parses, calls and renders (views, the API, URL lists, admin, forms, template tags, the CLI): it may
import any app. A *domain* module (models, services, rules…) may import only the apps its app's arrow names,
and never a face.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import ngoso

ROOT = Path(ngoso.__file__).parent

KERNEL = {"core"}
UTILITIES = {"vntext", "formats", "speech"}  # pure helpers: vntext imports nothing; speech only vntext
# app -> the apps its domain modules may import (besides itself). The same table as docs/ARCHITECTURE.md.
ARROWS: dict[str, set[str]] = {
    "vntext": set(),
    "formats": set(),
    "speech": {"vntext"},
    "core": set(),
    "places": {"core"},
    "accounts": {"core", "places"},
    "teams": {"core", "places", "accounts"},
    "skills": {"core"},
    "people": {"core", "places", "accounts", "teams"},
    "visits": {"core", "places", "accounts", "people", "teams", "skills"},
    "insights": {"core", "places", "accounts", "people", "teams", "skills", "visits"},
    "radio": {"core", "places", "accounts", "people", "vntext", "speech"},
    "poverty": {"core", "places", "accounts", "people", "radio", "insights"},
    "lessons": {"core", "places", "accounts", "people", "skills", "visits", "speech"},
    "livelihoods": {"core", "places", "accounts", "people", "skills", "radio", "insights"},
    "sync": {"core", "places", "accounts", "people", "skills", "visits", "lessons"},
}
DOMAIN_APPS = set(ARROWS) - UTILITIES - KERNEL
# the demo builds data with every domain app's own functions (never a face)
ARROWS["demo"] = {"core", "speech", "vntext", *DOMAIN_APPS}
FACE_APPS = {"api", "commands", "cli", "urls", "wsgi", "__main__", "settings"}  # ngoso.<name> that are faces
FACE_MODULES = {"views", "api", "urls", "admin", "admin_scope", "forms", "templatetags"}

# Imports the arrows do not allow, each with why it is still there. The test fails when one disappears too
# (then delete it here), so this list only shrinks. Empty: core's jobs ask the area check accounts registers,
# core's input cleaning answers JSON in the shape the api app registers, and people tells visits of merges and
# registrations through core.changes (and asks it which households a member answers for, registered likewise).
EXCEPTIONS: dict[tuple[str, str], str] = {}


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def app_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "ngoso"


def is_face(module: str) -> bool:
    parts = module.split(".")
    return app_of(module) in FACE_APPS or bool(FACE_MODULES & set(parts[2:]))


def imports() -> list[tuple[str, str, int, bool]]:
    """(module, imported module, line, inside a function) for every import of an ``ngoso`` module and of
    Django, outside migrations."""
    out = []
    for path in sorted(ROOT.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        module = module_name(path)
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        in_function = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                in_function.update(id(n) for n in ast.walk(node) if n is not node)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[:len(package.split(".")) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                # ``from ngoso.x import y`` may import the module ngoso.x.y
                names = [f"{target}.{a.name}" if target in ("ngoso", f"ngoso.{app_of(target)}") else target
                         for a in node.names]
            else:
                continue
            for name in names:
                if name.split(".")[0] in ("ngoso", "django"):
                    out.append((module, name, node.lineno, id(node) in in_function))
    return out


def violations() -> dict[tuple[str, str], list[str]]:
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    for module, target, line, _ in imports():
        source = app_of(module)
        if target.split(".")[0] == "django":
            if source == "vntext":
                found[(module, "django")].append(f"{module}:{line} imports {target}")
            continue
        dest = app_of(target)
        if dest == source or dest == "ngoso" or is_face(module):
            continue
        if is_face(target) or dest not in ARROWS.get(source, set()):
            found[(module, dest)].append(f"{module}:{line} imports {target}")
    return found


def test_the_arrows_are_a_dag_and_the_doc_shows_them():
    seen, order = set(), []

    def visit(app, stack):
        assert app not in stack, f"the arrows make a cycle: {' -> '.join([*stack, app])}"
        if app in seen:
            return
        for dep in ARROWS.get(app, ()):
            visit(dep, [*stack, app])
        seen.add(app)
        order.append(app)

    for app in ARROWS:
        visit(app, [])
    doc = (ROOT.parent.parent / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    section = doc.split("## Who may import whom", 1)[1].split("\n## ", 1)[0].splitlines()
    for app, deps in ARROWS.items():
        row = next((line for line in section if line.startswith(f"| `{app}` |")), None)
        assert row is not None, f"docs/ARCHITECTURE.md has no arrow row for {app}"
        cell = row.split("|")[2]
        named = {w.strip(" `") for w in cell.split(",") if w.strip(" `—")}
        if app == "demo":
            named = ARROWS["demo"] if "every domain app" in cell else named
        assert named == deps, f"{app}: the doc says {sorted(named)}, the test {sorted(deps)}"


def test_every_app_is_placed():
    apps = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    apps |= {p.stem for p in ROOT.glob("*.py") if p.stem != "__init__"}
    assert apps - set(ARROWS) - FACE_APPS == set(), "a new app needs its arrow (here and in the doc)"


def test_no_module_imports_against_the_arrows():
    found = violations()
    unexpected = {k: v for k, v in found.items() if k not in EXCEPTIONS}
    assert not unexpected, "imports against docs/ARCHITECTURE.md:\n" + "\n".join(
        line for lines in unexpected.values() for line in lines)
    gone = set(EXCEPTIONS) - set(found)
    assert not gone, f"these exceptions are gone, delete them from EXCEPTIONS: {sorted(gone)}"


def test_the_exceptions_are_imports_inside_functions():
    """What the arrows do not allow is never imported at module level: the apps form no cycle when loaded."""
    at_module_level = [(m, t, line) for m, t, line, inside in imports() if not inside
                       and (m, app_of(t)) in EXCEPTIONS]
    assert at_module_level == []


def test_no_import_cycle_between_apps_at_module_level():
    graph: dict[str, set[str]] = defaultdict(set)
    for module, target, _, inside in imports():
        if inside or is_face(module) or target.startswith("django"):
            continue
        a, b = app_of(module), app_of(target)
        if a != b and b != "ngoso":
            graph[a].add(b)
    state: dict[str, int] = {}

    def visit(app, stack):
        if state.get(app) == 1:
            raise AssertionError(f"import cycle between apps: {' -> '.join([*stack, app])}")
        if state.get(app) == 2:
            return
        state[app] = 1
        for dep in sorted(graph[app]):
            visit(dep, [*stack, app])
        state[app] = 2

    for app in sorted(graph):
        visit(app, [])


def test_the_checker_catches_what_it_should(tmp_path, monkeypatch):
    """The rules bite: a domain module importing a face, an app against its arrow, vntext importing Django."""
    fake = tmp_path / "ngoso"
    for rel, text in {
        "__init__.py": "",
        "places/__init__.py": "", "places/services.py": "from ngoso.people.models import Household\n",
        "people/__init__.py": "", "people/models.py": "",
        "visits/__init__.py": "", "visits/services.py": "def f():\n    from ngoso.people import views\n",
        "people/views.py": "from ngoso.visits import services\n",
        "vntext/__init__.py": "import django\n",
    }.items():
        (fake / rel).parent.mkdir(parents=True, exist_ok=True)
        (fake / rel).write_text(text)
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", fake)
    found = violations()
    assert set(found) == {("ngoso.places.services", "people"), ("ngoso.visits.services", "people"),
                          ("ngoso.vntext", "django")}
