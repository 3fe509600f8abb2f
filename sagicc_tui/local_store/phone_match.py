"""Phones matched whatever way they were written or stored (#15.9).

New rows keep E.164 digits (domain/phones.py); rows written before keep the
bare digits. A match asks for every key of the number in the countries of the
store's campaigns, so both kinds of row answer through the index on
contact_info.normalized, and no upgrade step rewrites the store.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from sagicc_tui.domain import phones
from sagicc_tui.local_store import schema
from sagicc_tui.local_store.core import Store


def countries(store: Store, conn: Connection) -> tuple[str, ...]:
    """The countries the store's campaigns read phones in (the default when none)."""
    found = {c.country.upper() for c in store.campaigns(conn) if c.country}
    return tuple(sorted(found)) or (phones.DEFAULT_COUNTRY,)


def customer_country(store: Store, conn: Connection, customer_id: int | None) -> str:
    """The country of the campaign of the customer's latest ticket: a phone
    typed on their profile is read as their campaign reads it."""
    if customer_id is not None:
        t = schema.ticket.c
        campaign_id = conn.execute(select(t.campaign_id).where(t.customer_id == customer_id)
                                   .order_by(t.created_at.desc(), t.id.desc()).limit(1)).scalar()
        campaign = store.campaign(conn, campaign_id) if campaign_id is not None else None
        if campaign is not None and campaign.country:
            return campaign.country
    return countries(store, conn)[0]
