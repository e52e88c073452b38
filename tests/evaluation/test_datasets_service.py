"""Datasets as the services keep them: versions are immutable, cases keep their ids."""

from __future__ import annotations

import pytest

from promptyard.domain.errors import AlreadyExists, NotFound, ValidationFailed
from promptyard.services.context import Core
from promptyard.services.evaluation import datasets, sweeps
from promptyard.services.evaluation.datasets_schemas import CaseUpdate
from tests._factories import admin_context, project_id


def _make(core: Core) -> datasets.DatasetVersion:
    return datasets.create_dataset(
        core,
        admin_context(core),
        project_id(core),
        "greetings",
        [
            {"input": {"name": "Ada"}, "expected": "Hello, Ada!"},
            {"id": "grace", "input": {"name": "Grace"}, "metadata": {"lang": "en"}},
        ],
        description="names",
    )


def test_create_makes_version_one_with_stable_ids(core: Core) -> None:
    first = _make(core)
    assert first.version == 1
    assert [c.input["name"] for c in first.cases] == ["Ada", "Grace"]
    assert first.cases[1].id == "grace"
    assert first.cases[1].metadata == {"lang": "en"}
    again = datasets.get_dataset_version(core, project_id(core), "greetings")
    assert again == first


def test_every_change_is_a_new_version_and_old_ones_never_change(core: Core) -> None:
    first = _make(core)
    ctx, pid = admin_context(core), project_id(core)
    ada = first.cases[0].id
    second = datasets.add_cases(core, ctx, pid, "greetings", [{"input": {"name": "Linus"}}])
    third = datasets.update_case(
        core, ctx, pid, "greetings", ada, CaseUpdate(expected="Hi, Ada!", message="friendlier")
    )
    fourth = datasets.delete_case(core, ctx, pid, "greetings", "grace")
    assert [v.version for v in (second, third, fourth)] == [2, 3, 4]
    assert [c.id for c in fourth.cases] == [ada, second.cases[2].id]
    assert fourth.cases[0].expected == "Hi, Ada!"
    # Each version reads back exactly as it was made.
    for old in (first, second, third, fourth):
        assert datasets.get_dataset_version(core, pid, "greetings", old.version) == old
    assert [c.id for c in third.cases] == [ada, "grace", second.cases[2].id]
    versions = datasets.list_versions(core, project_id=pid, name="greetings").items
    assert [(v.version, v.case_count) for v in versions] == [(4, 2), (3, 3), (2, 3), (1, 2)]
    assert versions[1].message == "friendlier"


def test_refusals(core: Core) -> None:
    _make(core)
    ctx, pid = admin_context(core), project_id(core)
    with pytest.raises(AlreadyExists):
        _make(core)
    with pytest.raises(AlreadyExists, match="grace"):
        datasets.add_cases(core, ctx, pid, "greetings", [{"id": "grace", "input": {}}])
    with pytest.raises(NotFound, match="no version 9"):
        datasets.get_dataset_version(core, pid, "greetings", 9)
    with pytest.raises(NotFound):
        datasets.get_dataset_version(core, pid, "nope")
    with pytest.raises(ValidationFailed, match=r"cases\[0\]"):
        datasets.add_cases(core, ctx, pid, "greetings", [{"input": "not an object"}])
    # Nothing of a refused change was kept.
    assert datasets.get_dataset_version(core, pid, "greetings").version == 1


def test_parse_ref() -> None:
    assert datasets.parse_ref("qa") == ("qa", None)
    assert datasets.parse_ref("qa@3") == ("qa", 3)
    with pytest.raises(ValidationFailed):
        datasets.parse_ref("qa@x")


def test_sweep_expands_the_cartesian_product() -> None:
    combos = sweeps.expand({"tone": ["formal", "casual"], "n": [1, 2, 3]})
    assert len(combos) == 6 == sweeps.count({"tone": ["formal", "casual"], "n": [1, 2, 3]})
    assert combos[0] == {"n": 1, "tone": "formal"}
    assert sweeps.expand({}) == [{}]
    with pytest.raises(ValidationFailed, match="combinations"):
        sweeps.expand({"a": list(range(50)), "b": list(range(50))})
    with pytest.raises(ValidationFailed):
        sweeps.expand({"a": []})


def test_the_demo_has_a_versioned_dataset(core: Core) -> None:
    from promptyard.cli import demo

    demo.seed(core)
    pid = project_id(core)
    found = datasets.get_dataset_version(core, pid, "support-questions")
    assert found.version == 2 and len(found.cases) == 6
    assert set(found.cases[0].input) == {"customer_name", "question"}
    first = datasets.get_dataset_version(core, pid, "support-questions", 1)
    assert {c.id: c.expected for c in first.cases}["password"] == "reset"
