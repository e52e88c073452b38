"""Tests for promptyard.domain.diff."""

from __future__ import annotations

import difflib
import itertools
import json
import random
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from promptyard.domain import diff
from promptyard.domain.diff import (
    Span,
    content_to_text,
    diff_config,
    diff_contents,
    split_lines,
    tokenize,
    unified_diff,
    word_diff,
)
from promptyard.domain.errors import ValidationFailed

# Small alphabets make texts share words, so diffs have something to match.
small_text = st.text(alphabet="ab \n.é", max_size=40)
any_text = st.text(max_size=60)


def old_side(spans: list[Span]) -> str:
    return "".join(span.text for span in spans if span.op != "insert")


def new_side(spans: list[Span]) -> str:
    return "".join(span.text for span in spans if span.op != "delete")


def assert_canonical(spans: list[Span]) -> None:
    """No empty spans, no neighbours of one kind, each change is delete then insert."""
    assert all(span.text for span in spans)
    for left, right in itertools.pairwise(spans):
        assert left.op != right.op
        assert (left.op, right.op) != ("insert", "delete")


# ---------------------------------------------------------------------------- tokenize


def test_tokenize_words_whitespace_punctuation() -> None:
    assert tokenize("Hi,  {{ name }}!\n") == [
        "Hi", ",", "  ", "{", "{", " ", "name", " ", "}", "}", "!", "\n",
    ]  # fmt: skip


def test_tokenize_each_newline_is_its_own_token_and_crlf_is_one() -> None:
    assert tokenize("a\n\n \tb\r\nc\r") == ["a", "\n", "\n", " \t", "b", "\r\n", "c", "\r"]


def test_tokenize_unicode_words_and_clusters_stay_whole() -> None:
    # Devanagari vowel signs and viramas are not \w; they must stay with their letter.
    assert tokenize("हिन्दी भाषा") == ["हिन्दी", " ", "भाषा"]
    decomposed = "cafe\u0301"
    assert tokenize(decomposed) == [decomposed]
    family = "\U0001f469\u200d\U0001f469\u200d\U0001f467"
    assert tokenize(f"{family} 👍🏽 🇫🇷!") == [family, " ", "👍🏽", " ", "🇫🇷", "!"]
    assert tokenize("日本語, x_1") == ["日本語", ",", " ", "x_1"]


@given(any_text)
def test_tokenize_round_trips(text: str) -> None:
    assert "".join(tokenize(text)) == text
    assert all(tokenize(text))


def test_tokenize_empty() -> None:
    assert tokenize("") == []


# --------------------------------------------------------------------------- word_diff


def test_word_diff_replacement_is_delete_then_insert() -> None:
    assert word_diff("You are a helpful bot.", "You are a terse bot.") == [
        Span("equal", "You are a "),
        Span("delete", "helpful"),
        Span("insert", "terse"),
        Span("equal", " bot."),
    ]


def test_word_diff_merges_adjacent_spans_of_one_kind() -> None:
    spans = word_diff("one two three", "one 2 3 three four five")
    assert spans == [
        Span("equal", "one "),
        Span("delete", "two"),
        Span("insert", "2 3"),
        Span("equal", " three"),
        Span("insert", " four five"),
    ]
    assert_canonical(spans)


def test_word_diff_empty_and_identical() -> None:
    assert word_diff("", "") == []
    assert word_diff("", "new text") == [Span("insert", "new text")]
    assert word_diff("old text", "") == [Span("delete", "old text")]
    assert word_diff("same\n", "same\n") == [Span("equal", "same\n")]


def test_word_diff_unicode_and_crlf() -> None:
    spans = word_diff("Grüße, 世界\r\nline two", "Grüße, 世界!\r\nline 2")
    assert spans == [
        Span("equal", "Grüße, 世界"),
        Span("insert", "!"),
        Span("equal", "\r\nline "),
        Span("delete", "two"),
        Span("insert", "2"),
    ]


def test_word_diff_spans_serialise() -> None:
    spans = word_diff("a b", "a c")
    assert json.loads(json.dumps([span.to_dict() for span in spans])) == [
        {"op": "equal", "text": "a "},
        {"op": "delete", "text": "b"},
        {"op": "insert", "text": "c"},
    ]


@given(small_text, small_text)
def test_word_diff_sides_rebuild_inputs(old: str, new: str) -> None:
    spans = word_diff(old, new)
    assert old_side(spans) == old
    assert new_side(spans) == new
    assert_canonical(spans)


@given(any_text, any_text)
def test_word_diff_sides_rebuild_arbitrary_unicode(old: str, new: str) -> None:
    spans = word_diff(old, new)
    assert old_side(spans) == old
    assert new_side(spans) == new
    assert_canonical(spans)


@given(small_text, small_text)
def test_word_diff_anchoring_path_keeps_invariants(old: str, new: str) -> None:
    # A zero budget forces the path used for huge inputs (anchors, then coarse ranges).
    with mock.patch.object(diff, "_MATCHER_BUDGET", 0):
        spans = word_diff(old, new)
    assert old_side(spans) == old
    assert new_side(spans) == new
    assert_canonical(spans)


def test_word_diff_anchoring_finds_small_edits() -> None:
    old = " ".join(f"w{i}" for i in range(200))
    new = old.replace("w50 ", "w50 inserted ").replace(" w120", "")
    with mock.patch.object(diff, "_MATCHER_BUDGET", 0):
        spans = word_diff(old, new)
    assert [span for span in spans if span.op != "equal"] == [
        Span("insert", "inserted "),
        Span("delete", " w120"),
    ]


def _prose(rng: random.Random, size: int) -> str:
    vocabulary = [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))
        for _ in range(2000)
    ]
    common = ["the", "a", "of", "to", "and", "{{ name }}", ",", "."]
    words: list[str] = []
    length = 0
    while length < size:
        word = rng.choice(common) if rng.random() < 0.4 else rng.choice(vocabulary)
        words.append(word + ("\n" if rng.random() < 0.05 else " "))
        length += len(words[-1])
    return "".join(words)


def _inner_loop_steps(a: Sequence[str], b: Sequence[str]) -> int:
    """SequenceMatcher's inner-loop visits on ``a`` against ``b``: for every token of
    ``a``, every position of that token in ``b``."""
    counts = Counter(b)
    return sum(counts[token] for token in a)


@contextmanager
def _diff_work() -> Iterator[list[int]]:
    """Count the work :func:`word_diff` does inside the block, in token visits: the
    inner-loop steps of every SequenceMatcher it runs plus the tokens it scans for
    anchors. The timing of the same inputs is in ``bench/render.py``."""
    work = [0]
    anchors = diff._unique_anchors

    class CountingMatcher(difflib.SequenceMatcher[str]):
        def __init__(self, isjunk: None, a: Sequence[str], b: Sequence[str], **kw: bool) -> None:
            work[0] += _inner_loop_steps(a, b)
            super().__init__(isjunk, a, b, **kw)

    def counting_anchors(
        a: list[str], b: list[str], alo: int, ahi: int, blo: int, bhi: int
    ) -> list[tuple[int, int]]:
        work[0] += (ahi - alo) + (bhi - blo)
        return anchors(a, b, alo, ahi, blo, bhi)

    with (
        mock.patch.object(diff.difflib, "SequenceMatcher", CountingMatcher),
        mock.patch.object(diff, "_unique_anchors", counting_anchors),
    ):
        yield work


@pytest.mark.parametrize("one_line", [False, True])
def test_word_diff_does_bounded_work_on_50_kb_prompts(one_line: bool) -> None:
    rng = random.Random(7)
    old = _prose(rng, 50_000)
    if one_line:
        old = old.replace("\n", " ")
    chars = list(old)
    for _ in range(10):
        at = rng.randrange(len(chars))
        chars[at : at + 4] = "EDITED "
    new = "".join(chars)
    unrelated = _prose(rng, 50_000)

    with _diff_work() as work:
        spans = word_diff(old, new)
        other = word_diff(old, unrelated)

    # A plain SequenceMatcher over these tokens would take ~10**8 steps (common tokens
    # make it quadratic); the budget and the anchoring keep it to a tiny fraction.
    plain = _inner_loop_steps(tokenize(old), tokenize(new))
    plain += _inner_loop_steps(tokenize(old), tokenize(unrelated))
    assert work[0] < plain / 100, (work[0], plain)
    assert (old_side(spans), new_side(spans)) == (old, new)
    assert (old_side(other), new_side(other)) == (old, unrelated)
    # A few small edits stay a few small spans, not a wholesale rewrite.
    assert sum(len(span.text) for span in spans if span.op != "equal") < 400


# ------------------------------------------------------------------------ unified_diff

_HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def apply_patch(old: str, patch: str) -> str:
    """A tiny unified-diff applier: checks context and removed lines as it goes."""
    if not patch:
        return old
    source = split_lines(old)
    lines = split_lines(patch)
    assert lines[0].startswith("--- ") and lines[1].startswith("+++ ")
    hunks: list[tuple[int, int, list[list[str]]]] = []
    for line in lines[2:]:
        if line.startswith("@@"):
            match = _HUNK.match(line)
            assert match, line
            start, count = int(match[1]), int(match[2] or 1)
            hunks.append((start if count else start + 1, count, []))
        elif line.startswith("\\"):
            assert line == "\\ No newline at end of file\n"
            last = hunks[-1][2][-1]
            assert last[1].endswith("\n")
            last[1] = last[1][:-1]
        else:
            assert line[0] in " +-", line
            hunks[-1][2].append([line[0], line[1:]])
    out: list[str] = []
    position = 0  # 0-based index of the next source line to copy
    for start, _count, body in hunks:
        out.extend(source[position : start - 1])
        position = start - 1
        for tag, text in body:
            if tag in " -":
                assert source[position] == text
                position += 1
            if tag in " +":
                out.append(text)
    out.extend(source[position:])
    return "".join(out)


def test_unified_diff_standard_format() -> None:
    old = "line 1\nline 2\nline 3\n"
    new = "line 1\nline two\nline 3\nline 4\n"
    assert unified_diff(old, new, from_name="v1", to_name="v2") == (
        "--- v1\n+++ v2\n@@ -1,3 +1,4 @@\n line 1\n-line 2\n+line two\n line 3\n+line 4\n"
    )


def test_unified_diff_equal_texts_give_empty_diff() -> None:
    assert unified_diff("same\n", "same\n") == ""
    assert unified_diff("", "") == ""


def test_unified_diff_missing_trailing_newline_like_git() -> None:
    assert unified_diff("a\nb", "a\nc") == (
        "--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n"
        "\\ No newline at end of file\n+c\n\\ No newline at end of file\n"
    )
    assert unified_diff("a\nb", "a\nb\n") == (
        "--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n"
    )
    # An unchanged last line without newline is context, and still marked.
    assert unified_diff("x\nend", "y\nend") == (
        "--- a\n+++ b\n@@ -1,2 +1,2 @@\n-x\n+y\n end\n\\ No newline at end of file\n"
    )


def test_unified_diff_from_and_to_empty() -> None:
    assert unified_diff("", "new\n") == "--- a\n+++ b\n@@ -0,0 +1 @@\n+new\n"
    assert unified_diff("old", "") == (
        "--- a\n+++ b\n@@ -1 +0,0 @@\n-old\n\\ No newline at end of file\n"
    )


def test_unified_diff_keeps_crlf_and_does_not_split_on_other_separators() -> None:
    patch = unified_diff("a\r\nb\u2028c\r\n", "a\r\nB\u2028c\r\n", context=0)
    assert patch == "--- a\n+++ b\n@@ -2 +2 @@\n-b\u2028c\r\n+B\u2028c\r\n"


def test_unified_diff_context_lines() -> None:
    old = "".join(f"{i}\n" for i in range(20))
    new = old.replace("10\n", "ten\n")
    expected = "--- a\n+++ b\n@@ -10,3 +10,3 @@\n 9\n-10\n+ten\n 11\n"
    assert unified_diff(old, new, context=1) == expected
    with pytest.raises(ValidationFailed):
        unified_diff(old, new, context=-1)


lines_text = st.text(alphabet="ab\n\r", max_size=40)


@given(lines_text, lines_text, st.integers(min_value=0, max_value=4))
def test_unified_diff_applies_back(old: str, new: str, context: int) -> None:
    assert apply_patch(old, unified_diff(old, new, context=context)) == new


# ------------------------------------------------------------------ content and config

CHAT = [
    {"role": "system", "content": "You are {{ persona }}."},
    {"type": "placeholder", "name": "history"},
    {"role": "user", "content": "Hi", "name": "bob"},
]


def test_content_to_text() -> None:
    assert content_to_text("text", "Hello {{ name }}") == "Hello {{ name }}"
    assert content_to_text("chat", CHAT) == (
        "### system\nYou are {{ persona }}.\n\n### placeholder: history\n\n### user (bob)\nHi\n"
    )
    assert content_to_text("chat", []) == ""


def test_content_to_text_rejects_mismatched_content() -> None:
    with pytest.raises(ValidationFailed):
        content_to_text("text", CHAT)
    with pytest.raises(ValidationFailed):
        content_to_text("chat", "hello")
    with pytest.raises(ValidationFailed):
        content_to_text("image", "hello")


def test_diff_config_flat_and_nested() -> None:
    old = {
        "model": "gpt-4o",
        "temperature": 0.2,
        "stop": ["\n"],
        "provider": {"openai": {"seed": 1, "user": "x"}, "region": "eu"},
        "stream": 1,
        "max_tokens": 100,
    }
    new = {
        "model": "gpt-4o",
        "temperature": 0.7,
        "stop": ["\n", "END"],
        "provider": {"openai": {"seed": 2, "user": "x"}, "cache": {"ttl": 60}},
        "stream": True,
        "top_p": 0.9,
        "max_tokens": 100.0,
    }
    assert diff_config(old, new) == [
        {"path": "provider.cache", "op": "added", "old": None, "new": {"ttl": 60}},
        {"path": "provider.openai.seed", "op": "changed", "old": 1, "new": 2},
        {"path": "provider.region", "op": "removed", "old": "eu", "new": None},
        {"path": "stop", "op": "changed", "old": ["\n"], "new": ["\n", "END"]},
        {"path": "stream", "op": "changed", "old": 1, "new": True},
        {"path": "temperature", "op": "changed", "old": 0.2, "new": 0.7},
        {"path": "top_p", "op": "added", "old": None, "new": 0.9},
    ]


def test_diff_config_dict_replaced_by_value_and_empty_configs() -> None:
    assert diff_config({"provider": {"a": 1}}, {"provider": "default"}) == [
        {"path": "provider", "op": "changed", "old": {"a": 1}, "new": "default"}
    ]
    assert diff_config({}, {}) == []
    assert diff_config(None, {"model": "m"}) == [
        {"path": "model", "op": "added", "old": None, "new": "m"}
    ]


def test_diff_contents_text() -> None:
    result = diff_contents(
        "text",
        "Summarise {{ doc }} briefly.\n",
        {"temperature": 0.2},
        "text",
        "Summarise {{ doc }} in three short bullet points.\n",
        {"temperature": 0.2},
        from_name="v1",
        to_name="v2",
    )
    assert json.loads(json.dumps(result)) == result
    assert result["type_changed"] is False
    assert result["messages"] is None
    assert result["config"] == []
    assert result["spans"] == [
        {"op": "equal", "text": "Summarise {{ doc }} "},
        {"op": "delete", "text": "briefly"},
        {"op": "insert", "text": "in three short bullet points"},
        {"op": "equal", "text": ".\n"},
    ]
    assert result["stats"] == {"insertions": 5, "deletions": 1}
    assert result["unified"].startswith("--- v1\n+++ v2\n@@ -1 +1 @@\n")


def test_diff_contents_chat_aligns_messages() -> None:
    old = [
        {"role": "system", "content": "Be brief."},
        {"type": "placeholder", "name": "history"},
        {"role": "user", "content": "Question: {{ q }}"},
    ]
    new = [
        {"role": "system", "content": "Be brief and kind."},
        {"role": "assistant", "content": "Sure."},
        {"role": "user", "content": "Question: {{ q }}"},
    ]
    result = diff_contents(
        "chat", old, {}, "chat", new, {"model": "m"}, from_name="v1", to_name="v2"
    )
    assert json.loads(json.dumps(result)) == result
    messages = result["messages"]
    assert [(m["op"], m["old_index"], m["new_index"]) for m in messages] == [
        ("changed", 0, 0),
        ("delete", 1, None),
        ("insert", None, 1),
        ("equal", 2, 2),
    ]
    assert messages[0]["spans"] == [
        {"op": "equal", "text": "Be brief"},
        {"op": "insert", "text": " and kind"},
        {"op": "equal", "text": "."},
    ]
    assert (messages[0]["role_old"], messages[0]["role_new"]) == ("system", "system")
    placeholder = messages[1]
    assert placeholder["kind_old"] == "placeholder"
    assert placeholder["name_old"] == "history"
    assert placeholder["role_old"] is None
    assert placeholder["spans"] == []
    assert messages[2]["role_new"] == "assistant"
    assert messages[2]["spans"] == [{"op": "insert", "text": "Sure."}]
    assert messages[3]["spans"] == [{"op": "equal", "text": "Question: {{ q }}"}]
    assert result["config"] == [{"path": "model", "op": "added", "old": None, "new": "m"}]
    assert "+### assistant\n" in result["unified"]


def test_diff_contents_role_change_is_a_changed_message() -> None:
    result = diff_contents(
        "chat",
        [{"role": "user", "content": "Hi"}],
        {},
        "chat",
        [{"role": "system", "content": "Hi"}],
        {},
        from_name="a",
        to_name="b",
    )
    [entry] = result["messages"]
    assert (entry["op"], entry["role_old"], entry["role_new"]) == ("changed", "user", "system")


def test_diff_contents_type_change() -> None:
    result = diff_contents(
        "text",
        "Hello",
        {},
        "chat",
        [{"role": "user", "content": "Hello"}],
        {},
        from_name="a",
        to_name="b",
    )
    assert result["type_changed"] is True
    assert result["messages"] is None
    assert new_side([Span(**s) for s in result["spans"]]) == "### user\nHello\n"


def test_diff_contents_renamed_placeholder_is_changed() -> None:
    result = diff_contents(
        "chat",
        [{"type": "placeholder", "name": "history"}],
        {},
        "chat",
        [{"type": "placeholder", "name": "chat_history"}],
        {},
        from_name="a",
        to_name="b",
    )
    [entry] = result["messages"]
    assert (entry["op"], entry["name_old"], entry["name_new"]) == (
        "changed",
        "history",
        "chat_history",
    )


message_strategy = st.one_of(
    st.fixed_dictionaries(
        {
            "role": st.sampled_from(["system", "user", "assistant"]),
            "content": st.text(alphabet="ab \n", max_size=8),
        }
    ),
    st.fixed_dictionaries(
        {"type": st.just("placeholder"), "name": st.sampled_from(["history", "notes"])}
    ),
)


@given(st.lists(message_strategy, max_size=6), st.lists(message_strategy, max_size=6))
def test_diff_contents_messages_cover_both_sides_in_order(
    old: list[dict[str, str]], new: list[dict[str, str]]
) -> None:
    result = diff_contents("chat", old, {}, "chat", new, {}, from_name="a", to_name="b")
    entries = result["messages"]
    assert [e["old_index"] for e in entries if e["old_index"] is not None] == list(range(len(old)))
    assert [e["new_index"] for e in entries if e["new_index"] is not None] == list(range(len(new)))
    for entry in entries:
        spans = [Span(**span) for span in entry["spans"]]
        if entry["op"] == "equal":
            assert old[entry["old_index"]] == new[entry["new_index"]]
        if entry["old_index"] is not None and "content" in old[entry["old_index"]]:
            assert old_side(spans) == old[entry["old_index"]]["content"]
        if entry["new_index"] is not None and "content" in new[entry["new_index"]]:
            assert new_side(spans) == new[entry["new_index"]]["content"]
