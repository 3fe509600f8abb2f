"""The tabs of the ticket screen (T4-T14): one module per tab.

Every tab reads and writes through the Backend with `BackendCalls.call`
(widgets/io.py): the result lands on the UI thread, a Backend error becomes
one sentence where the user is looking and next to the field, and what the
user typed stays. Tabs never open dialogs: they post requests that the
screen answers (see base.py).
"""

from sagicc_tui.widgets.io import BackendCalls
from sagicc_tui.widgets.ticket_tabs.account import AccountTab
from sagicc_tui.widgets.ticket_tabs.agenda import AgendaTab
from sagicc_tui.widgets.ticket_tabs.attachments import AttachmentsTab
from sagicc_tui.widgets.ticket_tabs.base import TicketChanged, TicketContext, TicketTabBase
from sagicc_tui.widgets.ticket_tabs.contact import ContactTab, contact_kind
from sagicc_tui.widgets.ticket_tabs.conversation import ConversationTab
from sagicc_tui.widgets.ticket_tabs.customer import CustomerTab
from sagicc_tui.widgets.ticket_tabs.history import HistoryTab
from sagicc_tui.widgets.ticket_tabs.notes import NotesTab
from sagicc_tui.widgets.ticket_tabs.script import ScriptTab
from sagicc_tui.widgets.ticket_tabs.tasks import TasksTab
from sagicc_tui.widgets.ticket_tabs.ticket import TicketTab

__all__ = [
    "AccountTab", "AgendaTab", "AttachmentsTab", "BackendCalls", "ContactTab", "ConversationTab", "CustomerTab",
    "HistoryTab", "NotesTab", "ScriptTab", "TasksTab", "TicketChanged", "TicketContext", "TicketTabBase",
    "TicketTab", "contact_kind",
]
