"""Export the whole customer base (C3) to XLSX or CSV, streamed.

- Reads the store in keyset pages of PAGE customers (by id), with their
  contacts, accounts and features read by id range through their customer_id
  indexes: memory stays flat whatever the size of the base.
- XLSX: XlsxWriter in constant_memory mode (rows streamed to a temporary
  file, inline strings, no shared-string table kept in memory; the sheet has
  its <dimension>, which readers such as openpyxl's read-only mode trust).
  Tests read the files back with openpyxl (a test-only dependency).
- CSV: UTF-8 with a byte-order mark (spreadsheets then read the accents
  right), comma separated. A value a spreadsheet would run as a formula
  (=, @, or + and - not followed by a phone number) is prefixed with "'".
- Written to a scratch file (unlinked once open for reading), streamed to
  the caller, who writes the user's file (sagicc_tui/files.py: a part file
  renamed into place at the end, so a failed export leaves no half file).

Runs in the caller's read transaction, so the file is one consistent snapshot
even while agents keep writing. LocalBackend writes the change-log entry in a
write transaction right after (`log_export`).

`progress(done, total)` is called from the
worker thread; a UI must hop back to its event loop (call_from_thread). A
progress callback that raises cancels the export: the temporary file is
removed and the exception propagates.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from sqlalchemy import Connection, func, select

from sagicc_tui.domain.customers import ExportFormat, ExportResult
from sagicc_tui.domain.enums import ChangeKind, ContactKind, EntityKind
from sagicc_tui.domain.errors import InvalidInput
from sagicc_tui.domain.messages import N_
from sagicc_tui.domain.models import User
from sagicc_tui.domain.rules import Permission, require
from sagicc_tui.local_store import schema
from sagicc_tui.local_store.core import LogLine, Store

PAGE = 5000
Progress = Callable[[int, int], None]

customer = schema.CustomerRow.__table__
cu = customer.c
contact = schema.ContactRow.__table__
account = schema.AccountRow.__table__
feature = schema.CustomerFeature.__table__

# Column headers: English source strings, translated to the UI language when written.
COLUMNS: tuple[str, ...] = (
    N_("Id"), N_("Customer type"), N_("Document type"), N_("Document number"), N_("First name"),
    N_("Middle name"), N_("Last name"), N_("Second last name"), N_("Date of birth"), N_("Status"),
    N_("Created"), N_("Assigned user"), N_("Features"), N_("E-mails"), N_("Phones"), N_("Addresses"),
    N_("Social accounts"), N_("Accounts"),
)
JOIN = "; "
_KIND_COLUMN = {
    ContactKind.EMAIL.value: 0, ContactKind.PHONE.value: 1, ContactKind.MOBILE.value: 1,
    ContactKind.ADDRESS.value: 2, ContactKind.SOCIAL.value: 3,
}


def _formats(fmt: str) -> ExportFormat:
    try:
        return ExportFormat(str(fmt).lower())
    except ValueError:
        raise InvalidInput(N_("{value} is not an export format; use xlsx or csv."), value=fmt) from None


def _when(epoch: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(epoch))


_CUSTOMER_COLUMNS = (cu.id, cu.type, cu.id_type, cu.id_number, cu.first_name, cu.middle_name, cu.last_name,
                     cu.second_last_name, cu.birth_date, cu.status, cu.created_at, cu.assigned_user_id)


def rows(conn: Connection, counts: dict[str, int], users: dict[int, str],
         progress: Progress | None, total: int) -> Iterator[list[Any]]:
    """Every customer as one list of values, in id order, PAGE customers at a time.

    Hot loop (300,000 rows): plain tuples unpacked by position.
    """
    last = 0
    done = 0
    empty: tuple[list[str], ...] = ([], [], [], [])
    kind_column = _KIND_COLUMN
    while True:
        page = conn.execute(select(*_CUSTOMER_COLUMNS).where(cu.id > last).order_by(cu.id).limit(PAGE)).all()
        if not page:
            return
        lo, hi = page[0][0], page[-1][0]
        contacts: dict[int, list[list[str]]] = {}
        n_contacts = 0
        for cid, kind, value in conn.execute(
                select(contact.c.customer_id, contact.c.kind, contact.c.value)
                .where(contact.c.customer_id.between(lo, hi)).order_by(contact.c.customer_id, contact.c.id)):
            cols = contacts.get(cid)
            if cols is None:
                cols = contacts[cid] = [[], [], [], []]
            cols[kind_column.get(kind, 3)].append(value)
            n_contacts += 1
        accounts: dict[int, list[str]] = {}
        n_accounts = 0
        for cid, number in conn.execute(
                select(account.c.customer_id, account.c.number)
                .where(account.c.customer_id.between(lo, hi)).order_by(account.c.customer_id, account.c.id)):
            accounts.setdefault(cid, []).append(number)
            n_accounts += 1
        features: dict[int, list[str]] = {}
        for cid, name in conn.execute(
                select(feature.c.customer_id, feature.c.feature)
                .where(feature.c.customer_id.between(lo, hi)).order_by(feature.c.customer_id, feature.c.feature)):
            features.setdefault(cid, []).append(name)
        counts["contacts"] += n_contacts
        counts["accounts"] += n_accounts
        for (cid, ctype, id_type, id_number, first, middle, last_name, second, birth, status, created,
             assigned) in page:
            emails, phones, addresses, social = contacts.get(cid, empty)
            yield [
                cid, ctype, id_type, id_number, first, middle, last_name, second, birth or "", status,
                _when(created), users.get(assigned, "") if assigned else "",
                JOIN.join(features.get(cid, ())), JOIN.join(emails), JOIN.join(phones),
                JOIN.join(addresses), JOIN.join(social), JOIN.join(accounts.get(cid, ())),
            ]
        done += len(page)
        counts["customers"] = done
        last = hi
        if progress is not None:
            progress(done, max(total, done))


# --- writers ----------------------------------------------------------------------------------

# XML 1.0 forbids most control characters; a customer may have sent them. XlsxWriter
# would keep them as Excel's _xHHHH_ escapes: shown as a replacement character instead.
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
XLSX_CELL_MAX = 32767


def write_xlsx(path: str, header: list[str], data: Iterator[list[Any]], sheet: str) -> None:
    """XlsxWriter in constant_memory mode: each row goes to a temporary file as it
    comes (inline strings, nothing kept per row), and the sheet is assembled
    with its <dimension> at close."""
    import xlsxwriter

    with tempfile.TemporaryDirectory(prefix="sagicc-xlsx-") as scratch:
        book = xlsxwriter.Workbook(path, {
            "constant_memory": True, "tmpdir": scratch,
            # Customer text is text: never turned into numbers, formulas or links.
            "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False,
        })
        try:
            book.set_properties({"author": "sagicc-tui"})
            ws = book.add_worksheet(sheet[:31])
            ws.freeze_panes(1, 0)
            bold = book.add_format({"bold": True})
            for c, h in enumerate(header):
                ws.write_string(0, c, h, bold)
            write_string, write_number = ws.write_string, ws.write_number
            illegal = _ILLEGAL_XML
            for r, values in enumerate(data, start=1):
                for c, v in enumerate(values):
                    if v is None or v == "":
                        continue
                    if isinstance(v, int):
                        write_number(r, c, v)
                    else:
                        write_string(r, c, illegal.sub("\ufffd", str(v))[:XLSX_CELL_MAX])
            book.close()
        except BaseException:
            for ws in book.worksheets():  # constant_memory keeps an open row file each
                if getattr(ws, "row_data_fh", None) is not None:
                    ws.row_data_fh.close()
            raise


# Digits, spaces and phone punctuation only: no function, cell reference or DDE
# call can be written with these, so phones like "+57 300 111 2233; (601) 234"
# stay as they are.
_NUMBERISH = re.compile(r"^[\d\s().;+-]*$")


def csv_safe(value: Any) -> Any:
    """Neutralise spreadsheet formulas (CSV injection) without mangling phones."""
    if not isinstance(value, str) or not value:
        return value
    if value[0] in "=@\t\r" or (value[0] in "+-" and not _NUMBERISH.match(value)):
        return "'" + value
    return value


def write_csv(path: str, header: list[str], data: Iterator[list[Any]]) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows([csv_safe(v) for v in values] for values in data)


# --- the export ------------------------------------------------------------------------------------


def _unwritable(reason: object) -> InvalidInput:
    if isinstance(reason, OSError):
        reason = (reason.strerror or str(reason)).lower()
    return InvalidInput(N_("Cannot write the export to {path}: {reason}; choose another file or folder."),
                        path=tempfile.gettempdir(), reason=reason)


def export(store: Store, conn: Connection, user: User, fmt: str,
           progress: Progress | None) -> tuple[ExportResult, BinaryIO]:
    """Write the export to a scratch file and return it open for reading,
    already unlinked: nothing is left behind whoever stops reading it, and
    no other process can open it (0600 while it had a name)."""
    me = store.fresh_user(conn, user)
    require(me, Permission.EXPORT_CUSTOMERS)
    kind = _formats(fmt)
    started = time.perf_counter()
    try:
        fd, tmp = tempfile.mkstemp(prefix="sagicc-export-", suffix=f".{kind.value}")  # 0600
        os.close(fd)
    except OSError as e:
        raise _unwritable(e) from None
    try:
        from sagicc_tui.i18n import _

        header = [_(h) for h in COLUMNS]
        total = int(conn.execute(select(func.count()).select_from(customer)).scalar_one())
        users = {u.id: u.username for u in store.users(conn)}
        counts = {"customers": 0, "contacts": 0, "accounts": 0}
        data = rows(conn, counts, users, progress, total)
        if progress is not None:
            progress(0, total)
        if kind is ExportFormat.XLSX:
            write_xlsx(tmp, header, data, _("Customers"))
        else:
            write_csv(tmp, header, data)
        fh = open(tmp, "rb")  # noqa: SIM115 - handed to the caller, who reads and closes it
        size = os.fstat(fh.fileno()).st_size
    except OSError as e:
        raise _unwritable(e) from None
    finally:
        _remove(tmp)
    return ExportResult(path="", format=kind, customers=counts["customers"], contacts=counts["contacts"],
                        accounts=counts["accounts"], bytes=size, seconds=time.perf_counter() - started), fh


def log_export(store: Store, conn: Connection, user: User, result: ExportResult) -> None:
    """In a write transaction once the file is complete: who exported how many.
    Where the file goes is the caller's (its own disk), so not named here."""
    store.log(conn, user, [LogLine(EntityKind.CUSTOMER, 0, ChangeKind.EXPORTED, result.format.value, "",
                                   f"{result.customers} customers")])


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


__all__ = ["COLUMNS", "PAGE", "csv_safe", "export", "log_export", "write_csv", "write_xlsx"]
