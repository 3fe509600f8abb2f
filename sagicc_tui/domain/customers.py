"""The customers module (C1-C6, T4-T6): what the Backend takes and returns,
and the validation rules of the customer, contact, account and relation forms.

Plain frozen dataclasses and pure functions, standard library only: the UI and
the headless verbs import this module without loading the store.

Validation returns clean values (trimmed, documents in their canonical form)
or raises InvalidInput with one sentence naming the field and how to fix it.
The Backend validates again whatever the UI already checked: a rule lives here
once and both use it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from sagicc_tui.domain.enums import ContactKind, CustomerStatus, CustomerType, IdType
from sagicc_tui.domain.errors import InvalidInput
from sagicc_tui.domain.messages import N_, Msg
from sagicc_tui.domain.models import (
    Account,
    ContactInfo,
    Customer,
    Interaction,
    TicketCard,
)

model = dataclass(frozen=True, slots=True, kw_only=True)


# --- the list (C1) ---------------------------------------------------------------


class CustomerOrder(StrEnum):
    CREATED_DESC = "created_desc"  # newest first (the default)
    CREATED_ASC = "created_asc"
    NAME = "name"  # first name (the company name for companies), then last names, in Spanish order


#: After every other letter that can follow "n": "ñ" is the letter between n and o.
_ENE = "n\uffff"
_KEY_MARKS = re.compile("[\u0300-\u036f]+")


def _spanish_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().lower()).replace("n\u0303", _ENE)
    return _KEY_MARKS.sub("", decomposed)


def name_sort_key(first: str, middle: str = "", last: str = "", second_last: str = "") -> str:
    """The customer's place in the list's name order (C1), as plain text whose
    code-point order is the Spanish alphabet: first the letters, where accents
    and case do not count (Álvaro with the a's, Óscar with the o's) and ñ is
    the letter after n (Cañas before Castro); then, between names with the
    same letters, the accents (Lucia before Lucía), as ICU's "es" collation
    does. Stored in customer.sort_name, compared bytewise on SQLite and
    PostgreSQL alike, so one index serves the order and its keyset pages.
    First name, then last names, then the middle name.
    """
    parts = (first or "", last or "", second_last or "", middle or "")
    letters = "\u0002".join(_spanish_fold(p) for p in parts)  # always three separators: names compare part by part
    accents = "\u0002".join(unicodedata.normalize("NFC", p.strip().lower()) for p in parts)
    return (letters + "\u0001" + accents)[:300]


@model
class CustomerQuery:
    """What the customer list asks for. Empty values mean "no filter".

    `search` is read by its shape: text with "@" is an e-mail (prefix of the
    normalised address); digits (spaces, dots, dashes, "+" and parentheses
    allowed) are a document number prefix or a phone number prefix; anything
    else is name words (each a prefix, accents ignored) or a passport number.
    The explicit fields search one thing only.
    """

    search: str = ""
    name: str = ""
    document: str = ""
    email: str = ""
    phone: str = ""
    statuses: tuple[CustomerStatus, ...] = ()
    types: tuple[CustomerType, ...] = ()
    order: CustomerOrder = CustomerOrder.CREATED_DESC

    def with_(self, **changes: object) -> CustomerQuery:
        return replace(self, **changes)


@dataclass(frozen=True, slots=True)
class CustomerCursor:
    """Keyset position: the sort key values and id of the last row of a page."""

    key: tuple[int | str, ...]
    id: int


@model
class CustomerListItem:
    """One row of the customer list (C1): nothing more than the list shows."""

    id: int
    type: CustomerType
    id_type: IdType
    id_number: str
    first_name: str
    middle_name: str = ""
    last_name: str = ""
    second_last_name: str = ""
    status: CustomerStatus
    created_at: datetime

    @property
    def full_name(self) -> str:
        parts = (self.first_name, self.middle_name, self.last_name, self.second_last_name)
        return " ".join(p for p in parts if p)


def list_item(c: Customer) -> CustomerListItem:
    """A customer as a list row (the merge chooser takes rows)."""
    return CustomerListItem(id=c.id, type=c.type, id_type=c.id_type, id_number=c.id_number,
                            first_name=c.first_name, middle_name=c.middle_name, last_name=c.last_name,
                            second_last_name=c.second_last_name, status=c.status, created_at=c.created_at)


@dataclass(frozen=True, slots=True)
class CustomerPage:
    rows: tuple[CustomerListItem, ...]
    next_cursor: CustomerCursor | None  # None: this was the last page


# --- forms (C2, T4, T5, T6) --------------------------------------------------------


@model
class CustomerInput:
    """The customer form. Companies put the company name in `first_name` and
    leave the other names empty. `features` None keeps them as they are.
    `email` and `phone` only on add (C2): the customer's first contacts, stored
    with them in one transaction so a customer created by hand can be reached;
    an edit leaves contacts to the contact tab (T5)."""

    type: CustomerType = CustomerType.PERSON
    id_type: IdType
    id_number: str
    first_name: str
    middle_name: str = ""
    last_name: str = ""
    second_last_name: str = ""
    birth_date: date | None = None
    features: tuple[str, ...] | None = None
    email: str = ""
    phone: str = ""


@model
class ContactInput:
    kind: ContactKind
    value: str
    label: str = ""


@model
class AccountInput:
    number: str
    name: str = ""
    extra: dict[str, str] = field(default_factory=dict)


@model
class RelatedCustomer:
    """A relation seen from `customer_id`: the other side, by name (T4, C4)."""

    id: int
    customer_id: int
    related_customer_id: int
    relation: str
    related_name: str
    related_id_type: IdType
    related_id_number: str
    outgoing: bool = True  # False: the other customer recorded the relation
    version: int = 1  # If-Match of update_relation (P10)


# --- the profile (C4) ------------------------------------------------------------------


@model
class CustomerAttachment:
    id: int
    name: str
    size: int
    mime: str
    ticket_id: int
    ticket_number: int
    created_at: datetime


@model
class ProfileInteraction:
    ticket_number: int
    interaction: Interaction


@model
class CustomerAssignment:
    """The customer's assigned user for one campaign (T4); all campaigns: Customer.assigned_user_id."""

    campaign_id: int
    campaign_name: str
    user_id: int
    user_name: str


@model
class CustomerProfile:
    customer: Customer
    contacts: tuple[ContactInfo, ...]
    accounts: tuple[Account, ...]
    relations: tuple[RelatedCustomer, ...]
    attachments: tuple[CustomerAttachment, ...]  # newest first, of tickets in the user's scope
    recent_tickets: tuple[TicketCard, ...]  # last 20 in the user's scope, newest first
    recent_interactions: tuple[ProfileInteraction, ...]  # last 20 across those tickets
    open_tickets: int  # in the user's scope
    assigned_user_name: str = ""
    assignments: tuple[CustomerAssignment, ...] = ()  # per campaign, by campaign name


# --- export (C3) -----------------------------------------------------------------------


class ExportFormat(StrEnum):
    XLSX = "xlsx"
    CSV = "csv"


@model
class ExportResult:
    path: str
    format: ExportFormat
    customers: int
    contacts: int
    accounts: int
    bytes: int
    seconds: float


@model
class CustomerExport:
    """C3 from the Backend: the spreadsheet, complete and its export logged,
    as `chunks` to read once (`result.path` is "" until the caller has written
    it somewhere: sagicc_tui/files.py). The store keeps no file for it: a
    caller that stops reading (aclose) leaves nothing behind."""

    result: ExportResult
    chunks: AsyncIterator[bytes]


# --- similar customers (T4) -------------------------------------------------------------


class SimilarityReason(StrEnum):
    SAME_DOCUMENT = "same_document"
    SAME_PHONE = "same_phone"
    SAME_EMAIL = "same_email"
    SIMILAR_NAME = "similar_name"


REASON_LABELS: dict[SimilarityReason, str] = {
    SimilarityReason.SAME_DOCUMENT: N_("Same document number"),
    SimilarityReason.SAME_PHONE: N_("Same phone number"),
    SimilarityReason.SAME_EMAIL: N_("Same e-mail address"),
    SimilarityReason.SIMILAR_NAME: N_("Similar name"),
}


@model
class SimilarCustomer:
    customer: CustomerListItem
    percentage: int  # 0-100
    reasons: tuple[SimilarityReason, ...]
    name_score: int  # 0-100, rapidfuzz token_sort_ratio of the accent-folded names


# --- merge (C6) ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MergeParts:
    """Which elements of the other customers move to the main one (C6)."""

    contacts: bool = True
    accounts: bool = True
    tickets: bool = True


@model
class MergeCounts:
    """What one customer holds, for the merge preview."""

    customer: CustomerListItem
    contacts: int
    accounts: int
    tickets: int
    open_tickets: int
    version: int = 1  # what the merge expects (expected_versions): a customer edited since is refused
    reach: str = ""  # its first e-mail, else its first phone: two "Duplicado Remoto" told apart


@model
class CustomerMergePreview:
    main: MergeCounts
    others: tuple[MergeCounts, ...]
    changes: tuple[Msg, ...]  # what will happen, sentence by sentence
    blocked: Msg | None = None  # why the merge cannot run as chosen
    unlinked: tuple[int, ...] = ()  # numbers of the tickets that lose their account (deleted with its customer)

    @property
    def expected_versions(self) -> list[int]:
        """For merge_customers: the main customer's version, then the others', as previewed."""
        return [self.main.version, *(o.version for o in self.others)]

    @property
    def can_merge(self) -> bool:
        return self.blocked is None


@model
class CustomerMergeResult:
    main: Customer
    deleted_ids: tuple[int, ...]
    contacts_moved: int
    accounts_moved: int
    tickets_moved: int


# --- validation ------------------------------------------------------------------------

_NAME_MAX = 80
_SPACES = re.compile(r"\s+")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
_PHONE_CHARS = re.compile(r"^\+?[\d\s().\-]+$")
_ALNUM = re.compile(r"^[A-Z0-9]+$")


def _has_controls(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf") for ch in text)


def _text(value: object, label: str, field: str, *, max_len: int = _NAME_MAX) -> str:
    """`label` names the input in the sentence; `field` is its attribute (InvalidInput.field)."""
    text = _SPACES.sub(" ", str(value or "")).strip()
    if _has_controls(text):
        raise InvalidInput(N_("{label} contains control characters; type it again."), label=label, field=field)
    if len(text) > max_len:
        raise InvalidInput(N_("{label} is longer than {max} characters; shorten it."), label=label, field=field,
                           max=max_len)
    return text


def _enum(enum, value: object, label: str, field: str):
    try:
        return enum(value)
    except ValueError:
        raise InvalidInput(
            N_("{value} is not a valid {label}; use one of: {choices}."),
            value=value, label=label, field=field, choices=", ".join(e.value for e in enum),
        ) from None


def nit_check_digit(digits: str) -> int:
    """The DIAN check digit of a NIT (the digits before the dash)."""
    weights = (3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71)
    total = sum(int(d) * w for d, w in zip(reversed(digits), weights, strict=False))
    r = total % 11
    return 11 - r if r >= 2 else r


def clean_document(id_type: IdType | str, value: str) -> str:
    """The canonical document number for its type, or InvalidInput.

    cc: 6-10 digits (dots and spaces dropped); ce: 6-12 letters or digits;
    nit: 9 digits and the DIAN check digit, stored as 900123456-7 (the digit
    is computed when left out, and checked when given); passport: 5-20
    letters or digits; other: anything non-empty up to 30 characters.
    """
    id_type = _enum(IdType, id_type, N_("document type"), "id_type")
    raw = _SPACES.sub(" ", str(value or "")).strip()
    if not raw:
        raise InvalidInput(N_("The document number is required; fill it in."), field="id_number")
    if id_type is IdType.CC:
        doc = raw.replace(".", "").replace(" ", "")
        if not (doc.isascii() and doc.isdigit() and 6 <= len(doc) <= 10):
            raise InvalidInput(
                N_("The document number {value} is not a cédula de ciudadanía: write 6 to 10 digits, like 1020304050."),
                value=raw, field="id_number",
            )
        return doc
    if id_type is IdType.CE:
        doc = raw.replace(" ", "").replace("-", "").upper()
        if not (_ALNUM.match(doc) and 6 <= len(doc) <= 12):
            raise InvalidInput(
                N_("The document number {value} is not a cédula de extranjería: write 6 to 12 letters or digits."),
                value=raw, field="id_number",
            )
        return doc
    if id_type is IdType.NIT:
        doc = raw.replace(".", "").replace(" ", "")
        m = re.fullmatch(r"(\d{9})(?:-(\d))?", doc) if doc.isascii() else None
        if m is None:
            raise InvalidInput(
                N_("The NIT {value} must be 9 digits, optionally followed by a dash and the check digit, like 900123456-7."),
                value=raw, field="id_number",
            )
        expected = nit_check_digit(m.group(1))
        if m.group(2) is not None and int(m.group(2)) != expected:
            raise InvalidInput(
                N_("The check digit of NIT {value} is wrong: it should be {digit}; check the number."),
                value=raw, digit=expected, field="id_number",
            )
        return f"{m.group(1)}-{expected}"
    if id_type is IdType.PASSPORT:
        doc = raw.replace(" ", "").upper()
        if not (_ALNUM.match(doc) and 5 <= len(doc) <= 20):
            raise InvalidInput(
                N_("The passport number {value} must be 5 to 20 letters or digits, without spaces or symbols."),
                value=raw, field="id_number",
            )
        return doc
    return _text(raw, N_("Document number"), "id_number", max_len=30)


def validate_customer(data: CustomerInput, *, today: date | None = None) -> CustomerInput:
    """The customer form, clean; InvalidInput names the first wrong field."""
    ctype = _enum(CustomerType, data.type, N_("customer type"), "type")
    id_type = _enum(IdType, data.id_type, N_("document type"), "id_type")
    first = _text(data.first_name, N_("Company name") if ctype is CustomerType.COMPANY else N_("First name"),
                  "first_name")
    middle = _text(data.middle_name, N_("Middle name"), "middle_name")
    last = _text(data.last_name, N_("Last name"), "last_name")
    second = _text(data.second_last_name, N_("Second last name"), "second_last_name")
    if not first:
        if ctype is CustomerType.COMPANY:
            raise InvalidInput(N_("The company name is required; fill it in."), field="first_name")
        raise InvalidInput(N_("The first name is required; fill it in."), field="first_name")
    if ctype is CustomerType.PERSON and not last:
        raise InvalidInput(N_("The last name is required for a person; fill it in."), field="last_name")
    if ctype is CustomerType.COMPANY and (middle or last or second):
        raise InvalidInput(
            N_("A company has no middle or last names; write the whole company name in the first field."),
            field="middle_name" if middle else "last_name" if last else "second_last_name",
        )
    doc = clean_document(id_type, data.id_number)
    birth = data.birth_date
    if birth is not None:
        if isinstance(birth, datetime):
            birth = birth.date()
        if not isinstance(birth, date):
            try:
                birth = date.fromisoformat(str(birth).strip())
            except ValueError:
                raise InvalidInput(N_("The date of birth must be a date as YYYY-MM-DD."), field="birth_date") from None
        today = today or date.today()
        if birth > today or birth.year < 1900:
            raise InvalidInput(
                N_("The date of birth {value} is not possible; check the year."), value=birth.isoformat(),
                field="birth_date",
            )
    features = data.features
    if features is not None:
        seen: list[str] = []
        for f in features:
            text = _text(f, N_("Feature"), "features", max_len=40)
            if text and text not in seen:
                seen.append(text)
        features = tuple(seen)
    email = str(data.email or "").strip()
    if email:
        email = _as_field(ContactInput(kind=ContactKind.EMAIL, value=email), "email")
    phone = str(data.phone or "").strip()
    if phone:
        phone = _as_field(ContactInput(kind=ContactKind.MOBILE, value=phone), "phone")
    return CustomerInput(
        type=ctype, id_type=id_type, id_number=doc, first_name=first, middle_name=middle,
        last_name=last, second_last_name=second, birth_date=birth, features=features, email=email, phone=phone,
    )


def _as_field(contact: ContactInput, field: str) -> str:
    """A first contact of the customer form: its sentence is about that form's own input."""
    try:
        return validate_contact(contact).value
    except InvalidInput as e:
        e.field = field
        raise


def validate_contact(data: ContactInput) -> ContactInput:
    """A contact, clean: e-mails like name@example.com, phones 7-15 digits."""
    kind = _enum(ContactKind, data.kind, N_("contact type"), "kind")
    label = _text(data.label, N_("Label"), "label", max_len=40)
    if kind is ContactKind.ADDRESS:
        value = _text(data.value, N_("Address"), "value", max_len=300)
    else:
        value = _text(data.value, N_("Contact information"), "value", max_len=254)
    if not value:
        raise InvalidInput(N_("The contact information is empty; write the e-mail, phone, address or account."),
                           field="value")
    if kind is ContactKind.EMAIL:
        if not _EMAIL.match(value):
            raise InvalidInput(
                N_("{value} is not an e-mail address; write it like name@example.com."), value=value,
                field="value",
            )
    elif kind in (ContactKind.PHONE, ContactKind.MOBILE):
        digits = "".join(ch for ch in value if ch.isdigit())
        if not _PHONE_CHARS.match(value) or not 7 <= len(digits) <= 15:
            raise InvalidInput(
                N_("{value} is not a phone number; write 7 to 15 digits, like +57 300 123 4567."), value=value,
                field="value",
            )
    elif kind is ContactKind.SOCIAL and len(value) > 100:
        raise InvalidInput(N_("{label} is longer than {max} characters; shorten it."),
                           label=N_("Social account"), field="value", max=100)
    return ContactInput(kind=kind, value=value, label=label)


def parse_account_extra(text: str) -> dict[str, str]:
    """An account's additional information as typed, `key=value; key=value` (T6).
    An item without `=` is refused with its text, never silently dropped."""
    extra: dict[str, str] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        if "=" not in part:
            raise InvalidInput(N_("The additional information {item} has no = sign; write it as key=value, "
                                  "like plan=Plus, and separate items with ;."), item=part.strip()[:60], field="extra")
        k, v = part.split("=", 1)
        if not k.strip():
            raise InvalidInput(N_("An additional field of the account has no name; name it or remove it."),
                               field="extra")
        extra[k.strip()] = v.strip()
    return extra


def validate_account(data: AccountInput) -> AccountInput:
    number = _text(data.number, N_("Account number"), "number", max_len=40)
    if not number:
        raise InvalidInput(N_("The account number is required; fill it in."), field="number")
    name = _text(data.name, N_("Account name"), "name", max_len=120)
    extra: dict[str, str] = {}
    for k, v in (data.extra or {}).items():
        key = _text(k, N_("Field name"), "extra", max_len=60)
        if not key:
            raise InvalidInput(N_("An additional field of the account has no name; name it or remove it."),
                               field="extra")
        extra[key] = _text(v, key, "extra", max_len=500)
    return AccountInput(number=number, name=name, extra=extra)


def validate_relation(text: str) -> str:
    relation = _text(text, N_("Relation"), "relation", max_len=80)
    if not relation:
        raise InvalidInput(N_("Say how the customers are related, like Spouse or Legal representative."),
                           field="relation")
    return relation


class DuplicateCustomer(InvalidInput):
    """Another customer already has this document; `existing_id` is that customer,
    so the UI can offer to open it (or save anyway with allow_duplicate)."""

    def __init__(self, template: str, *, existing_id: int, **params: object) -> None:
        super().__init__(template, id=existing_id, field="id_number", **params)
        self.existing_id = existing_id
