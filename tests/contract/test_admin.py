"""Administration (P3, P4): users, campaigns and tokens, through the one contract.

Refused for agents and supervisors by the store itself (local and server
alike); every change validated with one sentence, nothing half-written, and
every change in the change log.
"""

from __future__ import annotations

import dataclasses

import pytest

from sagicc_tui.domain.admin import UserChanges, UserInput
from sagicc_tui.domain.enums import AgentStatus, ChannelType, EntityKind, FieldType, Priority, Role
from sagicc_tui.domain.errors import InvalidInput, NotFound, PermissionDenied, SagiccError, StaleWrite
from sagicc_tui.domain.models import Campaign, MessageTemplate, SlaRule, TaskField

FORM = (TaskField(key="outcome", label="Outcome", type=FieldType.CHOICE, required=True,
                  choices=("Solved", "Pending")),)


def new_campaign(name: str = "Cobranza", **kw) -> Campaign:
    return Campaign(id=0, name=name, task_fields=FORM, primary_field="outcome",
                    incoming_channels=(ChannelType.SMS,), outgoing_channels=(ChannelType.SMS,), **kw)


async def test_an_administrator_adds_and_edits_a_user_and_it_is_logged(world):
    admin = await world.user("admin")
    made = await world.backend.add_user(admin, UserInput(username="eva.ruiz", role=Role.AGENT,
                                                         full_name="Eva  Ruiz", campaign_ids=(2,)))
    assert (made.username, made.full_name, made.role, made.campaign_ids) == ("eva.ruiz", "Eva Ruiz", Role.AGENT, (2,))
    assert (await world.backend.get_user("eva.ruiz")).id == made.id
    changed = await world.backend.update_user(admin, "eva.ruiz", UserChanges(
        full_name="Eva Ruiz Gil", role=Role.SUPERVISOR, campaign_ids=(1, 2), export="yes", language="en"),
        expected_version=made.version)
    assert (changed.full_name, changed.role, changed.campaign_ids, changed.can_export, changed.language) == \
        ("Eva Ruiz Gil", Role.SUPERVISOR, (1, 2), True, "en")
    back = await world.backend.update_user(admin, "eva.ruiz", UserChanges(export="role", language=""),
                                           expected_version=changed.version)
    assert back.can_export is None and back.language is None and back.full_name == "Eva Ruiz Gil"
    log = await world.backend.change_log(admin, EntityKind.USER, made.id)
    fields = {e.field for e in log}
    assert {"role", "campaigns", "full_name", "can_export", "language"} <= fields
    assert all(e.user_id == admin.id for e in log)


async def test_a_user_is_saved_at_the_version_read_and_a_stale_save_is_refused(world):
    """#18: two administrators edit the same user; the second, who read it before
    the first saved, is refused with one sentence and the first one's change stays."""
    admin = await world.user("admin")
    read = await world.backend.get_user("bruno")
    first = await world.backend.update_user(admin, "bruno", UserChanges(full_name="Bruno Primero"),
                                            expected_version=read.version)
    assert first.version == read.version + 1
    assert (await world.backend.get_user("bruno")).version == first.version
    with pytest.raises(StaleWrite) as e:
        await world.backend.update_user(admin, "bruno", UserChanges(role=Role.SUPERVISOR, campaign_ids=(2,)),
                                        expected_version=read.version)
    assert "changed by another administrator" in str(e.value) and "bruno" in str(e.value)
    now = await world.backend.get_user("bruno")
    assert (now.full_name, now.role, now.version) == ("Bruno Primero", Role.AGENT, first.version)
    assert now.campaign_ids == read.campaign_ids  # nothing half-written
    # Nothing to change: saved as it is, the version stays; a status change is not an administrator's.
    same = await world.backend.update_user(admin, "bruno", UserChanges(full_name="Bruno Primero"),
                                           expected_version=now.version)
    assert same.version == now.version
    bruno = await world.user("bruno")
    await world.backend.set_agent_status(bruno, AgentStatus.BUSY)
    assert (await world.backend.get_user("bruno")).version == now.version
    # Read again, the change goes through.
    done = await world.backend.update_user(admin, "bruno", UserChanges(role=Role.SUPERVISOR),
                                           expected_version=now.version)
    assert done.role is Role.SUPERVISOR and done.version == now.version + 1


async def test_agents_and_supervisors_are_refused_every_administration(world):
    for name in ("ana", "sofia"):
        who = await world.user(name)
        with pytest.raises(PermissionDenied):
            await world.backend.add_user(who, UserInput(username=f"x{name}", role=Role.ADMINISTRATOR))
        with pytest.raises(PermissionDenied):
            await world.backend.update_user(who, "bruno", UserChanges(role=Role.ADMINISTRATOR),
                                            expected_version=(await world.backend.get_user("bruno")).version)
        with pytest.raises(PermissionDenied):
            await world.backend.issue_user_token(who, "bruno")
        with pytest.raises(PermissionDenied):
            await world.backend.issue_channel_token(who, "whatsapp-9")
        with pytest.raises(PermissionDenied):
            await world.backend.add_campaign(who, new_campaign(f"C {name}"))
        one = await world.backend.get_campaign(who, 1)
        with pytest.raises(PermissionDenied):
            await world.backend.save_campaign(who, 1, dataclasses.replace(one, name="Mía"),
                                              expected_version=one.version)
    names = {u.username for u in await world.backend.list_users()}
    assert "xana" not in names and "xsofia" not in names
    assert (await world.backend.get_user("bruno")).role is Role.AGENT


async def test_bad_users_get_one_sentence_each(world):
    admin = await world.user("admin")
    for data, words in [
        (UserInput(username="ana", role=Role.AGENT), "already a user"),
        (UserInput(username="con espacio", role=Role.AGENT), "no spaces"),
        (UserInput(username="zoe", role=Role.AGENT, campaign_ids=(99,)), "no campaign 99"),
        (UserInput(username="zoe", role=Role.AGENT, language="fr"), "es or en"),
    ]:
        with pytest.raises(InvalidInput) as e:
            await world.backend.add_user(admin, data)
        assert words in str(e.value)
    assert "zoe" not in {u.username for u in await world.backend.list_users()}
    with pytest.raises(InvalidInput):
        await world.backend.update_user(admin, "admin", UserChanges(active=False),  # not oneself
                                        expected_version=admin.version)
    with pytest.raises(NotFound):
        await world.backend.update_user(admin, "nadie", UserChanges(full_name="X"), expected_version=1)


async def test_a_disabled_user_can_do_nothing_until_enabled(world):
    admin = await world.user("admin")
    bruno = await world.user("bruno")
    off = await world.backend.update_user(admin, "bruno", UserChanges(active=False), expected_version=bruno.version)
    assert not (await world.backend.get_user("bruno")).active
    with pytest.raises(SagiccError):
        await world.backend.list_campaigns(bruno)
    again = await world.backend.update_user(admin, "bruno", UserChanges(active=True), expected_version=off.version)
    assert again.active


async def test_campaigns_are_added_configured_and_every_change_logged(world):
    admin = await world.user("admin")
    made = await world.backend.add_campaign(admin, new_campaign(
        script="Hola {customer_name}, soy {agent_name}.",
        templates=(MessageTemplate(key="saludo", name="Saludo", body="Hola {customer_name}"),)))
    assert made.id > 2 and made.version == 1 and made.name == "Cobranza"
    assert made.id in {c.id for c in await world.backend.list_campaigns(admin)}
    edited = dataclasses.replace(
        made, name="Cobranza Norte", view_all_tickets=True, mass_close_allowed=False,
        incoming_channels=(ChannelType.SMS, ChannelType.CHAT), outgoing_channels=(ChannelType.CHAT,),
        sla_rules=(SlaRule(priority=Priority.HIGH, first_response_minutes=30, resolution_minutes=240),))
    saved = await world.backend.save_campaign(admin, made.id, edited, expected_version=made.version)
    assert saved.version == 2 and saved.name == "Cobranza Norte" and saved.mass_close_allowed is False
    assert await world.backend.get_campaign(admin, made.id) == saved
    fields = {e.field for e in await world.backend.change_log(admin, EntityKind.CAMPAIGN, made.id)}
    assert {"name", "view_all_tickets", "mass_close_allowed", "incoming_channels", "outgoing_channels",
            "sla_rules"} <= fields
    with pytest.raises(StaleWrite):  # another administrator saved since version 1
        await world.backend.save_campaign(admin, made.id, dataclasses.replace(made, script="Otro"),
                                          expected_version=1)
    assert (await world.backend.get_campaign(admin, made.id)).script == made.script


@pytest.mark.parametrize("bad, words", [
    (dict(task_fields=(), primary_field=None), "has no fields"),
    (dict(templates=(MessageTemplate(key="a", name="Hola", body="x"), MessageTemplate(key="b", name="hola", body="y"))),
     "already a template named hola"),
    (dict(sla_rules=(SlaRule(priority=Priority.LOW, first_response_minutes=-60, resolution_minutes=600),)),
     "more than zero"),
    (dict(primary_field="nada"), "primary field nada"),
    (dict(script="Hola {clienta}"), "placeholder {clienta}"),
    (dict(country="ZZ"), "ZZ is not a country"),  # #15.9: a region phonenumbers knows
    (dict(country="Colombia"), "Colombia is not a country"),
    (dict(country=" "), "(empty) is not a country"),
    (dict(surveys=()), None),
])
async def test_invalid_campaigns_get_one_sentence_and_nothing_is_written(world, bad, words):
    admin = await world.user("admin")
    before = await world.backend.list_campaigns(admin)
    one = await world.backend.get_campaign(admin, 1)
    if words is None:  # the valid control: the same call goes through
        assert (await world.backend.save_campaign(admin, 1, dataclasses.replace(one, **bad, script="Nuevo"),
                                                  expected_version=one.version)).script == "Nuevo"
        return
    with pytest.raises(InvalidInput) as e:
        await world.backend.add_campaign(admin, dataclasses.replace(new_campaign(), **bad))
    assert words in str(e.value)
    with pytest.raises(InvalidInput):
        await world.backend.save_campaign(admin, 1, dataclasses.replace(one, **bad), expected_version=one.version)
    assert await world.backend.list_campaigns(admin) == before


async def test_the_campaigns_country_is_saved_at_its_version_logged_and_reads_its_phones(world):
    """#15.9: the country a campaign reads phones without "+" in is one more
    campaign field: written upper-case, at the version read, in the change log,
    and ingest reads the next national number in it."""
    admin = await world.user("admin")
    one = await world.backend.get_campaign(admin, 1)
    assert one.country == "CO"
    saved = await world.backend.save_campaign(admin, 1, dataclasses.replace(one, country=" mx "),
                                              expected_version=one.version)
    assert (saved.country, saved.version) == ("MX", one.version + 1)
    assert (await world.backend.get_campaign(admin, 1)).country == "MX"
    log = [(e.previous, e.new) for e in await world.backend.change_log(admin, EntityKind.CAMPAIGN, 1)
           if e.field == "country"]
    assert log == [("CO", "MX")]
    with pytest.raises(StaleWrite):  # read before the save: refused, nothing overwritten
        await world.backend.save_campaign(admin, 1, dataclasses.replace(one, country="ES"),
                                          expected_version=one.version)
    assert (await world.backend.get_campaign(admin, 1)).country == "MX"
    mx = await world.incoming("55 1234 5678", "hola", channel=ChannelType.WHATSAPP)  # Servicio receives it
    contacts = await world.backend.list_contacts(admin, mx.customer_id)
    assert [c.normalized for c in contacts] == ["525512345678"]
    made = await world.backend.add_campaign(admin, new_campaign(country="es"))
    assert made.country == "ES"


async def test_an_agent_reads_only_their_campaigns_and_not_disabled_ones(world):
    admin, ana = await world.user("admin"), await world.user("ana")
    assert (await world.backend.get_campaign(ana, 1)).id == 1
    with pytest.raises(NotFound):
        await world.backend.get_campaign(ana, 2)  # Ventas: ana is not a member
    one = await world.backend.get_campaign(admin, 1)
    await world.backend.save_campaign(admin, 1, dataclasses.replace(one, active=False), expected_version=one.version)
    assert 1 not in {c.id for c in await world.backend.list_campaigns(ana)}
    assert 1 in {c.id for c in await world.backend.list_campaigns(admin)}


async def test_tokens_are_issued_once_and_revoked(world):
    admin = await world.user("admin")
    issued = await world.backend.issue_user_token(admin, "bruno")
    assert issued.token.startswith("sgc_") and issued.label == "bruno"
    assert await world.backend.revoke_user_tokens(admin, "bruno") >= 1
    gateway = await world.backend.issue_channel_token(admin, "sms-1")
    assert gateway.token.startswith("sgc_") and gateway.token != issued.token
    assert await world.backend.revoke_channel_tokens(admin, "sms-1") == 1
    with pytest.raises(InvalidInput):
        await world.backend.issue_channel_token(admin, "   ")
