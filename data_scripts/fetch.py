#!/usr/bin/env python3
"""Fetch the book's datasets: `python data_scripts/fetch.py NAME [NAME...] | --all | --list`.

A thin wrapper around `python -m charlab.datasets` that also works from a plain checkout where charlab is not
installed (it puts the checkout's `src/` on the path).
"""

import sys
from pathlib import Path

try:
    from charlab.datasets import main
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    from charlab.datasets import main

if __name__ == "__main__":
    sys.exit(main())
