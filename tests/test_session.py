"""#17.1: the session facade (sagicc_tui/session.py) cannot drift from the Backend.

Every Backend method that takes the acting user is reachable through exactly
one area of `backend.session(user)`, with the Backend's signature minus
`user`, and passes the session's user and every argument on unchanged. A
method added to the Backend without its area fails here, not in a screen.
"""

from __future__ import annotations

from sagicc_tui.files import export_to_file

import inspect
from pathlib import Path

import pytest

from sagicc_tui.backend import Backend
from sagicc_tui.domain.errors import InvalidInput
from sagicc_tui.session import Session
from sagicc_tui.shared_host.files import ConfinedFiles


def _contract() -> dict[str, object]:
    return {n: f for n, f in vars(Backend).items() if inspect.iscoroutinefunction(f)}


def _takes_user(f) -> bool:
    return list(inspect.signature(f).parameters)[1:2] == ["user"]


def _areas() -> dict[str, type]:
    s = Session(None, None)  # type: ignore[arg-type]  # the areas' classes only
    return {a: type(getattr(s, a)) for a in Session.AREAS}


def _area_methods() -> dict[str, list[tuple[str, object]]]:
    """Method name -> the areas that offer it (with the function)."""
    found: dict[str, list[tuple[str, object]]] = {}
    for area, cls in _areas().items():
        for name, f in vars(cls).items():
            if not name.startswith("_") and callable(f):
                found.setdefault(name, []).append((area, f))
    return found


def test_every_user_taking_method_is_in_exactly_one_area():
    offered = _area_methods()
    user_taking = sorted(n for n, f in _contract().items() if _takes_user(f))
    assert len(user_taking) > 80  # the contract is read, not an empty list
    missing = [n for n in user_taking if n not in offered]
    twice = {n: [a for a, _f in offered[n]] for n in user_taking if len(offered.get(n, ())) > 1}
    assert missing == [] and twice == {}


def test_areas_offer_only_backend_methods_once():
    offered = _area_methods()
    assert sorted(n for n in offered if n not in _contract()) == []
    assert {n: [a for a, _f in v] for n, v in offered.items() if len(v) > 1} == {}


def _without_user(f) -> inspect.Signature:
    sig = inspect.signature(f)
    params = list(sig.parameters.values())
    drop = 2 if _takes_user(f) else 1  # self, and the user
    return sig.replace(parameters=params[drop:])


def test_area_signatures_are_the_backends_minus_user():
    contract = _contract()
    differ = {}
    for name, [(area, f)] in _area_methods().items():
        mine = inspect.signature(f)
        mine = mine.replace(parameters=list(mine.parameters.values())[1:])
        theirs = _without_user(contract[name])
        if str(mine) != str(theirs):
            differ[f"{area}.{name}"] = (str(mine), str(theirs))
        assert f.__doc__, f"{area}.{name} says what it does"
    assert differ == {}


class _Recorder:
    """Records each call the session makes (the forwarding is what is tested)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple, dict]] = []

    def __getattr__(self, name: str):
        async def record(*args, **kwargs):
            self.calls.append((name, args, kwargs))
            return name

        return record


async def test_each_area_method_passes_the_user_and_every_argument_on():
    contract = _contract()
    user = object()
    for name, [(area, f)] in _area_methods().items():
        rec = _Recorder()
        params = list(inspect.signature(f).parameters.values())[1:]
        pos = [object() for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
        kw = {p.name: object() for p in params if p.kind is p.KEYWORD_ONLY}
        assert await getattr(getattr(Session(rec, user), area), name)(*pos, **kw) == name  # type: ignore[arg-type]
        [(called, args, kwargs)] = rec.calls
        assert called == name
        bound = inspect.signature(contract[name]).bind(None, *args, **kwargs).arguments
        expected = dict(zip([p.name for p in params], [*pos, *kw.values()], strict=True))
        if _takes_user(contract[name]):
            expected = {"user": user, **expected}
        assert {k: v for k, v in bound.items() if k != "self"} == expected, f"{area}.{name}"


async def test_a_session_reads_as_its_user(world):
    """A real store: the agent's session sees the agent's campaigns, the administrator's all."""
    ana, admin = await world.backend.get_user("ana"), await world.backend.get_user("admin")
    session = world.backend.session(ana)
    assert session.user == ana
    assert await session.agent.list_campaigns() == await world.backend.list_campaigns(ana)
    assert ({c.id for c in await session.agent.list_campaigns()}
            < {c.id for c in await world.backend.session(admin).agent.list_campaigns()})


async def test_a_confined_backends_session_confines_its_paths(world, tmp_path):
    """Over SSH the session must go through ConfinedFiles, not around it to the store."""
    root = tmp_path / "files-of-admin"
    root.mkdir()
    confined = ConfinedFiles(world.backend, root)
    session = confined.session(await world.backend.get_user("admin"))
    with pytest.raises(InvalidInput):
        await export_to_file(session, str(tmp_path / "outside.csv"), "csv")
    assert not (tmp_path / "outside.csv").exists()
    done = await export_to_file(session, "mine.csv", "csv")
    assert Path(done.path).parent == root.resolve()
