"""The administration screen (issue #18.2, P3/P4), driven with Pilot: an
administrator adds two agents and a supervisor, configures a campaign's task
form, channels and templates; bad input is one sentence and the typing stays;
agents never get the screen."""

from __future__ import annotations

from textual.widgets import Input, OptionList, TextArea

from sagicc_tui.domain.enums import ChannelType, Role
from sagicc_tui.screens.admin import AdminScreen, TokenShown
from tests.ui.conftest import make_app, settle


async def _open_admin(pilot):
    await settle(pilot)
    await pilot.press("A")
    await settle(pilot)
    assert isinstance(pilot.app.screen, AdminScreen)
    return pilot.app.screen


def notices(app) -> list[str]:
    return [n.message for n in app._notifications]


async def test_an_administrator_builds_the_team_from_the_screen(world):
    app = make_app(world, username="admin")
    async with app.run_test(size=(140, 60)) as pilot:
        screen = await _open_admin(pilot)
        for name, role in (("eva", "agent"), ("fede", "agent"), ("gala", "supervisor")):
            screen.query_one("#user-name", Input).value = name
            screen.query_one("#user-full-name", Input).value = name.capitalize()
            screen.query_one("#user-role").value = role
            screen.query_one("#user-campaigns", Input).value = "1"
            screen.query_one("#user-add").press()
            await settle(pilot)
            assert isinstance(app.screen, TokenShown)
            assert app.screen.query_one("#admin-token", Input).value.startswith("sgc_")
            await pilot.press("escape")
            await settle(pilot)
        made = {u.username: u for u in await world.backend.list_users()}
        assert made["eva"].role is Role.AGENT and made["gala"].role is Role.SUPERVISOR
        assert made["fede"].campaign_ids == (1,)

        await pilot.click("#admin-tabs Tab#--content-tab-tab-campaigns")
        await settle(pilot)
        screen.query_one("#camp-fields", TextArea).text = "resultado:Resultado:choice:required:Resuelto|Pendiente"
        screen.query_one("#camp-primary", Input).value = "resultado"
        screen.query_one("#camp-incoming", Input).value = "email,chat"
        screen.query_one("#camp-templates", TextArea).text = "Respuesta | Su caso {ticket_number} | Hola {customer_name}"
        await pilot.press("ctrl+s")
        await settle(pilot)
        saved = await world.backend.get_campaign(await world.user("admin"), 1)
        assert saved.incoming_channels == (ChannelType.EMAIL, ChannelType.CHAT)
        assert [f.key for f in saved.task_fields] == ["resultado"] and saved.primary_field == "resultado"
        assert [t.name for t in saved.templates] == ["Respuesta"]

        # A duplicate template name: one sentence, nothing saved, the typing kept.
        dup = "Hola | a | uno\nhola | b | dos"
        screen.query_one("#camp-templates", TextArea).text = dup
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any("already a template named hola" in n for n in notices(app)), notices(app)
        assert screen.query_one("#camp-templates", TextArea).text == dup
        assert [t.name for t in (await world.backend.get_campaign(await world.user("admin"), 1)).templates] == ["Respuesta"]
        # An empty task form, an SLA of -1 h: refused likewise.
        screen.query_one("#camp-templates", TextArea).text = "Respuesta | Su caso {ticket_number} | Hola {customer_name}"
        screen.query_one("#camp-sla", TextArea).text = "high -1 4"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any("more than zero" in n for n in notices(app))
        assert screen.query_one("#admin-campaigns", OptionList).option_count == 2


async def test_agents_do_not_get_the_screen(world):
    app = make_app(world, username="ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        assert not isinstance(app.screen, AdminScreen)
        assert any("Only administrators" in n for n in notices(app))


async def test_survey_links_and_gateway_tokens_from_the_screen(world):
    """#18.2: a campaign's survey links (a bad link is one sentence, the typing kept);
    a channel gateway's token issued (shown once, it signs the gateway in) and revoked."""
    from sagicc_tui.local_store import access

    app = make_app(world, username="admin")
    async with app.run_test(size=(140, 60)) as pilot:
        screen = await _open_admin(pilot)
        await pilot.click("#admin-tabs Tab#--content-tab-tab-campaigns")
        await settle(pilot)
        bad = "Satisfacción | ftp://encuesta"
        screen.query_one("#camp-surveys", TextArea).text = bad
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any("must start with https://" in n for n in notices(app)), notices(app)
        assert screen.query_one("#camp-surveys", TextArea).text == bad
        screen.query_one("#camp-surveys", TextArea).text = "Satisfacción | https://encuesta.example.com/s?c=1"
        await pilot.press("ctrl+s")
        await settle(pilot)
        saved = await world.backend.get_campaign(await world.user("admin"), 1)
        assert [(s.name, s.url) for s in saved.surveys] == [("Satisfacción", "https://encuesta.example.com/s?c=1")]
        assert saved.surveys[0].key == "satisfaccion"

        await pilot.click("#admin-tabs Tab#--content-tab-tab-gateways")
        await settle(pilot)
        screen.query_one("#gateway-issue").press()
        await settle(pilot)
        assert any("gateway's name first" in n for n in notices(app))
        screen.query_one("#gateway-name", Input).value = "whatsapp-1"
        screen.query_one("#gateway-issue").press()
        await settle(pilot)
        assert isinstance(app.screen, TokenShown)
        token = app.screen.query_one("#admin-token", Input).value
        assert token.startswith("sgc_")
        found = access.signed_in(world.local.store, token)
        assert found is not None and found[1] is None  # a gateway's token: no user behind it
        await pilot.press("escape")
        await settle(pilot)
        screen.query_one("#gateway-revoke").press()
        await settle(pilot)
        assert any("Revoked 1 token(s) of the gateway whatsapp-1" in n for n in notices(app)), notices(app)
        assert access.signed_in(world.local.store, token) is None


async def test_a_user_changed_by_another_administrator_meanwhile_is_not_overwritten(world):
    """#18 P10: the screen saves a user at the version it read; another administrator's
    save in between is refused with one sentence, the typing kept, their change kept."""
    from sagicc_tui.domain.admin import UserChanges

    app = make_app(world, username="admin")
    async with app.run_test(size=(140, 60)) as pilot:
        screen = await _open_admin(pilot)
        users = screen.query_one("#admin-users", OptionList)
        users.highlighted = next(i for i, u in enumerate(screen.users) if u.username == "bruno")
        await settle(pilot)
        assert screen.query_one("#user-name", Input).value == "bruno"
        read = await world.backend.get_user("bruno")
        await world.backend.update_user(await world.user("admin"), "bruno", UserChanges(full_name="Bruno Otro"),
                                        expected_version=read.version)  # another administrator, meanwhile
        screen.query_one("#user-full-name", Input).value = "Bruno Mío"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any("changed by another administrator" in n for n in notices(app)), notices(app)
        assert screen.query_one("#user-full-name", Input).value == "Bruno Mío"
        assert (await world.backend.get_user("bruno")).full_name == "Bruno Otro"
        # Chosen again, the form shows what was saved meanwhile; now the change goes through.
        users.highlighted = 0
        await settle(pilot)
        users.highlighted = next(i for i, u in enumerate(screen.users) if u.username == "bruno")
        await settle(pilot)
        assert screen.query_one("#user-full-name", Input).value == "Bruno Otro"
        screen.query_one("#user-full-name", Input).value = "Bruno Mío"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert (await world.backend.get_user("bruno")).full_name == "Bruno Mío"


async def test_the_email_section_sets_a_campaigns_mailbox_and_bad_input_keeps_the_typing(world):
    """#13 P4: the campaign's E-mail section; the store's rules, one sentence each."""
    from sagicc_tui.domain.enums import MailSecurity
    from sagicc_tui.domain.models import CampaignMailbox

    app = make_app(world, username="admin")
    async with app.run_test(size=(140, 60)) as pilot:
        screen = await _open_admin(pilot)
        await pilot.click("#admin-tabs Tab#--content-tab-tab-campaigns")
        await settle(pilot)
        assert screen.query_one("#mail-host", Input).value == ""  # campaign 1 reads no mailbox yet
        screen.query_one("#mail-host", Input).value = "imap.empresa.co"
        screen.query_one("#mail-login", Input).value = "soporte@empresa.co"
        screen.query_one("#mail-security").value = "starttls"
        screen.query_one("#mail-folder", Input).value = "Soporte"
        screen.query_one("#mail-password-file", Input).value = "/etc/sagicc/soporte.password"
        await pilot.press("ctrl+s")
        await settle(pilot)
        admin = await world.user("admin")
        assert (await world.backend.get_campaign(admin, 1)).mailbox == CampaignMailbox(
            host="imap.empresa.co", user="soporte@empresa.co", security=MailSecurity.STARTTLS, folder="Soporte",
            password_file="/etc/sagicc/soporte.password")

        # Plain IMAP to another machine, a relative password file, a port in words: refused, typing kept.
        for field, typed, words in (("#mail-port", "noventa", "port must be 1 to 65535"),
                                    ("#mail-password-file", "soporte.password", "must be a full path")):
            screen.query_one(field, Input).value = typed
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert any(words in n for n in notices(app)), notices(app)
            assert screen.query_one(field, Input).value == typed
            screen.query_one(field, Input).value = "" if field == "#mail-port" else "/etc/sagicc/soporte.password"
        screen.query_one("#mail-security").value = "plain"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any("unencrypted to imap.empresa.co" in n for n in notices(app)), notices(app)
        assert (await world.backend.get_campaign(admin, 1)).mailbox.security is MailSecurity.STARTTLS

        # Emptying the server: the campaign reads no mailbox any more.
        screen.query_one("#mail-host", Input).value = ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert (await world.backend.get_campaign(admin, 1)).mailbox is None


async def test_the_campaigns_country_is_set_from_the_screen(world):
    """#15.9: the country a campaign reads phones in, on the campaign form;
    a code phonenumbers does not know is one sentence and the typing stays."""
    app = make_app(world, username="admin")
    async with app.run_test(size=(140, 60)) as pilot:
        screen = await _open_admin(pilot)
        await pilot.click("#admin-tabs Tab#--content-tab-tab-campaigns")
        await settle(pilot)
        country = screen.query_one("#camp-country", Input)
        assert country.value == "CO"
        admin = await world.user("admin")
        version = (await world.backend.get_campaign(admin, 1)).version
        country.value = "Mexico"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any("Mexico is not a country" in n for n in notices(app)), notices(app)
        assert country.value == "Mexico"
        assert (await world.backend.get_campaign(admin, 1)).country == "CO"
        country.value = "mx"
        await pilot.press("ctrl+s")
        await settle(pilot)
        saved = await world.backend.get_campaign(admin, 1)
        assert (saved.country, saved.version) == ("MX", version + 1)
        assert screen.query_one("#camp-country", Input).value == "MX"  # the form shows what was stored
