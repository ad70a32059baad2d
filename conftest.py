"""Test-session settings shared by the unit tests and the nbval notebook runs."""

import os

# Nothing in the book may reach for the Hub; kernels started by nbval inherit these too.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("PYTHONHASHSEED", "0")
os.environ.setdefault("OMP_NUM_THREADS", "1")  # as scripts/book_tools.py executes the notebooks
# The inline backend stores figures as image outputs, exactly as execute_book.py does; Agg would store none.
os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
