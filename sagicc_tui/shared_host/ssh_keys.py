"""`sagicc ssh-keys add|list|remove`: the service account's authorized_keys.

Each agent's public key gets one line that binds it to their sagicc user:

    restrict,pty,command="/opt/sagicc/bin/python -I -m sagicc_tui ssh-session ana --db /srv/sagicc/sagicc.db" ssh-ed25519 AAAA… sagicc-user=ana

`restrict` turns off port, agent and X11 forwarding and ~/.ssh/rc; `pty`
gives the TUI its terminal back; `command` is the only thing sshd runs for
that key, whatever the client asks (the client's command is refused by
`ssh-session`). `python -I` ignores PYTHON* variables a misconfigured
AcceptEnv could let through. Lines we did not write are kept as they are.
The file is rewritten atomically (0600), under a lock, so two edits never
lose one another.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import hashlib
import os
import shlex
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

from sagicc_tui.domain.errors import InvalidInput, NotFound
from sagicc_tui.domain.messages import N_

MARK = "sagicc-user="
OPTIONS = "restrict,pty"
KEY_TYPES = ("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
             "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com")


@dataclass(frozen=True, slots=True)
class PublicKey:
    kind: str
    blob: str  # base64, as written

    @property
    def fingerprint(self) -> str:
        digest = hashlib.sha256(base64.b64decode(self.blob)).digest()
        return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


@dataclass(frozen=True, slots=True)
class Entry:
    username: str
    key: PublicKey
    command: str


def default_file() -> Path:
    return Path.home() / ".ssh" / "authorized_keys"


def read_public_key(path: str) -> PublicKey:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace").strip()
    except OSError as e:
        raise InvalidInput(N_("Cannot read the key file {path} ({reason})."), path=path,
                           reason=e.strerror or str(e)) from None
    if "PRIVATE KEY" in text:
        raise InvalidInput(N_("{path} is a private key; give the public one (the .pub file) and keep the "
                              "private key with its owner."), path=path)
    key = parse_key(text.splitlines()[0] if text else "")
    if key is None:
        raise InvalidInput(N_("{path} does not hold an SSH public key (a line like `ssh-ed25519 AAAA… name`)."),
                           path=path)
    return key


def parse_key(line: str) -> PublicKey | None:
    """The key in a public-key line (options before it are skipped)."""
    words = line.split()
    for i, word in enumerate(words[:-1]):
        if word in KEY_TYPES:
            blob = words[i + 1]
            try:
                raw = base64.b64decode(blob, validate=True)
                (n,) = struct.unpack(">I", raw[:4])
            except (binascii.Error, ValueError, struct.error):
                return None
            if raw[4:4 + n].decode("ascii", "replace") != word:
                return None
            return PublicKey(word, blob)
    return None


def session_command(username: str, db: str) -> str:
    """What sshd runs for the key: this very program, the ssh-session verb, the store."""
    for text in (username, db, sys.executable):
        if '"' in text or "\\" in text or "\n" in text:
            raise InvalidInput(N_("{text} cannot go into an authorized_keys command (it has a quote, a "
                                  "backslash or a line break)."), text=text)
    args = [sys.executable, "-I", "-m", "sagicc_tui", "ssh-session", username, "--db", db]
    return " ".join(shlex.quote(a) for a in args)


def entry_line(username: str, key: PublicKey, db: str) -> str:
    return f'{OPTIONS},command="{session_command(username, db)}" {key.kind} {key.blob} {MARK}{username}'


def entries(path: Path) -> list[Entry]:
    return [e for e in (_ours(line) for line in _lines(path)) if e is not None]


def add(path: Path, username: str, key: PublicKey, db: str) -> bool:
    """True when added; False when this key already opens this user's session."""
    with _locked(path):
        lines = _lines(path)
        for line in lines:
            if parse_key(line) == key:
                found = _ours(line)
                if found is not None and found.username == username:
                    if found.command == session_command(username, db):
                        return False
                    lines = [x for x in lines if x is not line]  # the same key, another store: replaced
                    break
                owner = found.username if found is not None else None
                raise InvalidInput(N_("This key is already in {path} ({owner}); one key opens one session. "
                                      "Remove it first."), path=str(path),
                                   owner=(f"sagicc user {owner}" if owner else "a line not written by sagicc"))
        _write(path, [*lines, entry_line(username, key, db)])
        return True


def remove(path: Path, username: str, fingerprint: str | None = None) -> int:
    """Remove the user's keys (or only the one with that fingerprint); returns how many."""
    with _locked(path):
        lines = _lines(path)
        keep, gone = [], 0
        for line in lines:
            e = _ours(line)
            if e is not None and e.username == username and fingerprint in (None, e.key.fingerprint):
                gone += 1
            else:
                keep.append(line)
        if not gone:
            raise NotFound(N_("{path} has no key for {username}; `sagicc ssh-keys list` shows them."),
                           path=str(path), username=username)
        _write(path, keep)
        return gone


# --- the file --------------------------------------------------------------------------------


def _ours(line: str) -> Entry | None:
    line = line.strip()
    if not line.startswith(OPTIONS + ',command="'):
        return None
    end = line.find('"', len(OPTIONS) + 10)
    if end < 0:
        return None
    rest = line[end + 1:].split()
    key = parse_key(" ".join(rest))
    if key is None or len(rest) < 3 or not rest[2].startswith(MARK):
        return None
    return Entry(rest[2][len(MARK):], key, line[len(OPTIONS) + 10:end])


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []


def _write(path: Path, lines: list[str]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("".join(line + "\n" for line in lines))
            fh.flush()
            os.fsync(fh.fileno())
        if os.geteuid() == 0:  # root edits the service account's file: it stays theirs, for sshd to read as them
            folder = os.stat(path.parent)
            os.chown(tmp, folder.st_uid, folder.st_gid)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _locked(path: Path):
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path.with_name(f".{path.name}.sagicc-lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
