"""JSON depth and storability checks (domain/jsonvalues.py, domain/schemas.py)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promptyard.domain import schemas
from promptyard.domain.jsonvalues import (
    MAX_STORED_JSON_DEPTH,
    json_depth,
    stored_json_problem,
)


def nested(levels: int) -> Any:
    value: Any = {}
    for index in range(levels - 1):
        value = {"a": value} if index % 2 else [value]
    return value


@pytest.mark.parametrize(
    ("value", "depth"),
    [
        (1, 0),
        ("text", 0),
        (None, 0),
        ([], 1),
        ({}, 1),
        ({"a": 1, "b": [1, 2]}, 2),
        ([[], [[{}]]], 4),
        (nested(5), 5),
    ],
)
def test_json_depth(value: Any, depth: int) -> None:
    assert json_depth(value) == depth


def test_json_depth_has_no_recursion_limit_and_stops_early() -> None:
    deep = nested(200_000)
    assert json_depth(deep) == 200_000
    assert json_depth(deep, 32) == 33


def test_stored_values_must_fit_24_levels_and_round_trip() -> None:
    assert stored_json_problem(nested(MAX_STORED_JSON_DEPTH)) is None
    assert "24 levels" in str(stored_json_problem(nested(MAX_STORED_JSON_DEPTH + 1)))
    assert stored_json_problem({"n": math.nan}) is not None  # would come back as null
    assert stored_json_problem({"n": 2**70}) is not None  # orjson cannot write it
    assert stored_json_problem({"k": "\ud800"}) is not None
    assert stored_json_problem({"k": ["ü", 1.5, None, True]}) is None


def test_check_storable_refuses_deep_data_without_recursing() -> None:
    with pytest.raises(schemas.NestedTooDeep, match="32 levels"):
        schemas.check_storable(nested(100_000))


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=5)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(alphabet=st.characters(codec=None), max_size=3), inner, max_size=4
        )
    ),
    max_leaves=15,
)


@settings(max_examples=300, deadline=None)
@given(VALUES)
def test_the_fast_storable_check_agrees_with_the_one_that_names_the_place(value: Any) -> None:
    assert schemas._all_storable(value) == (schemas._unstorable_path(value) is None)
