"""One client process of the lost-update test (#10.2): read a counter, write
counter + 1 with the version it read (If-Match over HTTP), again on a stale
answer. Prints how many writes the store accepted.

    python -m tests.support.counter local DB_URL TICKET CUSTOMER ACCOUNT ATTEMPTS
    python -m tests.support.counter http SERVER_URL TICKET CUSTOMER ACCOUNT ATTEMPTS  (token: COUNTER_TOKEN)

Two counters, taken in turns: the ticket's description and the account's
name. Prints the accepted writes of each.
"""

from __future__ import annotations

import asyncio
import os
import sys

from sagicc_tui.domain.customers import AccountInput
from sagicc_tui.domain.errors import StaleWrite
from sagicc_tui.domain.ticket_changes import TicketChanges


async def main(mode: str, target: str, ticket_id: int, customer_id: int, account_id: int,
               attempts: int) -> tuple[int, int]:
    if mode == "http":
        from sagicc_tui.remote.backend import RemoteBackend

        backend = await RemoteBackend.open(target, os.environ["COUNTER_TOKEN"])
        user = backend.me
    else:
        from sagicc_tui.local_store.backend import LocalBackend

        backend = await LocalBackend.open(target)
        user = await backend.get_user("admin")

    async def ticket() -> None:
        t = await backend.get_ticket(user, ticket_id)
        await backend.update_ticket(user, ticket_id, TicketChanges(description=str(int(t.description or 0) + 1)),
                                    expected_version=t.version)

    async def account() -> None:
        a = next(x for x in await backend.list_accounts(user, customer_id) if x.id == account_id)
        await backend.update_account(user, account_id, AccountInput(number=a.number, name=str(int(a.name) + 1)),
                                     expected_version=a.version)

    accepted = [0, 0]
    try:
        for i in range(attempts):
            for n, bump in enumerate((ticket, account)):
                try:
                    await bump()
                    accepted[n] += 1
                except StaleWrite:
                    pass  # someone else was first: read again next time
    finally:
        await backend.aclose()
    return accepted[0], accepted[1]


if __name__ == "__main__":
    mode, target, *ids = sys.argv[1:]
    print(*asyncio.run(main(mode, target, *map(int, ids))))
