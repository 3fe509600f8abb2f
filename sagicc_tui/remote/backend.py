"""RemoteBackend: the Backend contract over HTTP, against `sagicc serve`.

The UI cannot tell it from the local store: the same methods, the same plain
models, the same domain errors (rebuilt from the server's problem documents).

- Timeouts are explicit (connect, read, write, pool): a dead server is said,
  never waited on forever.
- Retries only where a second send cannot do a thing twice: when the
  connection was never made; GETs and other reads; updates guarded by
  If-Match; creating POSTs, which carry an Idempotency-Key the server replays.
- Live updates: one server-sent-events stream; `change_token()` moves when an
  event arrives, so the UI's cheap poll of it refreshes lists and tickets.
- Offline: when the server cannot be reached the backend says so
  (`connection_state`), messages and notes are kept in an outbox on this
  machine and sent in order, with their keys, when the server is back.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import json as _json
import functools
import inspect
import logging
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import quote

import httpx

from sagicc_tui.backend import Backend, OutboxState, RefusedWrite
from sagicc_tui.domain.ingest import IncomingMessage, IngestResult
from sagicc_tui.domain.customers import CustomerExport, ExportResult
from sagicc_tui.domain.errors import InvalidInput, PermissionDenied, StoreError
from sagicc_tui.domain.live import Change, ChangeSet
from sagicc_tui.domain.messages import N_
from sagicc_tui.domain.models import Attachment, AttachmentContent, User
from sagicc_tui.domain.ticket_screen import ExternalView
from sagicc_tui.files import local_file
from sagicc_tui.remote import wire
from sagicc_tui.remote.outbox import Outbox, Pending
from sagicc_tui.remote.routes import API, BY_HAND, MAX_PAGE, ROUTES, Route

log = logging.getLogger("sagicc.remote")

TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=5.0)
#: Writes: longer than the server's lock wait (SAGICC_BUSY_TIMEOUT, 30 s) and
#: than its wait for a duplicate's first answer (server/idempotency.py,
#: answer_wait(): 40 s), so the client does not give up on a write the server
#: is still legitimately waiting for; a retry after it carries the same key.
WRITE_TIMEOUT = httpx.Timeout(connect=5.0, read=60.0, write=30.0, pool=5.0)
#: The event stream sends a keep-alive every 15 s: 45 s of silence means it is gone.
EVENTS_TIMEOUT = httpx.Timeout(connect=5.0, read=45.0, write=5.0, pool=5.0)
#: Pauses before each retry (seconds).
BACKOFF = (0.2, 0.5, 1.0, 2.0)

#: Changes remembered for changed_since (older tokens get a refresh).
HISTORY = 512

#: Writes kept in the outbox when the server cannot be reached.
OUTBOXED = {"send_message", "save_draft", "clear_draft"}

_CONNECT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_LOST_ANSWER = (httpx.ReadError, httpx.ReadTimeout, httpx.WriteError, httpx.WriteTimeout,
                httpx.RemoteProtocolError)


def _authorization(token: str) -> dict[str, str]:
    # No token: a client of `serve --socket`, whom the kernel names.
    return {"Authorization": f"Bearer {token}"} if token else {}


class RemoteBackend(Backend):
    def __init__(self, base_url: str, token: str, *, user_tokens: dict[str, str] | None = None,
                 channel_token: str | None = None, transport: httpx.AsyncBaseTransport | None = None,
                 timeout: httpx.Timeout = TIMEOUT, backoff: tuple[float, ...] = BACKOFF,
                 outbox: Outbox | None = None, write_timeout: httpx.Timeout | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        # A caller's own timeout (tests, slow links) counts for writes too unless given apart.
        self._write_timeout = write_timeout or (WRITE_TIMEOUT if timeout is TIMEOUT else timeout)
        self._token = token
        self._user_tokens = dict(user_tokens or {})
        self._channel_token = channel_token
        self._backoff = backoff
        if transport is None:
            # TCP_NODELAY: a request goes out as headers then body; without it
            # the body can wait for the server's delayed ACK (tens of ms).
            transport = httpx.AsyncHTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
        self._client = httpx.AsyncClient(base_url=self.base_url, timeout=timeout, transport=transport,
                                         headers={"User-Agent": "sagicc-tui"})
        self.me: User | None = None
        self.online = True
        self._changes = 0
        self._history: collections.deque[tuple[int, Change]] = collections.deque(maxlen=HISTORY)
        self._events_task: asyncio.Task | None = None
        self._events_live = asyncio.Event()
        self._outbox = outbox
        self._flush_lock = asyncio.Lock()
        self._flush_task: asyncio.Task | None = None
        self.outbox_refusals: list[tuple[str, Exception]] = []
        # Called once when the server refuses this session's token (revoked,
        # expired, user disabled): the TUI asks for a new one at once.
        self.on_unauthorized: Callable[[], None] | None = None

    @classmethod
    async def open(cls, base_url: str, token: str, **kw: Any) -> RemoteBackend:
        """Connect and learn who the token signs in (raises with a sentence when it cannot)."""
        backend = cls(base_url, token, **kw)
        try:
            backend.me = await backend.whoami()
        except BaseException:
            await backend.aclose()
            raise
        if backend.pending_writes():
            await backend.flush_outbox()
        return backend

    async def whoami(self) -> User:
        return wire.load(User, await self._send("GET", "/me", token=self._token, retryable=True))

    def connection_state(self) -> str:
        return "online" if self.online else "offline"

    async def aclose(self) -> None:
        for task in (self._flush_task,):
            if task is not None:
                task.cancel()
        if self._events_task is not None:
            self._events_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._events_task
            self._events_task = None
        await self._client.aclose()

    # --- the one way a request is sent ---------------------------------------------
    def _token_for(self, user: User | None) -> str:
        if user is None:
            return self._token
        token = self._user_tokens.get(user.username)
        if token is not None:
            return token
        if self.me is not None and user.username != self.me.username:
            raise PermissionDenied(N_("This terminal is signed in to the server as {me}, not {user}; "
                                      "sign in as {user} with `sagicc login`."),
                                   me=self.me.username, user=user.username)
        return self._token

    async def _send(self, verb: str, path: str, *, token: str, retryable: bool, params: Any = None,
                    json: Any = None, content: bytes | None = None, headers: dict[str, str] | None = None,
                    raw: bool = False, timeout: httpx.Timeout | None = None) -> Any:
        hdrs = {**_authorization(token), **(headers or {})}
        attempt = 0
        while True:
            try:
                kw: dict[str, Any] = {}
                if timeout is not None:
                    kw["timeout"] = timeout
                r = await self._client.request(verb, API + path, params=params, json=json, content=content,
                                               headers=hdrs, **kw)
            except _CONNECT_ERRORS as exc:
                # Never reached the server: safe to send again, whatever the verb.
                if attempt < len(self._backoff):
                    await asyncio.sleep(self._backoff[attempt])
                    attempt += 1
                    continue
                self._set_online(False)
                raise self._unreachable(exc) from None
            except _LOST_ANSWER as exc:
                # Sent, answer lost: only what cannot happen twice is sent again.
                if retryable and attempt < len(self._backoff):
                    await asyncio.sleep(self._backoff[attempt])
                    attempt += 1
                    continue
                self._set_online(False)
                raise self._unreachable(exc) from None
            if r.status_code in (502, 503, 504) and retryable and attempt < len(self._backoff):
                await asyncio.sleep(self._backoff[attempt])
                attempt += 1
                continue
            self._set_online(True)
            if r.status_code >= 400:
                try:
                    doc = r.json()
                except ValueError:
                    doc = None
                if r.status_code == 401 and token == self._token:
                    self._token_refused()
                raise wire.error_from_problem(r.status_code, doc)
            if raw:
                return r
            if r.status_code == 204 or not r.content:
                return None
            return r.json()

    def _token_refused(self) -> None:
        callback, self.on_unauthorized = self.on_unauthorized, None  # once: the prompt is up
        if callback is not None:
            callback()

    def _unreachable(self, exc: Exception) -> wire.ServerUnreachable:
        return wire.ServerUnreachable(
            N_("The server {url} is not answering ({reason}); your typing is kept, try again when it is back."),
            url=self.base_url, reason=type(exc).__name__)

    def _set_online(self, online: bool) -> None:
        if online != self.online:
            self.online = online
            self._bump()  # the UI refreshes (and shows the state) on its next poll
            if online and self._outbox is not None and self._flush_task is None:
                self._flush_task = asyncio.get_running_loop().create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        try:
            await self.flush_outbox()
        finally:
            self._flush_task = None

    async def _call(self, route: Route, bound: inspect.BoundArguments) -> Any:
        args = dict(bound.arguments)
        args.pop("self", None)
        check = _CHECKED_HERE.get(route.name)
        if check is not None:
            # The domain's own validation, before the wire's: the same sentence
            # the local store gives ("not a valid document type ..."), and a
            # cleaned value whose enums the server's schema accepts.
            name, validate = check
            args[name] = validate(args[name])
        user = args.pop("user", None)
        hints = route.hints()
        path = route.path
        for name in route.path_params:
            path = path.replace("{" + name + "}", quote(str(wire.dump(hints[name], args.pop(name))), safe=""))
        headers: dict[str, str] = {}
        version = args.pop("expected_version", None)
        if version is not None:
            headers["If-Match"] = wire.etag(version)
        if route.create:
            # One key per call, kept across its retries. A message also carries
            # the composer's client_key, which the store keeps in the message's
            # own transaction: a retry after the server died between commit and
            # answer finds it, though the server never kept its answer.
            headers["Idempotency-Key"] = str(uuid.uuid4())
        if isinstance(args.get("limit"), int) and args["limit"] > MAX_PAGE:
            args["limit"] = MAX_PAGE  # the API's page size; paged calls continue from their key
        # A message's files travel as content (base64), never as paths; the
        # local store's sentence for a file over 10 MB comes before the upload.
        files = tuple(local_file(f.name, f.data) for f in args.pop("files", ()))
        values = {k: wire.dump(hints[k], v) for k, v in args.items() if k in hints}
        if files:
            values["files"] = await asyncio.to_thread(_encoded, files)
        if route.name == "update_ticket":
            # Only the fields given travel: on /api/v1 an explicit null account_id
            # clears the account (scripts send it so), so "unchanged" is absent.
            values["changes"] = {k: v for k, v in values["changes"].items() if v is not None}
        token = self._token_for(user)
        if route.name == "get_draft" and self._outbox is not None and not self.online:
            kept = self._kept_draft(user, path)
            if kept is not None:
                return kept
        timeout = None if route.verb == "GET" or route.safe else self._write_timeout
        try:
            if route.in_body:
                data = await self._send(route.verb, path, token=token, retryable=route.retryable, json=values,
                                        headers=headers, timeout=timeout)
            else:
                data = await self._send(route.verb, path, token=token, retryable=route.retryable,
                                        params={k: v for k, v in values.items() if v is not None}, headers=headers,
                                        timeout=timeout)
        except wire.ServerUnreachable:
            if route.name not in OUTBOXED or self._outbox is None or user is None:
                raise
            return self._keep(route, user, path, values, headers.get("Idempotency-Key"))
        returns = hints.get("return")
        if returns is None or returns is type(None):
            return None
        return wire.load(returns, data)

    # --- the outbox (offline writes) -----------------------------------------------------
    def _keep(self, route: Route, user: User, path: str, body: Any, key: str | None, local: Any = None) -> Any:
        import time

        assert self._outbox is not None
        self._outbox.add(Pending(str(uuid.uuid4()), route.name, route.verb, path, user.username, body, key,
                                 time.time(), local))
        self._ensure_events()  # reconnects in the background, then sends what is kept
        if route.name == "send_message":
            raise QueuedOffline(N_("The server is not answering; the message is kept on this computer and "
                                   "will be sent when the server is back."))
        if route.name == "save_draft":
            return self._draft_from(user, path, body)
        return None

    def _kept_draft(self, user: User | None, path: str) -> Any:
        assert self._outbox is not None
        latest = None
        for item in self._outbox.items():
            if item.path == path and user is not None and item.username == user.username:
                latest = item
        if latest is None or latest.verb == "DELETE":
            return None
        return self._draft_from(user, path, latest.body)

    @staticmethod
    def _draft_from(user: User, path: str, body: Any) -> Any:
        from datetime import UTC, datetime

        from sagicc_tui.domain.models import Draft

        parts = path.strip("/").split("/")  # tickets/{id}/drafts/{form}
        return Draft(user_id=user.id, ticket_id=int(parts[1]), form=parts[3],
                     data=dict((body or {}).get("data") or {}), updated_at=datetime.now(UTC))

    def pending_writes(self) -> int:
        """How many writes wait in the outbox for the server."""
        return 0 if self._outbox is None else len(self._outbox)

    def outbox_state(self) -> OutboxState | None:
        if self._outbox is None:
            return None
        refused = tuple(r for r in map(_refused_write, self._outbox.refused()) if r is not None)
        return OutboxState(queued=len(self._outbox), refused=refused)

    def dismiss_refused(self, refused_id: str) -> None:
        if self._outbox is not None:
            self._outbox.drop_refused({refused_id})

    async def flush_outbox(self) -> int:
        """Send what was kept while offline, in order; returns how many were sent.
        Stops at the first one the server still cannot take (still offline)."""
        if self._outbox is None:
            return 0
        async with self._flush_lock:
            items = self._outbox.items()
            # Only the last draft per ticket and form matters.
            last_draft = {i.path: i.id for i in items if i.method in ("save_draft", "clear_draft")}
            sent: set[str] = set()
            for item in items:
                if item.method in ("save_draft", "clear_draft") and last_draft[item.path] != item.id:
                    sent.add(item.id)
                    continue
                token = self._user_tokens.get(item.username, self._token)
                headers = {"Idempotency-Key": item.idempotency_key} if item.idempotency_key else {}
                try:
                    await self._send(item.verb, item.path, token=token, retryable=True,
                                     json=item.body if item.verb != "DELETE" else None, headers=headers)
                except wire.ServerUnreachable:
                    break
                except StoreError:
                    break  # the server's store is busy or full (503): try again later, in order
                except Exception as exc:  # noqa: BLE001 - refused for good (e.g. the ticket closed meanwhile)
                    log.warning("a kept %s was refused by the server: %s", item.method, exc)
                    self.outbox_refusals.append((item.method, exc))
                    if item.method in ("send_message", "save_draft"):
                        # Never dropped: it goes back to its form, with the server's sentence.
                        import time

                        self._outbox.refuse(item, _reason(exc), time.time())
                        self._changes += 1
                        continue
                sent.add(item.id)
            self._outbox.remove(sent)
            if sent:
                self._bump()
            return len(sent)

    # --- by hand: files and the channel gateway --------------------------------------
    async def ingest(self, message: IncomingMessage) -> IngestResult:
        token = self._channel_token
        if token is None:
            raise PermissionDenied(N_("Delivering incoming messages needs a channel token "
                                      "(`sagicc channels token NAME` on the server)."))
        from sagicc_tui.domain.rules import check_storable_text

        check_storable_text({"from": message.sender, "name": message.name, "subject": message.subject,
                             "text": message.text, "id": message.id})
        body = {
            "channel": message.channel.value, "sender": message.sender, "text": message.text, "name": message.name,
            "subject": message.subject, "at": message.at.isoformat() if message.at else None,
            "attachments": await asyncio.to_thread(_encoded, message.attachments),
            "id": message.id, "references": list(message.references), "automatic": message.automatic,
            "campaign_id": message.campaign_id,
        }
        verb, path = BY_HAND["ingest"]
        # The key makes the retry after a lost answer the same message (#10.4).
        headers = {"Idempotency-Key": message.idempotency_key or str(uuid.uuid4())}
        return wire.load(IngestResult, await self._send(verb, path, token=token, retryable=True, json=body,
                                                        headers=headers))

    async def add_attachment(self, user: User, ticket_id: int, name: str, data: bytes) -> Attachment:
        f = local_file(name, data)  # the local store's sentence for a file over 10 MB, before sending it
        verb, route_path = BY_HAND["add_attachment"]
        answer = await self._send(verb, route_path.format(ticket_id=ticket_id), token=self._token_for(user),
                                  retryable=False, params={"name": f.name}, content=f.data,
                                  headers={"Content-Type": "application/octet-stream"})
        return wire.load(Attachment, answer)

    async def read_attachment(self, user: User, attachment_id: int) -> AttachmentContent:
        from urllib.parse import unquote

        verb, path = BY_HAND["read_attachment"]
        r = await self._send(verb, path.format(attachment_id=attachment_id), token=self._token_for(user),
                             retryable=True, raw=True)
        return AttachmentContent(name=unquote(r.headers.get("X-Sagicc-Name", "attachment")),
                                 mime=r.headers.get("Content-Type", "application/octet-stream"), data=r.content)

    async def export_customers(self, user: User, fmt: str = "xlsx",
                               progress: Callable[[int, int], None] | None = None) -> CustomerExport:
        """The server has written and logged the spreadsheet when it answers;
        its bytes stream from the open response (`chunks` closes it)."""
        verb, route_path = BY_HAND["export_customers"]
        request = self._client.build_request(
            verb, API + route_path, params={"format": fmt}, headers=_authorization(self._token_for(user)),
            timeout=httpx.Timeout(connect=5.0, read=600.0, write=30.0, pool=5.0))
        try:
            r = await self._client.send(request, stream=True)
        except _CONNECT_ERRORS + _LOST_ANSWER as exc:
            self._set_online(False)
            raise self._unreachable(exc) from None
        try:
            if r.status_code >= 400:
                await r.aread()
                try:
                    doc = r.json()
                except ValueError:
                    doc = None
                raise wire.error_from_problem(r.status_code, doc)
            result = wire.load(ExportResult, _json.loads(r.headers.get("X-Sagicc-Export", "null")))
        except BaseException:
            await r.aclose()
            raise
        return CustomerExport(result=result, chunks=self._export_chunks(r, result.customers, progress))

    async def _export_chunks(self, r: httpx.Response, rows: int,
                             progress: Callable[[int, int], None] | None) -> AsyncIterator[bytes]:
        total = int(r.headers.get("Content-Length", "0")) or 1
        done = 0
        try:
            async for block in r.aiter_bytes():
                done += len(block)
                if progress is not None:
                    progress(min(rows, rows * done // total), rows)  # customers, by the bytes come
                yield block
        except _CONNECT_ERRORS + _LOST_ANSWER as exc:
            self._set_online(False)
            raise self._unreachable(exc) from None
        finally:
            await r.aclose()

    async def external_view(self, user: User, ticket_id: int) -> ExternalView:
        view = await self._call(_ROUTE["external_view"],
                                _bind("external_view", self, user, ticket_id))
        # The page lives on the server: the address to share is its URL.
        # (The server's answer carries no path of its own: its files are not ours.)
        return dataclasses.replace(view, path=f"{self.base_url}/external/{view.token}")

    # --- live updates --------------------------------------------------------------------
    async def change_token(self) -> int:
        """Moves when the server says something changed (server-sent events)."""
        if self._events_task is None:
            self._ensure_events()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._events_live.wait(), 3)
        return self._changes

    def _bump(self, change: Change | None = None) -> None:
        """Something changed (``change`` None: unknown, refresh): the token moves."""
        self._changes += 1
        self._history.append((self._changes, change if change is not None else Change()))

    async def changed_since(self, token: int) -> ChangeSet:
        """The tickets the server's events named since ``token``, merged;
        a refresh when any of them said so or the history no longer reaches back."""
        now = await self.change_token()
        if now == token:
            return ChangeSet(now, Change(tickets={}))
        newer = [c for t, c in self._history if t > token]
        if token < 0 or len(newer) < now - token:
            return ChangeSet(now, Change())
        merged = Change(tickets={})
        for change in newer:
            merged = merged.merge(change)
        return ChangeSet(now, merged)

    def _ensure_events(self) -> None:
        if self._events_task is None:
            self._events_task = asyncio.get_running_loop().create_task(self._follow_events(),
                                                                       name="sagicc-events")

    async def _follow_events(self) -> None:
        delay = 0.5
        while True:
            try:
                async with self._client.stream("GET", API + "/events", timeout=EVENTS_TIMEOUT,
                                               headers={**_authorization(self._token),
                                                        "Accept": "text/event-stream"}) as r:
                    if r.status_code >= 400:
                        await r.aread()
                        raise wire.error_from_problem(r.status_code, _json_or_none(r))
                    # Connected (again): whatever happened meanwhile is unknown, so refresh.
                    self._bump()
                    self._set_online(True)
                    self._events_live.set()
                    delay = 0.5
                    async for line in r.aiter_lines():
                        # One event: "id:", "event: changed", "data: {...}" (domain/live.py).
                        if line.startswith("data:"):
                            try:
                                data = _json.loads(line[5:])
                            except ValueError:
                                data = {"refresh": True}
                            self._bump(Change.from_wire(data) if isinstance(data, dict) else Change())
            except asyncio.CancelledError:
                raise
            except wire.Unauthorized:
                log.warning("the server refused the token for live updates")
                self._events_live.set()
                self._token_refused()
                return
            except Exception as exc:  # noqa: BLE001 - keep trying; the UI shows offline
                log.info("event stream lost (%s); reconnecting in %.1f s", type(exc).__name__, delay)
            self._events_live.clear()
            self._set_online(False)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)


def _reason(exc: Exception) -> dict[str, Any]:
    from sagicc_tui.domain.errors import SagiccError

    if isinstance(exc, SagiccError):
        return {"template": exc.message.template, "params": dict(exc.message.params)}
    return {"template": N_("The server refused it ({reason})."), "params": {"reason": f"{type(exc).__name__}"}}


def _refused_write(r: Any) -> RefusedWrite | None:
    """A refused outbox line as the draft it goes back to."""
    from datetime import UTC, datetime

    from sagicc_tui.domain.messages import Msg

    item = r.item
    parts = item.path.strip("/").split("/")  # tickets/{id}/messages or tickets/{id}/drafts/{form}
    try:
        ticket_id = int(parts[1])
    except (IndexError, ValueError):
        return None
    body = item.body if isinstance(item.body, dict) else {}
    if item.method == "save_draft":
        form, data = parts[3] if len(parts) > 3 else "composer", dict(body.get("data") or {})
    else:
        m = body.get("message") or {}
        contact = m.get("contact")
        # The files' content travels in the kept body; a line kept by a client from
        # before files travelled as content has their paths on this machine instead.
        files = _decoded(body.get("files") or ())
        paths = [] if files else list((item.local or {}).get("attachment_paths") or [])
        form, data = "composer", {
            "channel": m.get("channel"), "contact": contact if isinstance(contact, int) else None,
            "other": contact if isinstance(contact, str) else "", "template": m.get("template_key"),
            "survey": m.get("survey_key"), "subject": m.get("subject", ""), "cc": m.get("cc", ""),
            "bcc": m.get("bcc", ""), "text": m.get("text", ""), "files": "; ".join(paths),
        }
    reason = Msg(str(r.reason.get("template", "")), dict(r.reason.get("params") or {}))
    return RefusedWrite(id=item.id, ticket_id=ticket_id, username=item.username, form=form, data=data,
                        reason=reason, queued_at=datetime.fromtimestamp(item.queued_at, UTC),
                        files=files if item.method == "send_message" else ())


class QueuedOffline(wire.ServerUnreachable):
    """Kept in the outbox: it will be sent when the server is back."""


def _encoded(files: tuple[AttachmentContent, ...]) -> list[dict[str, str]]:
    import base64

    return [{"name": f.name, "content_base64": base64.b64encode(f.data).decode()} for f in files]


def _decoded(kept: Any) -> tuple[AttachmentContent, ...]:
    """The files of a kept body (as `_encoded` wrote them); a damaged entry is left out."""
    import base64
    import binascii

    files = []
    for f in kept if isinstance(kept, list) else ():
        try:
            files.append(local_file(str(f["name"]), base64.b64decode(f["content_base64"], validate=True)))
        except (KeyError, TypeError, ValueError, binascii.Error, InvalidInput):
            continue
    return tuple(files)


def _json_or_none(r: httpx.Response) -> Any:
    try:
        return r.json()
    except ValueError:
        return None


_ROUTE = {r.name: r for r in ROUTES}


def _checks() -> dict[str, tuple[str, Callable[[Any], Any]]]:
    from sagicc_tui.domain import customers as c
    from sagicc_tui.domain.ticket_screen import draft_json

    def draft(data: Any) -> Any:
        draft_json(data)
        return data

    return {
        "create_customer": ("data", c.validate_customer), "update_customer": ("data", c.validate_customer),
        "add_contact": ("data", c.validate_contact), "update_contact": ("data", c.validate_contact),
        "add_account": ("data", c.validate_account), "update_account": ("data", c.validate_account),
        "add_relation": ("relation", c.validate_relation), "update_relation": ("relation", c.validate_relation),
        "save_draft": ("data", draft),
    }


_CHECKED_HERE = _checks()


def _bind(name: str, *args: Any, **kw: Any) -> inspect.BoundArguments:
    bound = inspect.signature(getattr(Backend, name)).bind(*args, **kw)
    bound.apply_defaults()
    return bound


def _generated(route: Route) -> Callable[..., Any]:
    template = getattr(Backend, route.name)

    @functools.wraps(template)
    async def method(self: RemoteBackend, *args: Any, **kw: Any) -> Any:
        return await self._call(route, _bind(route.name, self, *args, **kw))

    method.__isabstractmethod__ = False
    return method


for _route in ROUTES:
    if _route.name not in vars(RemoteBackend):
        setattr(RemoteBackend, _route.name, _generated(_route))
RemoteBackend.__abstractmethods__ = frozenset(
    name for name in RemoteBackend.__abstractmethods__
    if getattr(getattr(RemoteBackend, name), "__isabstractmethod__", False)
)
