"""The layers of the codebase, enforced: import-linter's contracts in pyproject.toml
([tool.importlinter]) must all be kept."""

from __future__ import annotations

import pkgutil
import tomllib
from pathlib import Path

import sagicc_tui

ROOT = Path(__file__).resolve().parents[1]


def _contracts() -> dict[str, dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {c["id"]: c for c in config["contracts"]}


def test_import_contracts_are_kept(capsys, monkeypatch):
    from importlinter.cli import lint_imports

    monkeypatch.chdir(ROOT)
    code = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"Contracts: {len(_contracts())} kept, 0 broken." in out, out


def test_domain_contract_names_every_other_top_level_module():
    """A new module of ours is forbidden to domain/ from the day it is added."""
    ours = {f"sagicc_tui.{m.name}" for m in pkgutil.iter_modules(sagicc_tui.__path__)} - {
        "sagicc_tui.domain", "sagicc_tui.__main__"}
    assert set(_contracts()["domain-alone"]["forbidden_modules"]) == ours


def test_server_port_contract_names_every_server_module_but_the_factory():
    """#17.4: a new server module reaches the store through ServedStore from the day
    it is added; only serve.py, which builds the app, may name LocalBackend."""
    import sagicc_tui.server

    ours = {f"sagicc_tui.server.{m.name}" for m in pkgutil.iter_modules(sagicc_tui.server.__path__)}
    assert set(_contracts()["server-through-its-port"]["source_modules"]) == ours - {"sagicc_tui.server.serve"}


def test_the_local_store_is_a_served_store():
    """What the server asks of its store, the local store has (store_port.py)."""
    import inspect

    from sagicc_tui.local_store.backend import LocalBackend
    from sagicc_tui.server.store_port import ServedStore

    wanted = {n for n, v in vars(ServedStore).items() if inspect.isfunction(v) and not n.startswith("_")}
    assert wanted and all(callable(getattr(LocalBackend, n, None)) for n in wanted)


def test_production_code_has_no_test_hooks() -> None:
    """#17.4: faults are injected by the tests (tests/support/die_after.py),
    never by a switch in the product that an environment variable turns on."""
    package = Path(__file__).resolve().parent.parent / "sagicc_tui"
    hooked = [str(p.relative_to(package)) for p in package.rglob("*.py") if "SAGICC_TEST_" in p.read_text()]
    assert hooked == []


def _backend_calls_with_a_user(root: Path, parts: tuple[str, ...] = ("app.py", "screens", "widgets")) -> list[str]:
    """Calls of a user-taking Backend method made on the backend itself, or given a user."""
    import ast
    import inspect
    import re

    from sagicc_tui.backend import Backend

    user_taking = {n for n, f in vars(Backend).items()
                   if inspect.iscoroutinefunction(f) and list(inspect.signature(f).parameters)[1:2] == ["user"]}
    package = root / "sagicc_tui"
    found = []
    paths = [p for part in parts for p in ([package / part] if part.endswith(".py") else (package / part).rglob("*.py"))]
    for path in sorted(paths):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in user_taking):
                continue
            receiver = ast.unparse(node.func.value)
            first = ast.unparse(node.args[0]) if node.args else ""
            on_backend = "backend" in receiver.lower() and "session(" not in receiver
            given_user = bool(re.search(r"(^|\.)_?user$", first)) or any(k.arg == "user" for k in node.keywords)
            if on_backend or given_user:
                found.append(f"{path.relative_to(root)}:{node.lineno}: {ast.unparse(node.func)}({first}, ...)")
    return found


def test_the_ui_never_passes_a_user_to_the_backend() -> None:
    """#17.1: screens, widgets and the app call the areas of `backend.session(user)`
    (sagicc_tui/session.py); `backend.get_ticket(user, 7)` in a UI module fails here."""
    assert _backend_calls_with_a_user(ROOT) == []


def test_the_headless_verbs_never_pass_a_user_to_the_backend() -> None:
    """The same for `sagicc` verbs: they call `Session.acting` (commands/session.py)."""
    assert _backend_calls_with_a_user(ROOT, ("commands", "headless.py")) == []
