"""Figure export without Qt: the numbers each view plots, and the figure-bundle layout.

* ``csv_views``: the CSV text of every plot, from the trace / history;
* ``bundle``: what goes into an "Export figure bundle" folder and its README;
The Qt side (rendering PNG/SVG, the menus) is ``rnnviz.ui.exporters`` and
``rnnviz.ui.export_actions``; ``rnnviz export SESSION.json --view NAME --format
png|svg|csv`` is ``rnnviz.ui.headless_export`` (an offscreen Qt, no display).
"""

from .csv_views import CSV_VIEWS, view_csv

__all__ = ["CSV_VIEWS", "view_csv"]
