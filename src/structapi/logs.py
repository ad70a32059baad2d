"""transformers' log messages, kept off the page: silenced, or collected so a chapter can show them on purpose."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import transformers

__all__ = ["quiet", "transformers_messages"]

# A load report is a table laid out for the terminal's width; one fixed width keeps stored outputs identical.
REPORT_COLUMNS = "100"


@contextmanager
def quiet() -> Iterator[None]:
    """Switch transformers' log messages and progress bars off inside the block; restore both after it."""
    previous = transformers.logging.get_verbosity()
    bars = transformers.utils.logging.is_progress_bar_enabled()
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    try:
        yield
    finally:
        transformers.logging.set_verbosity(previous)
        if bars:
            transformers.utils.logging.enable_progress_bar()


class _Collector(logging.Handler):
    """A logging handler that keeps each message instead of printing it."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def transformers_messages() -> Iterator[list[str]]:
    """Collect what transformers logs inside the block, in a list, instead of printing it (width pinned to 100)."""
    collector = _Collector()
    library_logger = logging.getLogger("transformers")
    transformers.utils.logging.disable_default_handler()
    library_logger.addHandler(collector)
    try:
        with mock.patch.dict(os.environ, {"COLUMNS": REPORT_COLUMNS}):
            yield collector.messages
    finally:
        library_logger.removeHandler(collector)
        transformers.utils.logging.enable_default_handler()
