"""Tests for promptyard.domain.merge."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from promptyard.domain.diff import split_lines
from promptyard.domain.errors import ValidationFailed
from promptyard.domain.merge import (
    ConflictRegion,
    MergeResult,
    merge_config,
    merge_contents,
    merge_messages,
    merge_sequences,
    merge_text,
)

BASE = "".join(f"line {i}\n" for i in range(1, 11))  # "line 1\n" ... "line 10\n"


def edit(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


# ---------------------------------------------------------------------- merge_sequences


def test_merge_sequences_clean_and_conflicting() -> None:
    assert merge_sequences("abcdef", "aXcdef", "abcdeY") == (list("aXcdeY"), [])
    assert merge_sequences("abc", "aXc", "aYc") == (None, [(1, 1, 1, ["b"], ["X"], ["Y"])])
    assert merge_sequences([], [1], [1]) == ([1], [])
    assert merge_sequences([], [], []) == ([], [])


# --------------------------------------------------------------------------- merge_text


def test_text_non_overlapping_edits_on_both_sides_merge() -> None:
    ours = edit(BASE, "line 2\n", "line two\n")
    theirs = edit(BASE, "line 8\n", "line eight\n")
    merged, conflicts = merge_text(BASE, ours, theirs)
    assert conflicts == []
    assert merged == edit(edit(BASE, "line 2\n", "line two\n"), "line 8\n", "line eight\n")


def test_text_one_sided_and_identical_changes() -> None:
    changed = edit(BASE, "line 5\n", "line five\nextra\n")
    assert merge_text(BASE, changed, BASE) == (changed, [])
    assert merge_text(BASE, BASE, changed) == (changed, [])
    assert merge_text(BASE, changed, changed) == (changed, [])


def test_text_same_line_edited_differently_conflicts_with_line_numbers() -> None:
    ours = edit(BASE, "line 1\n", "intro\nline 1\n")  # shifts our lines by one
    ours = edit(ours, "line 6\n", "line six\n")
    theirs = edit(BASE, "line 6\n", "LINE 6\n")
    merged, conflicts = merge_text(BASE, ours, theirs)
    assert merged is None
    assert conflicts == [
        ConflictRegion("content", 6, 7, 6, ["line 6\n"], ["line six\n"], ["LINE 6\n"])
    ]


def test_text_several_conflicts_are_all_reported() -> None:
    ours = edit(edit(BASE, "line 2\n", "a\n"), "line 9\n", "c\n")
    theirs = edit(edit(BASE, "line 2\n", "b\n"), "line 9\n", "d\n")
    _, conflicts = merge_text(BASE, ours, theirs)
    assert [(c.base_start, c.ours, c.theirs) for c in conflicts] == [
        (2, ["a\n"], ["b\n"]),
        (9, ["c\n"], ["d\n"]),
    ]


def test_text_deletion_versus_edit_conflicts() -> None:
    ours = edit(BASE, "line 4\nline 5\n", "")
    theirs = edit(BASE, "line 5\n", "line 5 edited\n")
    merged, conflicts = merge_text(BASE, ours, theirs)
    assert merged is None
    assert conflicts == [
        ConflictRegion(
            "content", 4, 4, 4, ["line 4\n", "line 5\n"], [], ["line 4\n", "line 5 edited\n"]
        )
    ]


def test_text_insertions_at_the_same_place() -> None:
    ours = edit(BASE, "line 3\n", "line 3\nours\n")
    theirs = edit(BASE, "line 3\n", "line 3\ntheirs\n")
    merged, conflicts = merge_text(BASE, ours, theirs)
    assert merged is None
    # An empty base chunk starts at the line it would come before.
    assert conflicts == [ConflictRegion("content", 4, 4, 4, [], ["ours\n"], ["theirs\n"])]
    # The same insertion on both sides is taken once.
    assert merge_text(BASE, ours, ours) == (ours, [])


def test_text_edits_on_adjacent_lines_conflict_like_git() -> None:
    ours = edit(BASE, "line 3\n", "three\n")
    theirs = edit(BASE, "line 4\n", "four\n")
    merged, conflicts = merge_text(BASE, ours, theirs)
    assert merged is None
    assert [(c.base_start, c.base) for c in conflicts] == [(3, ["line 3\n", "line 4\n"])]


def test_text_empty_and_trailing_newline_cases() -> None:
    assert merge_text("", "", "") == ("", [])
    assert merge_text("", "new\n", "") == ("new\n", [])
    assert merge_text("a\nx\nb", "a\nx\nb\nc", "A\nx\nb") == ("A\nx\nb\nc", [])
    # Adding the final newline is a change of the last line.
    merged, conflicts = merge_text("a\nb", "a\nb\n", "a\nB")
    assert merged is None
    assert conflicts[0].base == ["b"]


def test_text_crlf_and_unicode() -> None:
    base = "système\r\nrègle 1\r\nrègle 2\r\nrègle 3\r\n"
    ours = base.replace("règle 1", "règle un")
    theirs = base.replace("règle 3", "règle trois 🙂")
    assert merge_text(base, ours, theirs) == (
        "système\r\nrègle un\r\nrègle 2\r\nrègle trois 🙂\r\n",
        [],
    )


text_strategy = st.text(alphabet="abc\n", max_size=30)


@given(text_strategy, text_strategy)
def test_text_merge_identities(base: str, other: str) -> None:
    assert merge_text(base, other, base) == (other, [])
    assert merge_text(base, base, other) == (other, [])
    assert merge_text(base, other, other) == (other, [])


@given(text_strategy, text_strategy, text_strategy)
def test_text_merge_is_symmetric_and_conflicts_point_at_their_lines(
    base: str, ours: str, theirs: str
) -> None:
    merged, conflicts = merge_text(base, ours, theirs)
    mirrored, mirrored_conflicts = merge_text(base, theirs, ours)
    assert merged == mirrored
    assert (merged is None) == bool(conflicts)
    assert [(c.base_start, c.ours_start, c.base, c.ours) for c in conflicts] == [
        (c.base_start, c.theirs_start, c.base, c.theirs) for c in mirrored_conflicts
    ]
    for conflict in conflicts:
        for text, start, chunk in (
            (base, conflict.base_start, conflict.base),
            (ours, conflict.ours_start, conflict.ours),
            (theirs, conflict.theirs_start, conflict.theirs),
        ):
            assert split_lines(text)[start - 1 : start - 1 + len(chunk)] == chunk


lines_a = st.lists(st.sampled_from(["a1\n", "a2\n", "a3\n"]), max_size=6)
lines_b = st.lists(st.sampled_from(["b1\n", "b2\n", "b3\n"]), max_size=6)


@given(lines_a, lines_a, lines_b, lines_b)
def test_text_edits_on_either_side_of_a_kept_line_both_land(
    top: list[str], new_top: list[str], bottom: list[str], new_bottom: list[str]
) -> None:
    base = "".join([*top, "=\n", *bottom])
    ours = "".join([*new_top, "=\n", *bottom])
    theirs = "".join([*top, "=\n", *new_bottom])
    assert merge_text(base, ours, theirs) == ("".join([*new_top, "=\n", *new_bottom]), [])


# ----------------------------------------------------------------------- merge_messages


def msg(role: str, content: str, **extra: Any) -> dict[str, Any]:
    return {"role": role, "content": content, **extra}


SYSTEM = msg("system", "You are a helpful assistant.\nBe concise.\nAnswer in English.\n")
CHAT = [
    SYSTEM,
    {"type": "placeholder", "name": "history"},
    msg("user", "{{ question }}"),
]


def test_messages_added_on_both_sides_at_different_positions() -> None:
    ours = [msg("system", "Safety first."), *CHAT]
    theirs = [*CHAT, msg("assistant", "Sure!")]
    assert merge_messages(CHAT, ours, theirs) == ([ours[0], *CHAT, theirs[-1]], [])


def test_messages_one_sided_and_identical_changes() -> None:
    changed = [CHAT[0], CHAT[2]]
    assert merge_messages(CHAT, changed, CHAT) == (changed, [])
    assert merge_messages(CHAT, CHAT, changed) == (changed, [])
    assert merge_messages(CHAT, changed, changed) == (changed, [])


def test_messages_same_message_edited_in_different_lines_merges_its_text() -> None:
    ours = [msg("system", SYSTEM["content"].replace("helpful", "careful")), *CHAT[1:]]
    theirs = [msg("system", SYSTEM["content"].replace("English", "French")), *CHAT[1:]]
    merged, conflicts = merge_messages(CHAT, ours, theirs)
    assert conflicts == []
    assert merged == [
        msg("system", "You are a careful assistant.\nBe concise.\nAnswer in French.\n"),
        *CHAT[1:],
    ]


def test_messages_same_line_edited_differently_conflicts() -> None:
    ours = [msg("system", SYSTEM["content"].replace("concise", "brief")), *CHAT[1:]]
    theirs = [msg("system", SYSTEM["content"].replace("concise", "thorough")), *CHAT[1:]]
    merged, conflicts = merge_messages(CHAT, ours, theirs)
    assert merged is None
    assert conflicts == [ConflictRegion("messages", 0, 0, 0, [SYSTEM], [ours[0]], [theirs[0]])]


def test_messages_adjacent_messages_edited_by_each_side_merge() -> None:
    ours = [msg("system", "New system prompt.\n"), *CHAT[1:]]
    theirs = [*CHAT[:2], msg("user", "{{ question }}\nThink step by step.")]
    assert merge_messages(CHAT, ours, theirs) == ([ours[0], CHAT[1], theirs[2]], [])


def test_messages_role_change_against_edit_conflicts() -> None:
    ours = [CHAT[0], CHAT[1], msg("assistant", "{{ question }}")]
    theirs = [CHAT[0], CHAT[1], msg("user", "{{ question }}?")]
    merged, conflicts = merge_messages(CHAT, ours, theirs)
    assert merged is None
    assert [(c.where, c.base_start, c.ours_start, c.theirs_start) for c in conflicts] == [
        ("messages", 2, 2, 2)
    ]


def test_messages_deletion_versus_edit_conflicts() -> None:
    ours = [CHAT[0], CHAT[2]]
    theirs = [CHAT[0], {"type": "placeholder", "name": "chat_history"}, CHAT[2]]
    merged, conflicts = merge_messages(CHAT, ours, theirs)
    assert merged is None
    assert conflicts == [
        ConflictRegion("messages", 1, 1, 1, [CHAT[1]], [], [theirs[1]]),
    ]


def test_messages_other_keys_merge_with_content() -> None:
    ours = [msg("system", SYSTEM["content"].replace("helpful", "careful")), *CHAT[1:]]
    theirs = [{**SYSTEM, "name": "policy"}, *CHAT[1:]]
    merged, conflicts = merge_messages(CHAT, ours, theirs)
    assert conflicts == []
    assert merged is not None
    assert merged[0] == {**ours[0], "name": "policy"}


def test_messages_result_does_not_alias_inputs() -> None:
    ours = [*CHAT, msg("assistant", "ok")]
    merged, _ = merge_messages(CHAT, ours, CHAT)
    assert merged == ours
    assert merged is not None
    merged[0]["content"] = "mutated"
    assert ours[0]["content"] == SYSTEM["content"]


message_strategy = st.one_of(
    st.builds(
        msg,
        st.sampled_from(["system", "user", "assistant"]),
        st.text(alphabet="ab\n", max_size=6),
    ),
    st.builds(lambda name: {"type": "placeholder", "name": name}, st.sampled_from(["h", "k"])),
)
messages_strategy = st.lists(message_strategy, max_size=5)


@given(messages_strategy, messages_strategy)
def test_message_merge_identities(base: list[dict[str, Any]], other: list[dict[str, Any]]) -> None:
    assert merge_messages(base, other, base) == (other, [])
    assert merge_messages(base, base, other) == (other, [])
    assert merge_messages(base, other, other) == (other, [])


# ------------------------------------------------------------------------- merge_config


def test_config_changes_to_different_keys_merge() -> None:
    base = {"model": "gpt-4o", "temperature": 0.2, "max_tokens": 100, "stop": ["\n"]}
    ours = {**base, "temperature": 0.5}
    theirs = {"model": "gpt-4o", "temperature": 0.2, "max_tokens": 100, "top_p": 0.9}
    assert merge_config(base, ours, theirs) == (
        {"model": "gpt-4o", "temperature": 0.5, "max_tokens": 100, "top_p": 0.9},
        [],
    )


def test_config_same_key_changed_differently_conflicts() -> None:
    base = {"model": "gpt-4o", "temperature": 0.2}
    merged, conflicts = merge_config(
        base, {**base, "temperature": 0.5}, {**base, "temperature": 0.9}
    )
    assert merged is None
    assert conflicts == [ConflictRegion("config", 0, 0, 0, 0.2, 0.5, 0.9, path="temperature")]
    # The same change on both sides is fine.
    assert merge_config(base, {**base, "model": "m"}, {**base, "model": "m"}) == (
        {"model": "m", "temperature": 0.2},
        [],
    )


def test_config_deletion_versus_change_conflicts() -> None:
    base = {"model": "gpt-4o", "seed": 1}
    merged, conflicts = merge_config(base, {"model": "gpt-4o"}, {**base, "seed": 2})
    assert merged is None
    assert conflicts == [ConflictRegion("config", 0, 0, 0, 1, None, 2, path="seed")]
    # Deleted on one side and untouched on the other: deleted.
    assert merge_config(base, {"model": "gpt-4o"}, base) == ({"model": "gpt-4o"}, [])


def test_config_both_add_the_same_key_differently_conflicts() -> None:
    merged, conflicts = merge_config({}, {"stop": ["a"]}, {"stop": ["b"]})
    assert merged is None
    assert conflicts[0].to_dict() == {
        "where": "config",
        "path": "stop",
        "base_start": 0,
        "ours_start": 0,
        "theirs_start": 0,
        "base": None,
        "ours": ["a"],
        "theirs": ["b"],
    }


def test_config_nested_dicts_merge_per_key() -> None:
    base = {"provider": {"openai": {"seed": 1, "user": "x"}, "region": "eu"}}
    ours = {"provider": {"openai": {"seed": 2, "user": "x"}, "region": "eu"}}
    theirs = {"provider": {"openai": {"seed": 1, "user": "y"}, "region": "us"}}
    assert merge_config(base, ours, theirs) == (
        {"provider": {"openai": {"seed": 2, "user": "y"}, "region": "us"}},
        [],
    )
    clash = {"provider": {"openai": {"seed": 3, "user": "x"}, "region": "eu"}}
    merged, conflicts = merge_config(base, ours, clash)
    assert merged is None
    assert [(c.path, c.ours, c.theirs) for c in conflicts] == [("provider.openai.seed", 2, 3)]


def test_config_bool_is_not_one() -> None:
    _, conflicts = merge_config({"stream": 0}, {"stream": 1}, {"stream": True})
    assert [c.path for c in conflicts] == ["stream"]
    assert merge_config({"t": 1}, {"t": 1.0}, {"t": 1}) == ({"t": 1.0}, [])


# ----------------------------------------------------------------------- merge_contents


def test_contents_text_and_config_merge() -> None:
    ours = edit(BASE, "line 1\n", "first\n")
    theirs = edit(BASE, "line 9\n", "ninth\n")
    result = merge_contents(
        "text", BASE, {"temperature": 0.2},
        "text", ours, {"temperature": 0.3},
        "text", theirs, {"temperature": 0.2, "model": "m"},
    )  # fmt: skip
    assert result.ok
    assert result == MergeResult(
        content=edit(ours, "line 9\n", "ninth\n"),
        config={"temperature": 0.3, "model": "m"},
        conflicts=[],
        type="text",
    )
    assert json.loads(json.dumps(result.to_dict())) == result.to_dict()


def test_contents_chat_merge() -> None:
    ours = [*CHAT, msg("assistant", "ok")]
    theirs = [msg("system", "Short."), *CHAT[1:]]
    result = merge_contents("chat", CHAT, {}, "chat", ours, {}, "chat", theirs, {})
    assert result.ok
    assert result.content == [theirs[0], *CHAT[1:], ours[-1]]
    assert result.type == "chat"


def test_contents_conflicts_are_reported_per_part() -> None:
    result = merge_contents(
        "text", "a\n", {"model": "x"},
        "text", "b\n", {"model": "y"},
        "text", "c\n", {"model": "z"},
    )  # fmt: skip
    assert not result.ok
    assert result.content is None and result.config is None
    assert [(c.where, c.path) for c in result.conflicts] == [
        ("content", None),
        ("config", "model"),
    ]
    only_config = merge_contents(
        "text", "a\n", {"model": "x"},
        "text", "b\n", {"model": "y"},
        "text", "a\n", {"model": "z"},
    )  # fmt: skip
    assert not only_config.ok
    assert only_config.content == "b\n"
    assert only_config.config is None
    payload = only_config.to_dict()
    assert json.loads(json.dumps(payload)) == payload
    assert payload["ok"] is False


def test_contents_type_change_on_one_side_wins_when_other_left_content_alone() -> None:
    chat = [msg("user", "Hello")]
    result = merge_contents(
        "text", "Hello", {"a": 1},
        "text", "Hello", {"a": 2},
        "chat", chat, {"a": 1},
    )  # fmt: skip
    assert result == MergeResult(content=chat, config={"a": 2}, conflicts=[], type="chat")
    mirrored = merge_contents("text", "Hello", {}, "chat", chat, {}, "text", "Hello", {})
    assert (mirrored.type, mirrored.content) == ("chat", chat)


def test_contents_type_change_against_content_edit_conflicts() -> None:
    chat = [msg("user", "Hello")]
    result = merge_contents("text", "Hello", {}, "text", "Hello!", {}, "chat", chat, {})
    assert not result.ok
    assert result.content is None and result.type is None
    assert result.config == {}
    assert result.conflicts == [
        ConflictRegion(
            "content",
            1,
            1,
            1,
            {"type": "text", "content": "Hello"},
            {"type": "text", "content": "Hello!"},
            {"type": "chat", "content": chat},
            path="type",
        )
    ]


def test_contents_both_sides_change_the_type() -> None:
    chat = [msg("user", "Hello")]
    same = merge_contents("text", "Hello", {}, "chat", chat, {}, "chat", chat, {})
    assert (same.ok, same.type, same.content) == (True, "chat", chat)
    different = merge_contents(
        "text", "Hello", {}, "chat", chat, {}, "chat", [msg("system", "Hello")], {}
    )
    assert not different.ok
    assert different.conflicts[0].path == "type"
    # chat -> text on both sides with different texts: no common base to merge against.
    both_text = merge_contents("chat", chat, {}, "text", "Hi", {}, "text", "Hey", {})
    assert [c.path for c in both_text.conflicts] == ["type"]


def test_contents_rejects_unknown_types_and_mismatched_content() -> None:
    with pytest.raises(ValidationFailed):
        merge_contents("text", "a", {}, "image", "a", {}, "text", "a", {})
    with pytest.raises(ValidationFailed):
        merge_contents("chat", "a", {}, "chat", [], {}, "chat", [], {})
