"""#13 (P4, P8): a campaign's e-mail channel settings -- the mailbox it reads --
through the one contract, on all four backends: saved at a version, checked
with one sentence per problem, logged, refused to non-administrators, shown
only to administrators, never holding a password; and ingest routes a message
of that mailbox into that campaign."""

from __future__ import annotations

import dataclasses

import pytest

from sagicc_tui.domain.ingest import IncomingMessage
from sagicc_tui.domain.enums import ChannelType, EntityKind, MailSecurity
from sagicc_tui.domain.errors import InvalidInput, PermissionDenied, StaleWrite
from sagicc_tui.domain.models import CampaignMailbox
from sagicc_tui.remote.wire import jsonable

BOX = CampaignMailbox(host="imap.empresa.co", user="ventas@empresa.co", port=993, security=MailSecurity.SSL,
                      folder="INBOX", password_file="/etc/sagicc/ventas.password")


async def _with_mailbox(world, campaign_id: int = 2, box: CampaignMailbox = BOX):
    admin = await world.user("admin")
    c = await world.backend.get_campaign(admin, campaign_id)
    changed = dataclasses.replace(c, mailbox=box, incoming_channels=(*c.incoming_channels, ChannelType.EMAIL)
                                  if ChannelType.EMAIL not in c.incoming_channels else c.incoming_channels)
    return await world.backend.save_campaign(admin, campaign_id, changed, expected_version=c.version)


async def test_an_administrator_sets_and_removes_a_campaigns_mailbox_and_it_is_logged(world):
    admin = await world.user("admin")
    before = await world.backend.get_campaign(admin, 2)
    saved = await _with_mailbox(world)
    assert saved.mailbox == BOX and saved.version == before.version + 1
    assert (await world.backend.get_campaign(admin, 2)).mailbox == BOX
    assert [c.mailbox for c in await world.backend.list_campaigns(admin) if c.id == 2] == [BOX]
    log = [e for e in await world.backend.change_log(admin, EntityKind.CAMPAIGN, 2) if e.field == "mailbox"]
    assert len(log) == 1 and "imap.empresa.co" in log[0].new and not log[0].previous
    removed = await world.backend.save_campaign(admin, 2, dataclasses.replace(saved, mailbox=None),
                                                expected_version=saved.version)
    assert removed.mailbox is None and (await world.backend.get_campaign(admin, 2)).mailbox is None
    log = [e for e in await world.backend.change_log(admin, EntityKind.CAMPAIGN, 2) if e.field == "mailbox"]
    assert len(log) == 2


async def test_a_stale_mailbox_save_is_refused_and_keeps_the_other_administrators(world):
    admin = await world.user("admin")
    read = await world.backend.get_campaign(admin, 1)
    await _with_mailbox(world, 1)  # another administrator saved meanwhile
    with pytest.raises(StaleWrite):
        await world.backend.save_campaign(admin, 1, dataclasses.replace(read, mailbox=dataclasses.replace(
            BOX, host="otro.empresa.co")), expected_version=read.version)
    assert (await world.backend.get_campaign(admin, 1)).mailbox == BOX


async def test_non_administrators_cannot_set_it_nor_read_it(world):
    await _with_mailbox(world, 1)
    for who in ("ana", "sofia"):  # an agent of campaign 1, a supervisor
        user = await world.user(who)
        c = await world.backend.get_campaign(user, 1)
        assert c.mailbox is None  # where the mail server is and where its password is kept: not theirs
        assert all(x.mailbox is None for x in await world.backend.list_campaigns(user))
        with pytest.raises(PermissionDenied):
            await world.backend.save_campaign(user, 1, dataclasses.replace(
                c, mailbox=dataclasses.replace(BOX, host="robado.example")), expected_version=c.version)
    admin = await world.user("admin")
    assert (await world.backend.get_campaign(admin, 1)).mailbox == BOX


def test_no_read_can_return_a_password_the_settings_never_hold_one():
    assert "password" not in {f.name for f in dataclasses.fields(CampaignMailbox)}
    # Only where it is kept: a file's path (or, empty, this machine's keyring).
    assert [k for k in jsonable(BOX) if "password" in k] == ["password_file"]


@pytest.mark.parametrize("box, words", [
    (dataclasses.replace(BOX, host="imap empresa.co"), "host name or address"),
    (dataclasses.replace(BOX, host=""), "host name or address"),
    (dataclasses.replace(BOX, user=""), "needs its login"),
    (dataclasses.replace(BOX, port=70000), "1 to 65535"),
    (dataclasses.replace(BOX, security=MailSecurity.PLAIN), "unencrypted to imap.empresa.co"),
    (dataclasses.replace(BOX, folder=" "), "folder needs a name"),
    (dataclasses.replace(BOX, password_file="ventas.password"), "full path"),
    (dataclasses.replace(BOX, host="127.0.0.1", security=MailSecurity.PLAIN), None),  # loopback: allowed
])
async def test_bad_mailbox_settings_get_one_sentence_and_nothing_is_written(world, box, words):
    admin = await world.user("admin")
    before = await world.backend.get_campaign(admin, 1)
    if words is None:
        assert (await _with_mailbox(world, 1, box)).mailbox == box
        return
    with pytest.raises(InvalidInput) as e:
        await _with_mailbox(world, 1, box)
    assert words in str(e.value) and str(e.value).count(". ") == 0
    assert await world.backend.get_campaign(admin, 1) == before


async def test_a_mailbox_needs_the_email_channel_and_one_campaign_per_mailbox(world):
    admin = await world.user("admin")
    c = await world.backend.get_campaign(admin, 2)
    with pytest.raises(InvalidInput) as e:
        await world.backend.save_campaign(admin, 2, dataclasses.replace(
            c, mailbox=BOX, incoming_channels=(ChannelType.TELEPHONY,)), expected_version=c.version)
    assert "does not receive the e-mail channel" in str(e.value)
    await _with_mailbox(world, 2)
    with pytest.raises(InvalidInput) as e:
        await _with_mailbox(world, 1)
    assert "already read by campaign" in str(e.value)
    assert (await _with_mailbox(world, 1, dataclasses.replace(BOX, folder="Cobros"))).mailbox.folder == "Cobros"


async def test_a_message_of_a_campaigns_mailbox_goes_to_that_campaign(world):
    admin = await world.user("admin")
    await _with_mailbox(world, 2)
    mine = await world.backend.ingest(IncomingMessage(channel=ChannelType.EMAIL, sender="eva@cliente.co",
                                                      text="Quiero comprar", id="<v1@cliente.co>", campaign_id=2))
    other = await world.backend.ingest(IncomingMessage(channel=ChannelType.EMAIL, sender="eva@cliente.co",
                                                       text="Tengo un problema", id="<s1@cliente.co>"))
    assert (await world.backend.get_ticket(admin, mine.ticket_id)).campaign_id == 2
    # Without a campaign: the one receiving e-mail that reads no mailbox of its own.
    assert (await world.backend.get_ticket(admin, other.ticket_id)).campaign_id == 1
    c = await world.backend.get_campaign(admin, 2)
    await world.backend.save_campaign(admin, 2, dataclasses.replace(c, active=False), expected_version=c.version)
    with pytest.raises(InvalidInput) as e:
        await world.backend.ingest(IncomingMessage(channel=ChannelType.EMAIL, sender="eva@cliente.co",
                                                   text="Otra", id="<v2@cliente.co>", campaign_id=2))
    assert "disabled" in str(e.value)
