"""Run rnnviz from a checkout: ``python app.py [session.json]``."""

import sys

from rnnviz.ui.app import main

raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else None))
