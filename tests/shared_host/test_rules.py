"""The shared host's rules one by one: the identity rule in the app, the
authorized_keys file, the files folder, the forced command's checks, the socket."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from sagicc_tui.domain.errors import InvalidInput, NotFound, PermissionDenied
from sagicc_tui.shared_host import ssh_keys
from sagicc_tui.shared_host.files import confine
from sagicc_tui.shared_host.identity import check_requested
from sagicc_tui.shared_host.ssh_session import refuse_client_command, scrub_environment
from tests.shared_host.conftest import keypair

# --- the identity rule in the app ------------------------------------------------------------


def _app(world, tmp_path, username, **kw):
    from sagicc_tui.app import SagiccApp

    async def open_backend():
        return world.backend

    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"last_user": "admin"}))
    app = SagiccApp(open_backend=open_backend, username=username, language="en", clock=world.clock,
                    settings_path=settings, identity_from_host=True, **kw)
    app.animation_level = "none"
    return app, settings


async def _settle(pilot):
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def test_on_a_host_the_remembered_user_is_never_used_nor_written(world, tmp_path):
    from sagicc_tui.screens.tickets import TicketsScreen

    app, settings = _app(world, tmp_path, "ana")
    async with app.run_test(size=(100, 30)) as pilot:
        await _settle(pilot)
        assert isinstance(app.screen, TicketsScreen) and app.user.username == "ana"
    assert json.loads(settings.read_text())["last_user"] == "admin"  # not overwritten with ana either


@pytest.mark.parametrize("username", [None, "nadie"])
async def test_on_a_host_no_picker_is_shown_when_the_host_names_nobody_known(world, tmp_path, username):
    from sagicc_tui.screens.tickets import TicketsScreen
    from sagicc_tui.screens.user_picker import UserPickerScreen

    app, _settings = _app(world, tmp_path, username)
    async with app.run_test(size=(100, 30)) as pilot:
        await _settle(pilot)
        assert not isinstance(app.screen, UserPickerScreen | TicketsScreen)
        assert app.user is None
        assert any(n.severity == "error" for n in app._notifications)


def test_a_flag_or_variable_naming_someone_else_is_refused(monkeypatch):
    monkeypatch.delenv("SAGICC_USER", raising=False)
    check_requested("ana", None)
    check_requested("ana", "ana")
    with pytest.raises(PermissionDenied, match="On this host you are ana"):
        check_requested("ana", "admin")
    monkeypatch.setenv("SAGICC_USER", "admin")
    with pytest.raises(PermissionDenied):
        check_requested("ana", None)


# --- the forced command ------------------------------------------------------------------------


def test_the_forced_command_refuses_any_client_command_and_drops_foreign_variables(monkeypatch):
    monkeypatch.setenv("SSH_ORIGINAL_COMMAND", "sh -c id")
    with pytest.raises(PermissionDenied, match="only opens sagicc"):
        refuse_client_command()
    monkeypatch.setenv("SSH_ORIGINAL_COMMAND", "")
    refuse_client_command()
    for name in ("SAGICC_USER", "SAGICC_DB", "SAGICC_CONFIG_DIR", "TEXTUAL", "PYTHONPATH", "LD_PRELOAD"):
        monkeypatch.setenv(name, "x")
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    monkeypatch.setenv("TERM", "xterm")
    saved = dict(os.environ)
    try:
        scrub_environment()
        assert not any(n.startswith(("SAGICC_", "TEXTUAL", "PYTHON", "LD_")) for n in os.environ)
        assert os.environ["LC_ALL"] == "C.UTF-8" and os.environ["TERM"] == "xterm"
    finally:
        os.environ.update(saved)  # this process's own variables (pytest's) come back


def test_the_cli_sends_ssh_session_to_the_host_tui_and_refuses_a_command_before_anything(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAGICC_")}
    done = subprocess.run([sys.executable, "-m", "sagicc_tui", "ssh-session", "ana", "--db", str(tmp_path / "x.db")],
                          env={**env, "SSH_ORIGINAL_COMMAND": "sagicc --user admin"}, capture_output=True, text=True)
    assert done.returncode == 1
    assert "only opens sagicc" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "x.db").exists()
    done = subprocess.run([sys.executable, "-m", "sagicc_tui", "ssh-session", "ana", "--db", str(tmp_path / "x.db")],
                          env={**env, "SAGICC_ALLOW_NO_TTY": "1"}, capture_output=True, text=True)
    assert done.returncode == 1 and "There is no store at" in done.stderr  # never a demo store made for you


# --- the files folder ------------------------------------------------------------------------------


def test_paths_resolve_inside_the_agents_folder_only(tmp_path):
    root = tmp_path / "files" / "ana"
    root.mkdir(parents=True)
    (root / "in").mkdir()
    (root / "out").symlink_to(tmp_path)
    real = os.path.realpath(root)
    assert confine(root, "c.xlsx") == f"{real}/c.xlsx"
    assert confine(root, "in/c.xlsx") == f"{real}/in/c.xlsx"
    assert confine(root, f"{root}/c.csv") == f"{real}/c.csv"
    assert confine(root, ".") == real
    for bad in ("../c.csv", "/etc/passwd", "in/../../x", "out/x", str(tmp_path / "store.db")):
        with pytest.raises(InvalidInput, match="your files live in"):
            confine(root, bad)


@pytest.fixture
def confined(world, tmp_path):
    """The backend as the shared host gives it to admin: its folder holds
    recibo.txt; secreto.txt lies outside it."""
    from sagicc_tui.shared_host.files import ConfinedFiles

    root = tmp_path / "files" / "admin"
    root.mkdir(parents=True)
    (root / "recibo.txt").write_text("recibo")
    (tmp_path / "secreto.txt").write_text("la clave del servicio")
    return ConfinedFiles(world.backend, root), root


async def test_attach_save_and_export_through_a_confined_backend_stay_in_the_folder(world, confined, tmp_path):
    """#17.1: the Backend takes bytes; the file helpers resolve every typed path
    through the backend's local_path, which the shared host confines."""
    from sagicc_tui.files import attach_file, export_to_file, save_attachment_to

    b, root = confined
    admin = await world.user("admin")
    r = await world.incoming("a@x.com", "hola")
    for bad in (str(tmp_path / "secreto.txt"), "../../secreto.txt"):
        with pytest.raises(InvalidInput, match="your files live in"):
            await attach_file(b.session(admin), r.ticket_id, bad)
    added = await attach_file(b.session(admin), r.ticket_id, "recibo.txt")
    with pytest.raises(InvalidInput, match="your files live in"):
        await save_attachment_to(b.session(admin), added.id, str(tmp_path))
    assert await save_attachment_to(b.session(admin), added.id, "copia.txt") == os.path.realpath(root / "copia.txt")
    with pytest.raises(InvalidInput, match="your files live in"):
        await export_to_file(b.session(admin), "../clientes.csv", "csv")
    assert (await export_to_file(b.session(admin), "clientes.csv", "csv")).path == os.path.realpath(root / "clientes.csv")
    assert not (tmp_path / "files" / "clientes.csv").exists()


async def test_a_message_sent_through_a_confined_backend_takes_files_only_from_the_folder(world, confined, tmp_path):
    """#17.1: a message's files reach the Backend as content; the paths typed in
    the composer are read through local_path, which the shared host confines."""
    from sagicc_tui.domain.enums import ChannelType
    from sagicc_tui.domain.ticket_screen import OutgoingMessage
    from sagicc_tui.files import send_with_files

    b, root = confined
    admin = await world.user("admin")
    r = await world.incoming("a@x.com", "hola")

    def message(key: str) -> OutgoingMessage:
        return OutgoingMessage(client_key=key, channel=ChannelType.EMAIL, contact="a@x.com", text="adjunto",
                               subject="Su recibo")

    for n, bad in enumerate((str(tmp_path / "secreto.txt"), "../../secreto.txt")):
        with pytest.raises(InvalidInput, match="your files live in"):
            await send_with_files(b.session(admin), r.ticket_id, message(f"fuera-{n}"), ["recibo.txt", bad])
    assert len((await b.conversation(admin, r.ticket_id)).items) == 1  # nothing was sent
    sent = await send_with_files(b.session(admin), r.ticket_id, message("dentro"), ["recibo.txt"])
    assert [a.name for a in sent.attachments] == ["recibo.txt"]
    content = await b.session(admin).tickets.read_attachment(sent.attachments[0].id)
    assert content.data == b"recibo"


async def test_a_refused_messages_files_go_back_inside_the_agents_folder(world, confined, tmp_path):
    """#17.1: the files of a message the server refused go back where the
    composer can attach them again: on a shared host, inside the agent's folder
    (a repeated name made distinct, ";" replaced: it separates the composer's
    paths); written again over what a first attempt left."""
    from sagicc_tui.domain.models import AttachmentContent
    from sagicc_tui.files import put_back_files, read_files

    b, root = confined
    admin = await world.user("admin")
    files = [AttachmentContent(name=n, mime="application/pdf", data=d)
             for n, d in (("recibo.pdf", b"uno"), ("recibo.pdf", b"dos"), ("a;b.pdf", b"tres"), ("../x", b"4"))]
    for _attempt in range(2):
        field = await put_back_files(b.session(admin), "r-1", files)
        paths = [p.strip() for p in field.split(";")]
        assert [os.path.basename(p) for p in paths] == ["recibo.pdf", "recibo (2).pdf", "a_b.pdf", "x"]
        assert all(b.session(admin).local_path(p) == p for p in paths)  # the confinement lets them in
        assert [f.data for f in read_files(paths)] == [b"uno", b"dos", b"tres", b"4"]
    assert os.path.dirname(paths[0]).startswith(str(root) + os.sep)


# --- authorized_keys ---------------------------------------------------------------------------------


def test_ssh_keys_add_list_remove_keep_foreign_lines_and_mode(tmp_path):
    ak = tmp_path / ".ssh" / "authorized_keys"
    ana, bob = (ssh_keys.read_public_key(f"{keypair(tmp_path, n)}.pub") for n in ("ana", "bob"))
    ak.parent.mkdir()
    ak.write_text("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOperatorsOwnKeyxxxxxxxxxxxxxxxxxxxxxxxx admin@laptop\n")
    assert ssh_keys.add(ak, "ana", ana, "/srv/s.db") is True
    assert ssh_keys.add(ak, "ana", ana, "/srv/s.db") is False  # already there: nothing changes
    assert ssh_keys.add(ak, "bob", bob, "/srv/s.db") is True
    assert oct(ak.stat().st_mode & 0o777) == "0o600"
    lines = ak.read_text().splitlines()
    assert lines[0].endswith("admin@laptop") and len(lines) == 3
    assert lines[1].startswith('restrict,pty,command="') and "ssh-session ana --db /srv/s.db" in lines[1]
    assert [(e.username, e.key) for e in ssh_keys.entries(ak)] == [("ana", ana), ("bob", bob)]
    with pytest.raises(InvalidInput, match="already in"):
        ssh_keys.add(ak, "bob", ana, "/srv/s.db")  # one key opens one session
    assert ssh_keys.remove(ak, "ana") == 1
    assert [e.username for e in ssh_keys.entries(ak)] == ["bob"]
    assert ak.read_text().splitlines()[0].endswith("admin@laptop")
    with pytest.raises(NotFound):
        ssh_keys.remove(ak, "ana")


def test_ssh_keys_refuse_private_keys_and_non_keys(tmp_path):
    key = keypair(tmp_path, "ana")
    with pytest.raises(InvalidInput, match="private key"):
        ssh_keys.read_public_key(str(key))
    (tmp_path / "junk.pub").write_text("ssh-ed25519 notbase64!! x\n")
    with pytest.raises(InvalidInput, match="does not hold an SSH public key"):
        ssh_keys.read_public_key(str(tmp_path / "junk.pub"))
    with pytest.raises(InvalidInput, match="authorized_keys command"):
        ssh_keys.session_command('ana"; id; "', "/srv/s.db")


def test_ssh_keys_add_names_an_existing_user_and_makes_the_store_private(tmp_path, monkeypatch):
    from tests.shared_host.conftest import sagicc_as_root

    monkeypatch.delenv("SAGICC_USER", raising=False)
    db = tmp_path / "s.db"
    assert sagicc_as_root("demo", "--tickets", "5", "--db", str(db)).returncode == 0
    db.chmod(0o644)
    pub = f"{keypair(tmp_path, 'k')}.pub"
    ak = tmp_path / "ak"
    missing = sagicc_as_root("ssh-keys", "add", "nadie", pub, "--db", str(db), "--authorized-keys", str(ak))
    assert missing.returncode == 1 and "There is no user nadie" in missing.stderr and not ak.exists()
    as_root = sagicc_as_root("ssh-keys", "add", "admin", pub, "--db", str(db))  # root's own file: no
    assert as_root.returncode == 1 and "Run this as the service account" in as_root.stderr
    done = sagicc_as_root("ssh-keys", "add", "admin", pub, "--db", str(db), "--authorized-keys", str(ak))
    assert done.returncode == 0, done.stderr
    assert oct(db.stat().st_mode & 0o777) == "0o600" and "now 0600" in done.stderr
    assert f"ssh-session admin --db {db}" in ak.read_text()


# --- the socket -------------------------------------------------------------------------------------------


def test_the_socket_is_made_0660_and_a_stale_one_replaced_but_never_a_live_one(tmp_path):
    from sagicc_tui.server.peercred import listening_socket, peer_of_socket

    path = str(tmp_path / "s.sock")
    sock = listening_socket(path)
    assert oct(os.stat(path).st_mode & 0o777) == "0o660"
    with pytest.raises(InvalidInput, match="already listens"):
        listening_socket(path)
    client = socket.socket(socket.AF_UNIX)
    client.connect(path)
    conn, _ = sock.accept()
    peer = peer_of_socket(conn)
    assert (peer.uid, peer.pid) == (os.getuid(), os.getpid()) and peer.os_user == "root"
    for s in (conn, client, sock):
        s.close()
    again = listening_socket(path)  # left behind by a stopped server: replaced
    again.close()
    (tmp_path / "file").write_text("x")
    with pytest.raises(InvalidInput, match="not a socket"):
        listening_socket(str(tmp_path / "file"))


def test_users_os_user_binds_lists_unbinds_and_one_account_is_one_user(tmp_path):
    from tests.shared_host.conftest import sagicc_as_root

    db = str(tmp_path / "s.db")
    assert sagicc_as_root("demo", "--tickets", "5", "--db", db).returncode == 0
    added = sagicc_as_root("users", "add", "ana", "--role", "agent", "--os-user", "ana", "--db", db, "--user", "admin")
    assert added.returncode == 0, added.stderr
    taken = sagicc_as_root("users", "add", "ana2", "--role", "agent", "--os-user", "ana", "--db", db, "--user", "admin")
    assert taken.returncode == 1 and "already belongs to another sagicc user" in taken.stderr
    assert "ana2" not in sagicc_as_root("users", "--db", db).stdout  # nothing half-written
    admin = ("--db", db, "--user", "admin")
    assert sagicc_as_root("users", "os-user", "admin", "ana", *admin).returncode == 1
    # Only an administrator binds: an agent (the store's check) is refused and nothing changes.
    refused = sagicc_as_root("users", "os-user", "admin", "root", "--db", db, "--user", "ana")
    assert refused.returncode == 1 and "Only administrators may manage users" in refused.stderr, refused.stderr
    nobody = sagicc_as_root("users", "os-user", "ana", "--unbind", "--db", db, env={"SAGICC_USER": "nadie"})
    assert nobody.returncode == 1 and "nadie" in nobody.stderr
    assert sagicc_as_root("users", "os-user", "--db", db).stdout.split() == ["ana", "ana"]
    assert sagicc_as_root("users", "os-user", "admin", "root", *admin).returncode == 0
    bad = sagicc_as_root("users", "os-user", "admin", "../etc", *admin)
    assert bad.returncode == 1 and "not an OS account name" in bad.stderr
    listed = sagicc_as_root("users", "os-user", "--db", db).stdout.split()
    assert listed == ["admin", "root", "ana", "ana"]
    assert sagicc_as_root("users", "os-user", "admin", "--unbind", *admin).returncode == 0
    assert sagicc_as_root("users", "os-user", "--db", db).stdout.split() == ["ana", "ana"]


def test_the_hosts_socket_is_the_default_unless_another_place_is_asked_for(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from sagicc_tui.shared_host import socket_client

    for name in ("SAGICC_SOCKET", "SAGICC_SERVER", "SAGICC_DB"):
        monkeypatch.delenv(name, raising=False)
    default = tmp_path / "sagicc.sock"
    monkeypatch.setattr(socket_client, "DEFAULT_SOCKET", str(default))
    plain = SimpleNamespace(server=None, db=None)
    assert socket_client.socket_for(plain) is None  # no server on this host: the local store as before
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(default))
    try:
        assert socket_client.socket_for(plain) == str(default)
        assert socket_client.socket_for(SimpleNamespace(server="https://x", db=None)) is None
        assert socket_client.socket_for(SimpleNamespace(server=None, db="mine.db")) is None
        monkeypatch.setenv("SAGICC_DB", "mine.db")
        assert socket_client.socket_for(plain) is None
        monkeypatch.delenv("SAGICC_DB")
        monkeypatch.setenv("SAGICC_SOCKET", str(tmp_path / "missing.sock"))
        with pytest.raises(InvalidInput, match="There is no sagicc server socket"):
            socket_client.socket_for(plain)
    finally:
        listener.close()
