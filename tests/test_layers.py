"""The house reads top-down, checked on the code itself (read with `ast`, milliseconds):

    views / API / commands ─▶ services / selectors ─▶ rulebook and gateway
        ─▶ workflows / activities ─▶ projection (and the models under it)

- the Django apps reach Temporal only through the gateway (and the admins' visibility reads),
  never through a workflow, an activity, the worker or a writing step;
- `temporal_app/` is the engine's side: outside its activities it imports no Django app;
- activities reach the database only through the projection and the services and selectors
  they are meant to call, never through a model; every such call above the projection is an
  arrow pointing up, and says why in a `# up:` comment on its import line;
- the projection, at the bottom, imports only the models, the rulebook and the engine's
  Django-free records (temporal_app/types.py);
- views ask the gateway only for a link into the Temporal UI: every call that does something
  goes through a service.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("drafts", "review", "publishing", "api", "config")
ENGINE_ONLY = ("temporal_app.workflows", "temporal_app.activities", "temporal_app.worker",
               "temporal_app.writing", "temporal_app.waiting", "temporal_app.checking",
               "temporal_app.stopping", "temporal_app.escalating")
# What an activity may call in the apps: the one writer of review state, and the services and
# selectors each activity drives.
ACTIVITY_MAY_USE = {"drafts.projection", "drafts.outbox", "publishing.deliveries",
                    "publishing.signing", "publishing.selectors"}
VIEW_FILES = ["drafts/views.py", "review/views.py", "review/admin_views.py",
              "review/outside_views.py", "api/views.py", "api/account_views.py",
              "api/docs_views.py", "api/insights_views.py"]
VIEW_MAY_ASK_GATEWAY = {"workflow_ui_url"}


def _py(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py")
                  if "migrations" not in p.parts)


def _imports(path: Path) -> list[tuple[str, int]]:
    """(module imported, line) for each import; `from a import b` gives `a.b` too, since b
    may be a module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, node.lineno))
            found += [(f"{node.module}.{alias.name}", node.lineno) for alias in node.names]
    return found


def _under(name: str, packages) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def _where(path: Path, line: int) -> str:
    return f"{path.relative_to(ROOT)}:{line}"


def test_the_apps_reach_the_engine_only_through_the_gateway():
    wrong = [f"{_where(path, line)} imports {name}" for path in _py(*APPS)
             for name, line in _imports(path) if _under(name, ENGINE_ONLY)]
    assert not wrong, "\n".join(wrong)


def test_the_engine_side_imports_no_app_outside_its_activities():
    engine = [p for p in _py("temporal_app") if "activities" not in p.parts]
    wrong = [f"{_where(path, line)} imports {name}" for path in engine
             for name, line in _imports(path) if _under(name, APPS[:-1])]
    assert not wrong, "\n".join(wrong)


def test_activities_reach_the_database_through_the_projection_and_services_only():
    wrong = {}
    for path in _py("temporal_app/activities"):
        lines = path.read_text().splitlines()
        for name, line in _imports(path):
            if not _under(name, APPS[:-1]) or "." not in name:  # `from drafts import x`:
                continue  # judged as drafts.x
            owner, where = ".".join(name.split(".")[:2]), _where(path, line)
            if owner not in ACTIVITY_MAY_USE:
                wrong.setdefault(where, f"{where} imports {owner}")
            elif owner != "drafts.projection" and "# up:" not in lines[line - 1]:
                wrong.setdefault(where, f"{where} imports {owner} (above the projection) "
                                 "without a '# up: why' comment")
    assert not wrong, "\n".join(wrong.values())


def test_the_projection_sits_at_the_bottom():
    path = ROOT / "drafts" / "projection.py"
    allowed = ("drafts.models", "rulebook", "temporal_app.types")
    wrong = [f"{_where(path, line)} imports {name}" for name, line in _imports(path)
             if _under(name, (*APPS[:-1], "temporal_app")) and not _under(name, allowed)
             and name != "drafts"]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("view", VIEW_FILES)
def test_views_ask_the_gateway_for_nothing_but_a_link(view):
    path = ROOT / view
    calls = {(node.attr, node.lineno) for node in ast.walk(ast.parse(path.read_text()))
             if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
             and node.value.id == "gateway"}
    assert sorted(f"{_where(path, line)} gateway.{attr}" for attr, line in calls
                  if attr not in VIEW_MAY_ASK_GATEWAY) == []


def test_the_checker_sees_a_forbidden_import(tmp_path, monkeypatch):
    """The rules above read real imports: a model imported by an activity is caught."""
    folder = tmp_path / "temporal_app" / "activities"
    folder.mkdir(parents=True)
    (folder / "bad.py").write_text("from drafts.models import Draft\n"
                                   "from drafts import outbox\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    with pytest.raises(AssertionError) as caught:
        test_activities_reach_the_database_through_the_projection_and_services_only()
    assert "bad.py:1 imports drafts.models\n" in str(caught.value)
    assert "bad.py:2 imports drafts.outbox (above the projection)" in str(caught.value)
