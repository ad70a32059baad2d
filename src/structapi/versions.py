"""Version guard: say once, in one line, when the installed libraries differ from the verified ones."""

from __future__ import annotations

import sys
from importlib import metadata

__all__ = ["VERIFIED", "version_drift", "warn_if_untested"]

# The versions every stored output was verified with (kept equal to pyproject.toml by a test).
VERIFIED = {"transformers": "5.23.0", "torch": "2.13.0"}
_warned = False


def version_drift(installed: dict[str, str] | None = None) -> dict[str, tuple[str, str]]:
    """Return {package: (installed, verified)} for each package whose release differs from the verified one."""
    if installed is None:
        installed = {}
        for name in VERIFIED:
            try:
                installed[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                installed[name] = "not installed"
    # A local build tag (+cpu, +cu128) is the same release: outputs do not depend on it.
    return {
        name: (installed.get(name, "not installed"), verified)
        for name, verified in VERIFIED.items()
        if installed.get(name, "not installed").split("+")[0] != verified
    }


def warn_if_untested(installed: dict[str, str] | None = None) -> str | None:
    """Print one line to stderr, once per process, if versions differ; return that line (or None)."""
    global _warned
    drift = version_drift(installed)
    if not drift or _warned:
        return None
    _warned = True
    found = ", ".join(f"{name} {have} (verified: {want})" for name, (have, want) in drift.items())
    line = (
        f"structapi: this book was verified with other versions; found {found}. "
        "Printed numbers, warnings and some APIs may differ from the text."
    )
    print(line, file=sys.stderr)
    return line
