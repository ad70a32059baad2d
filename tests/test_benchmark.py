"""The benchmark's per-chapter floor runs exactly a notebook's own top-level imports."""

from __future__ import annotations

import nbformat
import pytest

from benchmark import own_imports
from book_tools import chapter_pairs


def _notebook(*sources: str, markdown: str = "import not_code") -> nbformat.NotebookNode:
    cells = [nbformat.v4.new_markdown_cell(markdown), *(nbformat.v4.new_code_cell(s) for s in sources)]
    return nbformat.v4.new_notebook(cells=cells)


def test_own_imports_keeps_top_level_imports_in_order_once() -> None:
    notebook = _notebook(
        "import sys\nif 'google.colab' in sys.modules:\n    import subprocess\n",
        "import torch\nfrom transformers import AutoModel, AutoTokenizer\nx = 1",
        "def f():\n    import json\n    return json\nimport torch\nfrom math import pi as PI",
    )
    assert own_imports(notebook).splitlines() == [
        "import sys",
        "import torch",
        "from transformers import AutoModel, AutoTokenizer",
        "from math import pi as PI",
    ]


def test_own_imports_of_every_chapter_compile_and_import_torch() -> None:
    for pair in chapter_pairs():
        source = own_imports(nbformat.read(pair.notebook, as_version=4))
        compile(source, str(pair.notebook), "exec")
        assert "import torch" in source.splitlines(), pair.notebook.name


def test_own_imports_rejects_a_notebook_without_imports() -> None:
    with pytest.raises(ValueError, match="no top-level import statement"):
        own_imports(_notebook("x = 1"))


def test_own_imports_reads_past_ipython_magics() -> None:
    assert own_imports(_notebook("%matplotlib inline\nimport matplotlib.pyplot as plt")) == "import matplotlib.pyplot as plt"


def test_own_imports_rejects_cells_that_are_not_python() -> None:
    with pytest.raises(ValueError, match="not valid"):
        own_imports(_notebook("import torch\ndef broken(:\n    pass"))
