"""Tests for sagicc_tui.sanitize: hostile payloads must reach the screen as
inert, visible, literal text."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sagicc_tui import sanitize
from sagicc_tui.sanitize import ELLIPSIS, clean, one_line

# Deterministic, no wall-clock deadline, no .hypothesis/ directory in the tree.
HYPOTHESIS = settings(derandomize=True, deadline=None, database=None, max_examples=300)

BIDI = {0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069,
        0x200E, 0x200F, 0x061C}
ZERO_WIDTH = {0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF}

PAYLOADS: list[str] = [
    "\x1b[2J\x1b[31mred",
    "\x1b]8;;http://x\x1b\\x\x1b]8;;\x1b\\",  # OSC 8 hyperlink
    "\x1b]52;c;aGVsbG8=\x07",  # OSC 52 clipboard write
    "\x9b31mC1 CSI",
    "\x9d0;title\x9c",  # C1 OSC ... ST
    "bell\x07",
    "nul\x00byte",
    "del\x7fete",
    "user\u202egpj.exe",
    "\u2066isolate\u2069 \u200fmark\u200e \u061calm",
    "pay\u200bpal\u200c\u200d\u2060\ufeff",
    "tag\U000e0041\U000e0042smuggle",
    "[@click=app.quit]quit[/]",
    "[link=http://x]x[/link]",
    "[bold red]x",
    "$variable",
    "😀👍🏽 中文字符 ｗｉｄｅ",
    "e\u0301 n\u0303 a\u0308\u0323",
    "x" * 100_000,
    "\ud800 lone \udfff surrogates",
    "crlf\r\nlone\rcr\u2028ls\u2029ps",
    "tab\there\nnew line",
]


def forbidden(ch: str, *, single_line: bool) -> bool:
    """Independent oracle (does not reuse the module's tables)."""
    cp = ord(ch)
    if ch in "\n\t":
        return single_line
    return (
        cp < 0x20
        or 0x7F <= cp <= 0x9F
        or cp in BIDI
        or cp in ZERO_WIDTH
        or 0xD800 <= cp <= 0xDFFF
        or cp in (0x2028, 0x2029)
        or unicodedata.category(ch) == "Cf"
    )


def assert_safe(value: str, *, single_line: bool) -> None:
    bad = [f"U+{ord(c):04X}" for c in value if forbidden(c, single_line=single_line)]
    assert not bad, f"forbidden code points survived: {bad[:10]}"


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("single_line", [False, True])
def test_payloads_are_neutralised(payload: str, single_line: bool) -> None:
    out = clean(payload, single_line=single_line)
    assert_safe(out, single_line=single_line)
    assert clean(out, single_line=single_line) == out


@pytest.mark.parametrize("payload", PAYLOADS)
def test_one_line_payloads(payload: str) -> None:
    out = one_line(payload)
    assert_safe(out, single_line=True)
    assert "\n" not in out and "  " not in out
    assert out == out.strip()


def test_caret_notation_for_c0_and_del() -> None:
    assert clean("\x1b[2J\x1b[31mred") == "^[[2J^[[31mred"
    assert clean("a\x07b\x00c\x7f") == "a^Gb^@c^?"
    assert clean("\x1f\x1c") == "^_^\\"


def test_c1_bidi_zero_width_are_visible_code_points() -> None:
    assert clean("\x9b31m") == "<U+009B>31m"
    assert clean("user\u202egpj.exe") == "user<U+202E>gpj.exe"
    assert clean("pay\u200bpal") == "pay<U+200B>pal"
    assert clean("\ufeffbom") == "<U+FEFF>bom"


def test_newlines_and_tabs() -> None:
    assert clean("a\r\nb\rc") == "a\nb\nc"
    assert clean("a\u2028b") == "a\nb"
    assert clean("a\tb\nc") == "a\tb\nc"
    assert clean("a\r\nb\tc\nd", single_line=True) == "a b c d"
    assert one_line("  a \t\r\n b\u00a0\u3000 c  ") == "a b c"


def test_lone_surrogates_become_replacement_char() -> None:
    assert clean("\ud800x\udfff") == "\ufffdx\ufffd"
    # The result must be encodable, i.e. writable to a UTF-8 terminal.
    clean("\ud800").encode("utf-8")


def test_none_and_non_strings() -> None:
    assert clean(None) == ""
    assert one_line(None) == ""
    assert clean(42) == "42"
    assert clean(ValueError("bad\x1bthing")) == "bad^[thing"


@pytest.mark.parametrize(
    "payload",
    ["[@click=app.quit]quit[/]", "[link=http://x]x[/link]", "[bold red]x", "$variable",
     "😀 中文 e\u0301"],
)
def test_markup_and_unicode_survive_literally(payload: str) -> None:
    assert clean(payload) == payload
    assert one_line(payload) == payload


def test_truncation() -> None:
    assert clean("abcdef", max_len=10) == "abcdef"
    assert clean("abcdef", max_len=6) == "abcdef"
    assert clean("abcdefg", max_len=6) == "abcde" + ELLIPSIS
    assert clean("abc", max_len=0) == ""
    assert clean("abc", max_len=1) == ELLIPSIS
    assert one_line("hello   big world", max_len=7) == "hello" + ELLIPSIS
    long = "x" * 100_000
    out = clean(long, max_len=80)
    assert len(out) == 80 and out.endswith(ELLIPSIS)
    with pytest.raises(ValueError):
        clean("abc", max_len=-1)


def test_truncation_keeps_combining_marks_with_their_base() -> None:
    # "e" + COMBINING ACUTE straddles the cut: drop both, not just the accent.
    assert clean("abe\u0301z", max_len=4) == "ab" + ELLIPSIS
    assert clean("中文字符", max_len=3) == "中文" + ELLIPSIS


def test_content_and_text_never_parse_markup() -> None:
    payload = "[@click=app.quit]quit[/] [link=http://x]x[/link] $variable\x1b[31m"
    rendered = sanitize.content(payload)
    assert rendered.plain == clean(payload)
    assert not rendered.spans  # no style, no link, no action was parsed
    rich_text = sanitize.text(payload, style="bold")
    assert rich_text.plain == clean(payload)
    assert not rich_text.spans
    assert str(rich_text.style) == "bold"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_content_segments_are_literal_and_escape_free(payload: str) -> None:
    segments = sanitize.content(payload, single_line=True).render_segments()
    joined = "".join(segment.text for segment in segments)
    assert "\x1b" not in joined
    assert joined == clean(payload, single_line=True)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_rich_console_export_has_no_escapes(payload: str) -> None:
    from rich.console import Console

    payload = payload[:150]  # keep it on one 200-cell line

    console = Console(record=True, width=200, file=io.StringIO(), color_system=None)
    console.print(sanitize.text(payload, single_line=True))
    exported = console.export_text(styles=False)
    assert "\x1b" not in exported
    assert clean(payload, single_line=True) in exported


def test_renders_literally_inside_a_textual_static() -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    payloads = [
        "[@click=app.quit]quit[/]",
        "[bold red]x",
        "$variable",
        "\x1b[2J\x1b[31mred",
        "\x1b]8;;http://x\x1b\\x\x1b]8;;\x1b\\",
        "user\u202egpj.exe",
        "\x9b31m",
    ]

    class Probe(App[None]):
        def compose(self) -> ComposeResult:
            for payload in payloads:
                yield Static(sanitize.content(payload, single_line=True))

    async def render() -> list[str]:
        app = Probe()
        async with app.run_test(size=(120, 20)) as pilot:
            await pilot.pause()
            return [widget.render_line(0).text for widget in app.query(Static)]

    lines = asyncio.run(render())
    for payload, line in zip(payloads, lines, strict=True):
        assert "\x1b" not in line
        assert line.rstrip() == clean(payload, single_line=True)
    assert lines[0].startswith("[@click=app.quit]quit[/]")


def test_format_ranges_match_unicodedata() -> None:
    """A Python upgrade that adds Cf characters must update _FORMAT_RANGES."""
    covered = {cp for first, last in sanitize._FORMAT_RANGES
               for cp in range(first, last + 1)}
    actual = {cp for cp in range(sys.maxunicode + 1)
              if unicodedata.category(chr(cp)) == "Cf"}
    assert actual <= covered, sorted(f"U+{cp:04X}" for cp in actual - covered)


def test_import_does_not_load_textual_or_rich() -> None:
    code = ("import sys, sagicc_tui.sanitize; "
            "print(any(m.split('.')[0] in ('textual', 'rich') for m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True,
                            text=True, check=True, env=None)
    assert result.stdout.strip() == "False"


# Bias generation towards the interesting code points while keeping full range.
_NASTY = st.sampled_from(
    [chr(cp) for cp in range(0x20)] + ["\x7f", "\x85", "\x9b", "\x9c", "\u2028",
     "\u2029", "\ud800", "\udfff", "\u0301", "\u200d", "\U0001F600", "中", "[", "$"]
    + [chr(cp) for cp in BIDI | ZERO_WIDTH]
)
ANY_TEXT = st.text(alphabet=st.one_of(st.characters(), _NASTY))


@HYPOTHESIS
@given(ANY_TEXT, st.booleans())
def test_property_clean_is_safe_and_idempotent(value: str, single_line: bool) -> None:
    out = clean(value, single_line=single_line)
    assert_safe(out, single_line=single_line)
    assert clean(out, single_line=single_line) == out
    out.encode("utf-8")  # no surrogates left


@HYPOTHESIS
@given(st.text())
def test_property_plain_text_never_raises(value: str) -> None:
    assert_safe(clean(value), single_line=False)


@HYPOTHESIS
@given(ANY_TEXT, st.integers(min_value=0, max_value=40))
def test_property_truncation_bounds(value: str, max_len: int) -> None:
    out = clean(value, max_len=max_len)
    assert len(out) <= max_len
    assert clean(out, max_len=max_len) == out
    assert_safe(out, single_line=False)


@HYPOTHESIS
@given(ANY_TEXT, st.one_of(st.none(), st.integers(min_value=0, max_value=40)))
def test_property_one_line(value: str, max_len: int | None) -> None:
    out = one_line(value, max_len=max_len)
    assert "\n" not in out and "\r" not in out and "\t" not in out
    assert_safe(out, single_line=True)
    assert one_line(out, max_len=max_len) == out
    if max_len is not None:
        assert len(out) <= max_len
