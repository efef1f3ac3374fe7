"""``python -m rnnviz``: the same as the ``rnnviz`` command (see rnnviz.cli)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
