"""The client's server token: where it is kept, how it is read back, and the
check that the server accepts it (issue #6, item 6: `sagicc login`).

Where a token comes from, first match wins (:func:`load_token`):

1. ``SAGICC_TOKEN`` in the environment (scripts, containers, CI);
2. the system keyring (macOS Keychain, Windows Credential Locker, Secret
   Service / KWallet), one entry per server URL;
3. a token file, only if the user opted in with ``sagicc login URL
   --token-file PATH`` because no keyring works on that machine. The file is
   JSON ``{url: {"username": ..., "token": ...}}``, created with mode 0600,
   and is refused when its mode lets the group or others read it.

There is never a silent plaintext fallback: without a working keyring and
without ``--token-file``, :func:`save_token` raises a sentence that offers
both ways out.

Every keyring call runs in a daemon thread with a timeout, so a hung D-Bus
(a locked or dead Secret Service) makes the keyring "not usable" instead of
hanging the program.

The token itself is never logged, printed, put in an error message, written
to the store or to settings.json; settings.json only remembers the server URL
and the token file's path.

Imports: standard library and the domain at module level; ``keyring`` inside
the keyring helpers and ``httpx`` only inside :func:`verify_token`. No
Textual, no ORM.
"""

from __future__ import annotations

import json
import os
import re
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from sagicc_tui.domain.errors import InvalidInput, PermissionDenied, StoreError
from sagicc_tui.domain.messages import N_

__all__ = [
    "KEYRING_SERVICE",
    "KEYRING_TIMEOUT",
    "TOKEN_ENV",
    "delete_token",
    "forget_login",
    "keyring_status",
    "load_token",
    "no_keyring_error",
    "normalize_url",
    "remember_login",
    "save_token",
    "verify_token",
]

TOKEN_ENV = "SAGICC_TOKEN"
KEYRING_SERVICE = "sagicc-tui"  # keyring entry: (service, normalised URL) -> JSON {"username", "token"}
KEYRING_TIMEOUT = 3.0  # seconds any one keyring call may take
_PROBE_ACCOUNT = "sagicc-tui probe"  # looked up (never written) to prove the keyring answers
_TOKEN_RE = re.compile(r"[!-~]{1,4096}")  # printable ASCII, no spaces: safe in an HTTP header
_MAX_TOKEN_FILE = 1_000_000
_DEFAULT_PORTS = {"http": 80, "https": 443}

T = TypeVar("T")


# --- server address ---------------------------------------------------------------------------


def normalize_url(url: str) -> str:
    """``scheme://host[:port]``: lower case, no default port, no trailing slash.

    The key under which a server's token is kept. A path, query, fragment or
    user:password in the address is refused rather than dropped silently.
    """
    raw = (url or "").strip()
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise InvalidInput(N_("{url} is not a server address; write it like https://sagicc.example.com."),
                           url=_shown(raw)) from None
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if scheme not in _DEFAULT_PORTS or not host:
        raise InvalidInput(N_("{url} is not a server address; write it like https://sagicc.example.com."),
                           url=_shown(raw))
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    base = f"{scheme}://{host}" + (f":{port}" if port is not None and port != _DEFAULT_PORTS[scheme] else "")
    if parts.username is not None or parts.password is not None:
        # Never echo what came before the "@": it may be a password.
        raise InvalidInput(N_("Write the server address without a user name or password, like {base}."), base=base)
    if parts.path.strip("/") or parts.query or parts.fragment:
        raise InvalidInput(N_("Write the server address without a path, like {base}."), base=base)
    return base


def _shown(text: str) -> str:
    from sagicc_tui.sanitize import one_line

    return one_line(text, 200)


def _check_token(token: str, *, source: str | None = None) -> str:
    token = (token or "").strip()
    if not token:
        raise InvalidInput(N_("The token is empty; paste the token an administrator gave you."))
    if not _TOKEN_RE.fullmatch(token):
        # Never quote the token: it is a secret even when malformed.
        if source:
            raise InvalidInput(N_("{source} holds characters a sagicc token never has; set it to the token exactly "
                                  "as it was given to you."), source=source)
        raise InvalidInput(N_("The token has characters a sagicc token never has; paste it exactly as it was given "
                              "to you."))
    return token


# --- keyring ------------------------------------------------------------------------------------


class _Timeout(Exception):
    pass


def _in_thread(fn: Callable[[], T], timeout: float) -> T:
    """Run ``fn`` in a daemon thread; raise _Timeout after ``timeout`` seconds
    (the thread is abandoned: being a daemon, it never keeps the process alive)."""
    box: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as e:  # noqa: BLE001 - handed to the caller's thread
            box["error"] = e
        finally:
            done.set()

    threading.Thread(target=run, name="sagicc-keyring", daemon=True).start()
    if not done.wait(max(timeout, 0.0)):
        raise _Timeout
    if "error" in box:
        raise box["error"]
    return box["value"]


@dataclass(frozen=True, slots=True)
class _Status:
    usable: bool
    reason: str  # usable: the backend's name; else why not, as a translated clause
    broken: bool = False  # a keyring is there but hung or failed (as opposed to: there is none)


def _seconds(timeout: float) -> str:
    return f"{timeout:g}"


def _unusable_reason(kr: Any) -> str | None:
    """Why this backend cannot keep a secret, or None when it can."""
    from keyring.backends import chainer, fail, null

    from sagicc_tui.i18n import _

    if isinstance(kr, fail.Keyring):
        return _("no keyring backend is installed or running")
    if isinstance(kr, null.Keyring):
        return _("the keyring is disabled (null backend)")
    # The chainer reports priority <= 0 when it has nothing (or only one
    # backend) to chain; nothing to chain is what makes it useless.
    if isinstance(kr, chainer.ChainerBackend) and not kr.backends:
        return _("the keyring chainer has no backend to use")
    return None


def _backend_name(kr: Any) -> str:
    cls = type(kr)
    return f"{cls.__module__}.{cls.__name__}"


def _usable_keyring() -> Any:
    """The current backend (in the keyring thread), or raise _Unusable."""
    import keyring

    kr = keyring.get_keyring()
    reason = _unusable_reason(kr)
    if reason is not None:
        raise _Unusable(reason)
    return kr


class _Unusable(Exception):
    pass


def _error_clause(e: BaseException) -> str:
    from sagicc_tui.sanitize import one_line

    return one_line(str(e).strip() or type(e).__name__, 200)


def _keyring_check(timeout: float) -> _Status:
    from sagicc_tui.i18n import _

    def probe() -> str:
        kr = _usable_keyring()
        kr.get_password(KEYRING_SERVICE, _PROBE_ACCOUNT)  # proves it answers (a hung D-Bus does not)
        return _backend_name(kr)

    try:
        return _Status(True, _in_thread(probe, timeout))
    except _Unusable as e:
        return _Status(False, str(e))
    except _Timeout:
        return _Status(False, _("the system keyring did not answer within {seconds} s", seconds=_seconds(timeout)),
                       broken=True)
    except Exception as e:  # noqa: BLE001 - keyring backends raise anything (D-Bus, locked, OS errors)
        return _Status(False, _("the system keyring failed: {reason}", reason=_error_clause(e)), broken=True)


def keyring_status(timeout: float = KEYRING_TIMEOUT) -> tuple[bool, str]:
    """Whether a keyring that can keep the token works here.

    ``(True, backend name)`` or ``(False, why not)``. The fail and null
    backends and an empty chainer are not usable; neither is a backend that
    does not answer a lookup within ``timeout`` seconds or raises.
    """
    status = _keyring_check(timeout)
    return status.usable, status.reason


def no_keyring_error(reason: str) -> StoreError:
    """The sentence for "nowhere safe to keep the token"."""
    return StoreError(N_("No system keyring works here ({reason}), so the token cannot be kept safely; set "
                         "SAGICC_TOKEN in the environment instead, or sign in again with --token-file PATH to keep "
                         "it in a file only you can read."), reason=reason)


def _keyring_value(username: str | None, token: str) -> str:
    return json.dumps({"username": username, "token": token})


def _parse_keyring_value(raw: str) -> tuple[str | None, str] | None:
    """Our JSON entry; a bare token (set by hand with `keyring set`) also works."""
    raw = raw.strip()
    if not raw:
        return None
    if raw.startswith("{"):
        try:
            data = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        return _entry(data)
    return None, raw


def _entry(data: Any) -> tuple[str | None, str] | None:
    if not isinstance(data, dict):
        return None
    token, username = data.get("token"), data.get("username")
    if not isinstance(token, str) or not token.strip():
        return None
    return (username if isinstance(username, str) and username else None), token.strip()


# --- token file -----------------------------------------------------------------------------------


def _token_file_error(template: str, path: Path, **params: Any) -> StoreError:
    return StoreError(template, path=str(path), **params)


def _read_token_file(path: Path, *, check_mode: bool = True) -> dict[str, Any]:
    """The file's entries; {} when it does not exist.

    Refuses a file whose mode gives the group or others any access (POSIX):
    checked on the open descriptor, so the file checked is the file read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)  # a FIFO must not block us
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise _token_file_error(N_("The token file {path} cannot be read ({reason})."), path,
                                reason=e.strerror or str(e)) from None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise _token_file_error(N_("The token file {path} is not a regular file; give the path of a file."), path)
        if check_mode and os.name == "posix" and st.st_mode & 0o077:
            raise _token_file_error(
                N_("The token file {path} can be read by other users (mode {mode}), so it was not used; run "
                   "chmod 600 {path}, and ask for a new token if someone else could have read it."),
                path, mode=f"{stat.S_IMODE(st.st_mode):04o}")
        raw = f.read(_MAX_TOKEN_FILE + 1)
    try:
        if len(raw) > _MAX_TOKEN_FILE:
            raise ValueError("too large")
        data = json.loads(raw.decode("utf-8")) if raw.strip() else {}
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        raise _token_file_error(N_("The token file {path} is damaged; delete it and sign in again."), path)
    return data


def _write_token_file(path: Path, data: dict[str, Any]) -> None:
    """Replace the file atomically with a new one created with mode 0600."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.unlink()
    except FileNotFoundError:
        pass
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(tmp, flags, 0o600)  # O_EXCL: a new file, never someone else's
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)  # exact, whatever the umask
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            fd = -1  # the file object owns it now
            json.dump(data, f, ensure_ascii=False, indent=2)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass
        raise


def _token_file_path(token_file: str | os.PathLike[str] | None) -> Path | None:
    """The given path, else the one remembered in settings.json, else None."""
    if token_file is None:
        from sagicc_tui.settings import load_settings

        token_file = load_settings().token_file
    if not token_file:
        return None
    return Path(os.path.abspath(Path(token_file).expanduser()))


# --- save, load, delete -------------------------------------------------------------------------------


def save_token(url: str, username: str | None, token: str, *,
               token_file: str | os.PathLike[str] | None = None, timeout: float = KEYRING_TIMEOUT) -> Path | None:
    """Keep ``token`` for the server at ``url``.

    In the system keyring when one works (returns None); otherwise in
    ``token_file`` if the user opted in to one (returns its absolute path);
    otherwise raises :func:`no_keyring_error`. Never a silent plaintext file.
    """
    url = normalize_url(url)
    token = _check_token(token)
    status = _keyring_check(timeout)
    problem = status.reason
    if status.usable:
        value = _keyring_value(username, token)
        try:
            _in_thread(lambda: _usable_keyring().set_password(KEYRING_SERVICE, url, value), timeout)
            return None
        except _Timeout:
            if token_file is None:
                raise StoreError(N_("The system keyring did not answer within {seconds} s, so the token was not "
                                    "saved; unlock the keyring and sign in again."), seconds=_seconds(timeout)) from None
        except Exception as e:  # noqa: BLE001
            if token_file is None:
                raise StoreError(N_("The system keyring refused to save the token ({reason}); unlock the keyring and "
                                    "sign in again, or use --token-file PATH."), reason=_error_clause(e)) from None
        problem = _keyring_save_failed()
    if token_file is None:
        raise no_keyring_error(problem)
    path = Path(os.path.abspath(Path(token_file).expanduser()))
    entries = _read_token_file(path)
    entries[url] = {"username": username, "token": token}
    try:
        _write_token_file(path, entries)
    except OSError as e:
        raise _token_file_error(N_("The token file {path} cannot be written ({reason})."), path,
                                reason=e.strerror or str(e)) from None
    return path


def _keyring_save_failed() -> str:
    from sagicc_tui.i18n import _

    return _("the system keyring could not save it")


def load_token(url: str, *, token_file: str | os.PathLike[str] | None = None,
               timeout: float = KEYRING_TIMEOUT) -> tuple[str | None, str] | None:
    """``(username or None, token)`` for the server at ``url``, or None when
    there is none (the user has to `sagicc login`).

    ``SAGICC_TOKEN`` first (username None), then the keyring, then the token
    file (``token_file``, else the one remembered in settings.json). Raises
    when the token file is readable by others or damaged, and when the
    keyring hung or failed and no other source had a token.
    """
    url = normalize_url(url)
    env = os.environ.get(TOKEN_ENV, "")
    if env.strip():
        return None, _check_token(env, source=TOKEN_ENV)
    problem: StoreError | None = None
    status = _keyring_check(timeout)
    if status.usable:
        try:
            raw = _in_thread(lambda: _usable_keyring().get_password(KEYRING_SERVICE, url), timeout)
        except _Timeout:
            problem = StoreError(N_("The system keyring did not answer within {seconds} s; unlock it and try again, "
                                    "or set SAGICC_TOKEN."), seconds=_seconds(timeout))
        except Exception as e:  # noqa: BLE001
            problem = StoreError(N_("The system keyring could not be read ({reason}); unlock it and try again, or set "
                                    "SAGICC_TOKEN."), reason=_error_clause(e))
        else:
            found = _parse_keyring_value(raw) if raw else None
            if found is not None:
                return found
    elif status.broken:
        problem = StoreError(N_("The system keyring could not be read ({reason}); unlock it and try again, or set "
                                "SAGICC_TOKEN."), reason=status.reason)
    path = _token_file_path(token_file)
    if path is not None:
        found = _entry(_read_token_file(path).get(url))
        if found is not None:
            return found
    if problem is not None:
        raise problem
    return None


def delete_token(url: str, *, token_file: str | os.PathLike[str] | None = None,
                 timeout: float = KEYRING_TIMEOUT) -> bool:
    """Forget the token for ``url`` (the keyring entry and the token file's
    entry; a token file left empty is deleted). True if one was removed.

    Only this computer forgets it: the token stays valid on the server until
    an administrator revokes it. ``SAGICC_TOKEN`` is not touched.
    """
    url = normalize_url(url)
    removed = False
    path = _token_file_path(token_file)
    if path is not None:
        entries = _read_token_file(path, check_mode=False)  # removing is always allowed
        if url in entries:
            del entries[url]
            try:
                if entries:
                    _write_token_file(path, entries)
                else:
                    path.unlink()
            except OSError as e:
                raise _token_file_error(N_("The token file {path} cannot be written ({reason})."), path,
                                        reason=e.strerror or str(e)) from None
            removed = True
    status = _keyring_check(timeout)
    if status.usable:
        def forget() -> bool:
            from keyring.errors import PasswordDeleteError

            kr = _usable_keyring()
            if kr.get_password(KEYRING_SERVICE, url) is None:
                return False
            try:
                kr.delete_password(KEYRING_SERVICE, url)
            except PasswordDeleteError:
                return False
            return True

        try:
            removed = _in_thread(forget, timeout) or removed
        except _Timeout:
            raise StoreError(N_("The system keyring did not answer within {seconds} s, so the token may still be "
                                "there; unlock the keyring and sign out again."), seconds=_seconds(timeout)) from None
        except Exception as e:  # noqa: BLE001
            raise StoreError(N_("The system keyring could not remove the token ({reason}); unlock the keyring and "
                                "sign out again."), reason=_error_clause(e)) from None
    elif status.broken and not removed:
        raise StoreError(N_("The system keyring could not be read ({reason}); unlock it and try again, or set "
                            "SAGICC_TOKEN."), reason=status.reason)
    return removed


# --- settings: the server and the token file's path, never the token -------------------------------


def remember_login(url: str, *, token_file: str | os.PathLike[str] | None = None) -> None:
    """Remember ``url`` as the server, and ``token_file`` (a path) when the
    token was kept there. Raises OSError when settings.json cannot be written."""
    from sagicc_tui.settings import load_settings, save_settings

    settings = load_settings()
    changes: dict[str, Any] = {"server_url": normalize_url(url), "problem": None}
    if token_file is not None:
        changes["token_file"] = str(token_file)
    save_settings(settings.with_(**changes))


def forget_login(url: str) -> None:
    """After a logout: stop remembering ``url`` as the server, and the token
    file's path once that file is gone."""
    from sagicc_tui.settings import load_settings, save_settings

    settings = load_settings()
    changes: dict[str, Any] = {}
    if settings.server_url == normalize_url(url):
        changes["server_url"] = None
    if settings.token_file and not Path(settings.token_file).exists():
        changes["token_file"] = None
    if changes:
        save_settings(settings.with_(**changes))


# --- the server's word ---------------------------------------------------------------------------------


def verify_token(url: str, token: str, *, timeout: float = 10.0) -> str:
    """Ask the server who ``token`` belongs to: ``GET {url}/api/v1/me``.

    Returns the username. Raises PermissionDenied when the server refuses the
    token, StoreError when it cannot be reached, InvalidInput when what
    answers is not a sagicc server.
    """
    import httpx

    from sagicc_tui import __version__

    url = normalize_url(url)
    token = _check_token(token)
    limits = httpx.Timeout(connect=min(5.0, timeout), read=timeout, write=timeout, pool=min(5.0, timeout))
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json",
               "User-Agent": f"sagicc-tui/{__version__}"}
    try:
        with httpx.Client(timeout=limits, follow_redirects=False) as client:
            response = client.get(f"{url}/api/v1/me", headers=headers)
    except httpx.TimeoutException:
        raise StoreError(N_("The server at {url} did not answer within {seconds} s; check the address and try again."),
                         url=url, seconds=_seconds(timeout)) from None
    except (httpx.HTTPError, OSError) as e:
        # The exception text names hosts and errno, never request headers.
        raise StoreError(N_("Cannot reach the server at {url} ({reason}); check the address and that the server is "
                            "running."), url=url, reason=_error_clause(e)) from None
    status = response.status_code
    if status in (401, 403):
        raise PermissionDenied(N_("The token was refused by {url}; check that you pasted it whole, or ask an "
                                  "administrator for a new one."), url=url)
    if status in (301, 302, 303, 307, 308):
        where = _shown(response.headers.get("location", ""))
        raise InvalidInput(N_("The server at {url} redirects to {location}; sign in with that address instead."),
                           url=url, location=where)
    if status == 404:
        raise InvalidInput(N_("There is no sagicc server at {url} (/api/v1/me was not found); check the address."),
                           url=url)
    if status != 200:
        raise StoreError(N_("The server at {url} answered with an error ({status}); try again later."),
                         url=url, status=status)
    try:
        user = response.json()
    except ValueError:
        user = None
    username = user.get("username") if isinstance(user, dict) else None
    if not isinstance(username, str) or not username.strip():
        raise InvalidInput(N_("The server at {url} did not answer like a sagicc server; check the address."), url=url)
    return username.strip()
