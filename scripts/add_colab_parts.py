"""Give every chapter its Colab badge (under the title) and its Colab setup cell (first code cell)."""

from __future__ import annotations

import sys

from book_tools import COLAB_SETUP_CELL, chapter_pairs, colab_badge


def add_colab_parts(text: str, notebook_name: str) -> str:
    """Return the py:percent text with the badge after the title line and the setup cell after the first cell."""
    badge = colab_badge(notebook_name)
    cell = "# %%\n" + COLAB_SETUP_CELL + "\n"
    cells = text.split("\n# %%")
    head, rest = cells[0], cells[1:]
    if badge not in head:
        lines = head.split("\n")
        title = next(i for i, line in enumerate(lines) if line.startswith("# # "))
        lines[title + 1:title + 1] = ["#", f"# {badge}"]
        head = "\n".join(lines)
    if COLAB_SETUP_CELL not in text:
        return head.rstrip("\n") + "\n\n" + cell + "\n# %%" + "\n# %%".join(rest)
    return head + "\n# %%" + "\n# %%".join(rest)


def main() -> int:
    """Update every chapter source in place and list the ones that changed."""
    for pair in chapter_pairs():
        text = pair.source.read_text()
        updated = add_colab_parts(text, pair.notebook.name)
        if updated != text:
            pair.source.write_text(updated)
            print("updated", pair.source.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
