"""Self-checking exercises: `check("02.1", answer)` compares a reader's answer with the computed solution."""

from __future__ import annotations

import importlib
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import torch

__all__ = ["check", "is_correct", "solution", "exercise_ids"]

_ID = re.compile(r"^(\d{2})\.(\d+)$")


def _solver(exercise_id: str) -> Callable[[], Any]:
    """Return the function that computes the solution of exercise 'NN.k' (chapter NN, exercise k)."""
    match = _ID.match(exercise_id) if isinstance(exercise_id, str) else None
    if match is None:
        raise ValueError(f"exercise ids look like '02.1' (chapter 02, exercise 1); got {exercise_id!r}")
    chapter, number = match.groups()
    try:
        module = importlib.import_module(f"structapi.solutions.ch{chapter}")
    except ModuleNotFoundError:
        raise ValueError(f"chapter {chapter} has no exercises; chapters with exercises: {_chapters()}") from None
    solver = getattr(module, f"exercise_{number}", None)
    if solver is None:
        known = ", ".join(exercise_ids(chapter)) or "none"
        raise ValueError(f"no exercise {exercise_id}; exercises of chapter {chapter}: {known}")
    return solver


def _chapters() -> str:
    import pkgutil

    import structapi.solutions as package

    return ", ".join(sorted(m.name[2:] for m in pkgutil.iter_modules(package.__path__) if m.name.startswith("ch")))


def exercise_ids(chapter: str | None = None) -> list[str]:
    """List the exercise ids of one chapter ('02') or of the whole book."""
    chapters = [chapter] if chapter else [c.strip() for c in _chapters().split(",") if c.strip()]
    ids = []
    for number in chapters:
        module = importlib.import_module(f"structapi.solutions.ch{number}")
        ids += sorted(f"{number}.{name.split('_')[1]}" for name in dir(module) if re.fullmatch(r"exercise_\d+", name))
    return ids


def solution(exercise_id: str) -> Any:
    """Compute the solution of an exercise from the book's checkpoints."""
    return _solver(exercise_id)()


def _same(answer: Any, expected: Any, rel_tol: float) -> bool:
    """Compare exactly, except floats and tensors, which compare within `rel_tol`."""
    if isinstance(expected, torch.Tensor):
        answer = torch.as_tensor(answer)
        return answer.shape == expected.shape and torch.allclose(answer.to(expected.dtype), expected, rtol=rel_tol)
    if isinstance(expected, float):
        return isinstance(answer, (int, float)) and math.isclose(float(answer), expected, rel_tol=rel_tol)
    if isinstance(expected, Sequence) and not isinstance(expected, str):
        if isinstance(answer, torch.Tensor):
            answer = answer.tolist()
        return (
            isinstance(answer, Sequence) and not isinstance(answer, str) and len(answer) == len(expected)
            and all(_same(a, e, rel_tol) for a, e in zip(answer, expected))
        )
    if isinstance(expected, dict):
        return isinstance(answer, dict) and answer.keys() == expected.keys() and all(
            _same(answer[k], expected[k], rel_tol) for k in expected
        )
    if isinstance(expected, bool) or isinstance(answer, bool):
        return type(answer) is type(expected) and answer == expected
    return answer == expected


def is_correct(exercise_id: str, answer: Any, rel_tol: float = 1e-3) -> bool:
    """Return whether `answer` solves the exercise (None, meaning not answered yet, is never correct)."""
    return answer is not None and _same(answer, solution(exercise_id), rel_tol)


def check(exercise_id: str, answer: Any, rel_tol: float = 1e-3) -> None:
    """Print whether `answer` solves the exercise: correct, not yet (with a hint), or not answered yet."""
    expected = solution(exercise_id)
    if answer is None:
        print(f"Exercise {exercise_id}: no answer yet. Replace None with your answer and run the cell again.")
    elif _same(answer, expected, rel_tol):
        print(f"Exercise {exercise_id}: correct.")
    else:
        kind = type(expected).__name__
        print(f"Exercise {exercise_id}: not yet. The answer is a {kind}; compare yours with what the chapter printed.")
