"""Every exercise's check passes on its solution and fails on a wrong answer."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import torch

from structapi.exercises import _same, check, exercise_ids, is_correct, solution


def _wrong(answer: Any) -> Any:
    """Return a value that differs from `answer` in a way a reader might get wrong."""
    if isinstance(answer, bool):
        return not answer
    if isinstance(answer, int):
        return answer + 1
    if isinstance(answer, float):
        return answer * 1.1 + 0.1
    if isinstance(answer, str):
        return answer + "x"
    if isinstance(answer, torch.Tensor):
        return answer + 1
    if isinstance(answer, dict):
        broken = copy.deepcopy(answer)
        key = next(iter(broken))
        broken[key] = _wrong(broken[key])
        return broken
    if isinstance(answer, (list, tuple)):
        return list(answer)[:-1] if answer else [0]
    raise TypeError(f"add a wrong-answer rule for {type(answer).__name__}")


ALL_EXERCISES = exercise_ids()


@pytest.mark.parametrize("exercise_id", ALL_EXERCISES)
def test_check_accepts_the_solution_and_rejects_a_wrong_answer(exercise_id: str, capsys: pytest.CaptureFixture) -> None:
    right = solution(exercise_id)
    assert is_correct(exercise_id, right) is True
    assert is_correct(exercise_id, _wrong(right)) is False
    assert is_correct(exercise_id, None) is False
    for answer, verdict in ((right, ": correct."), (_wrong(right), ": not yet."), (None, ": no answer yet.")):
        check(exercise_id, answer)
        assert verdict in capsys.readouterr().out


def test_comparison_rules() -> None:
    assert _same(0.6931, 0.69314718, rel_tol=1e-3)
    assert not _same(0.70, 0.69314718, rel_tol=1e-3)
    assert _same(torch.tensor([1, 2]), [1, 2], rel_tol=0)
    assert not _same([1, 2], [1, 2, 3], rel_tol=0)
    assert not _same(1, True, rel_tol=0)
    assert not _same("12", 12, rel_tol=0)


@pytest.mark.parametrize(("bad", "message"), [
    ("2.1", "exercise ids look like '02.1'"),
    (21, "exercise ids look like '02.1'"),
    ("98.1", "chapter 98 has no exercises"),
])
def test_bad_exercise_ids_are_explained(bad: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check(bad, 1)
