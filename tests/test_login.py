"""`sagicc login` / `logout` and sagicc_tui.remote.credentials (issue #6, item 6).

The keyring is replaced per test with keyring.set_keyring() (an in-memory
backend, the fail and null backends, or one that never answers) and restored
afterwards; the server is a real stdlib HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import keyring
import keyring.backend
import keyring.core
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null
from keyring.errors import PasswordDeleteError

from sagicc_tui import cli, i18n
from sagicc_tui.domain.errors import InvalidInput, PermissionDenied, StoreError
from sagicc_tui.remote import credentials
from sagicc_tui.remote.credentials import (
    KEYRING_SERVICE,
    delete_token,
    keyring_status,
    load_token,
    normalize_url,
    save_token,
    verify_token,
)

GOOD = "sgc_" + secrets.token_urlsafe(24)  # distinctive: easy to spot if it ever leaks
OTHER = "sgc_" + secrets.token_urlsafe(24)


# --- keyring backends for the tests ---------------------------------------------------------


class MemoryKeyring(KeyringBackend):
    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.entries.get((service, username))

    def set_password(self, service, username, password):
        self.entries[(service, username)] = password

    def delete_password(self, service, username):
        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError("not found")


class HungKeyring(KeyringBackend):
    """A keyring whose D-Bus never answers (until the test ends)."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def get_password(self, service, username):
        self.release.wait()

    def set_password(self, service, username, password):
        self.release.wait()

    def delete_password(self, service, username):
        self.release.wait()


# Defining a backend registers it with keyring's auto-detection: keep these
# two out of it so no other test can ever be handed one.
for _cls in (MemoryKeyring, HungKeyring):
    KeyringBackend._classes.discard(_cls)


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch) -> Iterator[None]:
    before = keyring.core._keyring_backend
    language = i18n.get_language()
    i18n.set_language("en")
    monkeypatch.setenv("SAGICC_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("SAGICC_TOKEN", raising=False)
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(proxy, raising=False)
    yield
    keyring.core._keyring_backend = before
    i18n.set_language(language)


@pytest.fixture
def memory() -> MemoryKeyring:
    kr = MemoryKeyring()
    keyring.set_keyring(kr)
    return kr


@pytest.fixture
def no_keyring() -> None:
    keyring.set_keyring(fail.Keyring())


@pytest.fixture
def hung() -> Iterator[HungKeyring]:
    kr = HungKeyring()
    keyring.set_keyring(kr)
    yield kr
    kr.release.set()  # let the abandoned threads finish


# --- a tiny sagicc server -------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        auth = self.headers.get("Authorization")
        self.server.seen.append(auth)
        if self.path == "/api/v1/me" and auth == f"Bearer {GOOD}":
            status, body = 200, {"id": 2, "username": "ana", "full_name": "Ana Ruiz", "role": "agent"}
        else:
            status, body = 401, {"detail": "Invalid or revoked token."}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, list]]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.seen = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", httpd.seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _settings_text(tmp_path: Path) -> str:
    path = tmp_path / "config" / "settings.json"
    return path.read_text(encoding="utf-8") if path.exists() else ""


# --- server address ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://Sagicc.Example.com/", "https://sagicc.example.com"),
        ("  https://sagicc.example.com:443  ", "https://sagicc.example.com"),
        ("HTTP://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://localhost:80/", "http://localhost"),
        ("https://[::1]:8443", "https://[::1]:8443"),
    ],
)
def test_urls_are_normalised(given, expected):
    assert normalize_url(given) == expected


@pytest.mark.parametrize("bad", ["sagicc.example.com", "ftp://x.com", "https://", "https://x.com:99999",
                                 "https://x.com/api/v1", "https://x.com/?a=1"])
def test_bad_urls_are_refused(bad):
    with pytest.raises(InvalidInput):
        normalize_url(bad)


def test_url_with_a_password_is_refused_without_echoing_it():
    with pytest.raises(InvalidInput) as e:
        normalize_url("https://ana:hunter2@sagicc.example.com")
    assert "hunter2" not in str(e.value) and "https://sagicc.example.com" in str(e.value)


# --- keyring status -------------------------------------------------------------------------------------


def test_memory_keyring_is_usable(memory):
    usable, name = keyring_status()
    assert usable and name.endswith("MemoryKeyring")


@pytest.mark.parametrize(("backend", "needle"), [(fail.Keyring, "no keyring backend"), (null.Keyring, "null")])
def test_fail_and_null_backends_are_not_usable(backend, needle, tmp_path):
    keyring.set_keyring(backend())
    usable, reason = keyring_status()
    assert not usable and needle in reason
    with pytest.raises(StoreError) as e:
        save_token("https://sagicc.example.com", "ana", GOOD)
    message = str(e.value)
    assert "SAGICC_TOKEN" in message and "--token-file" in message and GOOD not in message
    assert not any(tmp_path.rglob("*")), "nothing may be written without a keyring or a token file"


def test_empty_chainer_is_not_usable(monkeypatch):
    monkeypatch.setattr(keyring.backend, "get_all_keyring", list)
    keyring.set_keyring(chainer.ChainerBackend())
    usable, reason = keyring_status()
    assert not usable and "chainer" in reason


def test_hung_keyring_times_out_instead_of_hanging(hung, tmp_path):
    started = time.monotonic()
    usable, reason = keyring_status(timeout=0.3)
    assert not usable and "did not answer within 0.3 s" in reason
    with pytest.raises(StoreError, match="did not answer"):
        load_token("https://sagicc.example.com", timeout=0.3)
    with pytest.raises(StoreError, match="did not answer"):
        save_token("https://sagicc.example.com", "ana", GOOD, timeout=0.3)
    assert time.monotonic() - started < 5
    # A token file the user opted in to still works while the keyring hangs.
    path = tmp_path / "tokens.json"
    assert save_token("https://sagicc.example.com", "ana", GOOD, token_file=path, timeout=0.3) == path
    assert load_token("https://sagicc.example.com", token_file=path, timeout=0.3) == ("ana", GOOD)


def test_a_keyring_that_raises_is_not_usable():
    class Broken(MemoryKeyring):
        def get_password(self, service, username):
            raise RuntimeError("org.freedesktop.DBus.Error.ServiceUnknown")

    KeyringBackend._classes.discard(Broken)
    keyring.set_keyring(Broken())
    usable, reason = keyring_status()
    assert not usable and "ServiceUnknown" in reason


# --- save, load, delete -------------------------------------------------------------------------------


def test_keyring_round_trip_per_server(memory):
    assert save_token("http://127.0.0.1:8000/", "ana", GOOD) is None
    assert set(memory.entries) == {(KEYRING_SERVICE, "http://127.0.0.1:8000")}
    assert load_token("HTTP://127.0.0.1:8000") == ("ana", GOOD)
    assert load_token("http://127.0.0.1:9000") is None  # another server, another token
    assert delete_token("http://127.0.0.1:8000") is True
    assert load_token("http://127.0.0.1:8000") is None
    assert delete_token("http://127.0.0.1:8000") is False


def test_a_bare_token_set_by_hand_in_the_keyring_is_read(memory):
    memory.set_password(KEYRING_SERVICE, "https://sagicc.example.com", GOOD)
    assert load_token("https://sagicc.example.com") == (None, GOOD)


def test_sagicc_token_wins(memory, monkeypatch, tmp_path):
    save_token("https://sagicc.example.com", "ana", GOOD)
    monkeypatch.setenv("SAGICC_TOKEN", f" {OTHER}\n")
    assert load_token("https://sagicc.example.com") == (None, OTHER)
    monkeypatch.setenv("SAGICC_TOKEN", "two words")
    with pytest.raises(InvalidInput, match="SAGICC_TOKEN") as e:
        load_token("https://sagicc.example.com")
    assert "two words" not in str(e.value)


def test_token_file_is_created_0600_and_refused_when_readable_by_others(no_keyring, tmp_path):
    path = tmp_path / "secrets" / "tokens.json"
    old_umask = os.umask(0)  # the mode must not depend on the umask
    try:
        assert save_token("https://a.example.com", "ana", GOOD, token_file=path) == path
        save_token("https://b.example.com", "bruno", OTHER, token_file=path)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == {
        "https://a.example.com": {"username": "ana", "token": GOOD},
        "https://b.example.com": {"username": "bruno", "token": OTHER},
    }
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    assert load_token("https://a.example.com", token_file=path) == ("ana", GOOD)
    assert load_token("https://c.example.com", token_file=path) is None
    for loose in (0o644, 0o640, 0o604):
        path.chmod(loose)
        with pytest.raises(StoreError) as e:
            load_token("https://a.example.com", token_file=path)
        message = str(e.value)
        assert f"{loose:04o}" in message and "chmod 600" in message and GOOD not in message
        with pytest.raises(StoreError):
            save_token("https://a.example.com", "ana", GOOD, token_file=path)
    path.chmod(0o600)
    assert delete_token("https://a.example.com", token_file=path) is True
    assert load_token("https://b.example.com", token_file=path) == ("bruno", OTHER)
    assert delete_token("https://b.example.com", token_file=path) is True
    assert not path.exists()  # the last entry gone: the file too


def test_damaged_token_file_is_a_sentence(no_keyring, tmp_path):
    path = tmp_path / "tokens.json"
    path.write_text("{not json")
    path.chmod(0o600)
    with pytest.raises(StoreError, match="damaged"):
        load_token("https://a.example.com", token_file=path)


def test_keyring_wins_over_a_token_file_when_it_works(memory, tmp_path):
    path = tmp_path / "tokens.json"
    assert save_token("https://a.example.com", "ana", GOOD, token_file=path) is None
    assert not path.exists()


# --- verify_token against a real HTTP server -----------------------------------------------------------


def test_verify_token(server):
    url, seen = server
    assert verify_token(url + "/", GOOD) == "ana"
    assert seen == [f"Bearer {GOOD}"]
    with pytest.raises(PermissionDenied, match="token was refused") as e:
        verify_token(url, OTHER)
    assert OTHER not in str(e.value)


def test_verify_token_names_an_unreachable_url():
    url = f"http://127.0.0.1:{_closed_port()}"
    with pytest.raises(StoreError) as e:
        verify_token(url, GOOD, timeout=2)
    assert url in str(e.value) and GOOD not in str(e.value)


def test_verify_token_refuses_header_breaking_tokens(server):
    url, seen = server
    with pytest.raises(InvalidInput) as e:
        verify_token(url, "abc\r\nX-Evil: 1")
    assert "X-Evil" not in str(e.value) and seen == []


# --- the verbs ----------------------------------------------------------------------------------------------


def test_login_end_to_end_with_the_keyring(memory, server, monkeypatch, capsys, tmp_path):
    url, _ = server
    monkeypatch.setattr(sys, "stdin", io.StringIO(GOOD + "\n"))
    assert cli.main(["login", url]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == f"Signed in to {url} as ana; the token is kept in the system keyring."
    assert GOOD not in out + err
    settings = _settings_text(tmp_path)
    assert GOOD not in settings and json.loads(settings)["server_url"] == url
    assert load_token(url) == ("ana", GOOD)
    assert GOOD not in "".join(str(p.read_bytes()) for p in tmp_path.rglob("*") if p.is_file())

    assert cli.main(["logout", url + "/"]) == 0
    assert "Signed out of" in capsys.readouterr().out and load_token(url) is None
    assert "server_url" not in _settings_text(tmp_path)


def test_login_asks_with_getpass_on_a_terminal(memory, server, monkeypatch, capsys):
    url, _ = server

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    prompts = []
    monkeypatch.setattr(sys, "stdin", Tty(""))
    monkeypatch.setattr("getpass.getpass", lambda prompt: prompts.append(prompt) or GOOD)
    assert cli.main(["login", url]) == 0
    assert prompts == [f"Token for {url}: "]
    assert GOOD not in "".join(capsys.readouterr())


def test_login_with_a_refused_token_says_so_and_keeps_nothing(memory, server, monkeypatch, capsys, tmp_path):
    url, _ = server
    monkeypatch.setattr(sys, "stdin", io.StringIO(OTHER + "\n"))
    assert cli.main(["login", url]) == cli.EXIT_ERROR
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("sagicc: The token was refused by") and err.count("\n") == 1
    assert OTHER not in out + err and "Traceback" not in err
    assert memory.entries == {} and _settings_text(tmp_path) == ""


def test_login_without_keyring_or_token_file_refuses_before_asking(no_keyring, server, monkeypatch, capsys):
    url, seen = server
    stdin = io.StringIO(GOOD + "\n")
    monkeypatch.setattr(sys, "stdin", stdin)
    assert cli.main(["login", url]) == cli.EXIT_ERROR
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("sagicc: No system keyring works here") and err.count("\n") == 1
    assert "SAGICC_TOKEN" in err and "--token-file" in err
    assert stdin.read() == GOOD + "\n" and seen == []  # the token was not even read


def test_login_with_a_token_file(no_keyring, server, monkeypatch, capsys, tmp_path):
    url, _ = server
    path = tmp_path / "tokens.json"
    monkeypatch.setattr(sys, "stdin", io.StringIO(GOOD + "\n"))
    assert cli.main(["login", url, "--token-file", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == f"Signed in to {url} as ana; the token is kept in {path}, readable only by you."
    assert GOOD not in out + err
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    settings = json.loads(_settings_text(tmp_path))
    assert settings["token_file"] == str(path) and GOOD not in json.dumps(settings)
    assert load_token(url) == ("ana", GOOD)  # the remembered file is found without --token-file

    assert cli.main(["logout", url]) == 0
    assert "Signed out of" in capsys.readouterr().out
    assert not path.exists() and load_token(url) is None
    assert "token_file" not in json.loads(_settings_text(tmp_path))


def test_login_errors_are_one_sentence(memory, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n"))
    assert cli.main(["login", "https://sagicc.example.com"]) == cli.EXIT_ERROR
    assert capsys.readouterr().err.startswith("sagicc: No token was given")
    assert cli.main(["login", "sagicc.example.com"]) == cli.EXIT_ERROR
    assert "is not a server address" in capsys.readouterr().err
    url = f"http://127.0.0.1:{_closed_port()}"
    monkeypatch.setattr(sys, "stdin", io.StringIO(GOOD + "\n"))
    assert cli.main(["login", url]) == cli.EXIT_ERROR
    err = capsys.readouterr().err
    assert err.startswith(f"sagicc: Cannot reach the server at {url}") and GOOD not in err


def test_login_speaks_spanish(memory, server, monkeypatch, capsys):
    url, _ = server
    monkeypatch.setattr(sys, "stdin", io.StringIO(OTHER + "\n"))
    assert cli.main(["--lang", "es", "login", url]) == cli.EXIT_ERROR
    assert "rechazó el token" in capsys.readouterr().err


def test_logout_warns_that_sagicc_token_still_applies(memory, monkeypatch, capsys):
    monkeypatch.setenv("SAGICC_TOKEN", GOOD)
    assert cli.main(["logout", "https://sagicc.example.com"]) == 0
    out, err = capsys.readouterr()
    assert "no saved token" in out and "SAGICC_TOKEN is still set" in err and GOOD not in out + err


def test_login_imports_no_textual_and_no_orm(server, tmp_path):
    url, _ = server
    probe = (
        "import sys\nfrom sagicc_tui.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "print('TEXTUAL' if 'textual' in sys.modules else 'NO-TEXTUAL', file=sys.stderr)\n"
        "print('ORM' if 'sqlalchemy' in sys.modules else 'NO-ORM', file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    env = {**os.environ, "SAGICC_CONFIG_DIR": str(tmp_path / "config"), "SAGICC_LANG": "en",
           "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    env.pop("SAGICC_TOKEN", None)
    proc = subprocess.run([sys.executable, "-c", probe, "login", url, "--token-file", str(tmp_path / "t.json")],
                          input=GOOD + "\n", capture_output=True, text=True, env=env, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "NO-TEXTUAL" in proc.stderr and "NO-ORM" in proc.stderr
    assert GOOD not in proc.stdout + proc.stderr
    assert credentials.load_token(url, token_file=tmp_path / "t.json") == ("ana", GOOD)
