"""The registry of exportable views: name -> where it lives in a MainWindow.

A *view* is one figure of the main window: a pyqtgraph plot (or a layout of
plots), the diagram's scene, or the whole window. Each entry says which panel
holds it (``window.panels`` key), how to find the item on that panel, the
formats it offers and the options its CSV needs. Panels are not changed for
this: ``locate`` and ``csv_options`` only read their public attributes, and
``show_view`` (the one adapter that reaches further) brings a view on screen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtWidgets import QApplication

FORMATS = ("png", "svg", "csv")


@dataclass(frozen=True)
class ExportView:
    """One exportable figure of the main window."""

    name: str
    title: str
    panel: str  # key in window.panels ("" for the whole window)
    locate: Callable  # panel (or window) -> QGraphicsItem | QGraphicsScene | QWidget
    formats: tuple[str, ...] = FORMATS
    tab: str | None = None  # the gradients panel's tab that shows it
    csv_options: Callable = field(default=lambda panel: {})  # panel -> view_csv options


def _hidden(key: str) -> Callable:
    return lambda p: p.plot_widgets[key]


def _saturation(panel) -> dict:
    return {"saturation": bool(panel.saturation)}


VIEWS: dict[str, ExportView] = {
    v.name: v
    for v in (
        ExportView(
            "hidden-heatmap",
            "Hidden state heatmap",
            "hidden",
            _hidden("heatmap"),
            csv_options=_saturation,
        ),
        ExportView(
            "hidden-state",
            "Hidden state panel (heatmap, bars, colour bar, lines)",
            "hidden",
            lambda p: p.view.ci,
            csv_options=_saturation,
        ),
        ExportView(
            "hidden-bars",
            "Hidden state at the cursor",
            "hidden",
            _hidden("bars"),
            csv_options=_saturation,
        ),
        ExportView(
            "unit-lines",
            "Hidden units over time",
            "hidden",
            _hidden("lines"),
            csv_options=_saturation,
        ),
        ExportView(
            "output-bars",
            "Output bars",
            "output",
            lambda p: p.plot,
            csv_options=lambda p: {"rows": list(p.order)} if len(p.order) else {},
        ),
        ExportView(
            "dh-norms",
            "Gradient norms ‖dL/dh_t‖",
            "gradients",
            lambda p: p.time_plots["dh"],
            tab="time",
        ),
        ExportView(
            "jacobian",
            "Jacobian norms ‖dh_T/dh_t‖",
            "gradients",
            lambda p: p.time_plots["jacobian"],
            tab="time",
        ),
        ExportView(
            "loss-state",
            "Loss → each state (T × T)",
            "gradients",
            lambda p: p.views["loss"].view.ci,
            tab="loss",
        ),
        ExportView(
            "param-norms",
            "Parameter gradient norms",
            "gradients",
            lambda p: p.views["params"].bars_plot,
            tab="params",
        ),
        ExportView("training", "Training history", "training", lambda p: p.plots.view.ci),
        ExportView(
            "clipping-lab",
            "Clipping lab",
            "lab",
            lambda p: p.plots.ci,
            csv_options=lambda p: {"lab": p.history},
        ),
        ExportView(
            "diagram",
            "Unrolled network diagram",
            "diagram",
            lambda p: p.export_scene(),
            ("png", "svg"),
        ),
        ExportView("window", "Whole window", "", lambda w: w, ("png",)),
    )
}


class ExportError(ValueError):
    """A view that cannot be exported as asked (message says why)."""


def get_view(name: str) -> ExportView:
    if name not in VIEWS:
        raise ExportError(f"unknown view {name!r}; choose from {', '.join(VIEWS)}")
    return VIEWS[name]


def available_views(window) -> list[ExportView]:
    """The views whose panel this window has (a panel that failed to load has none)."""
    return [v for v in VIEWS.values() if not v.panel or v.panel in window.panels]


def show_view(window, view: ExportView) -> None:
    """Bring the view on screen and up to date: its dock in front, its tab chosen.

    A hidden dock has no size to render, and the gradients panel redraws a tab
    only when it is visible, so an export always shows what it writes.
    """
    dock = window.docks.get(view.panel)
    if dock is not None:
        dock.show()
        dock.raise_()
    panel = window.panels.get(view.panel)
    if view.tab is not None and panel is not None:
        panel.tabs.setCurrentIndex(list(panel.views).index(view.tab))
    QApplication.processEvents()
    if view.tab is not None and panel is not None and view.tab in panel._stale:
        # not visible (e.g. the window is not shown): draw the tab anyway, as _refresh would
        panel._stale.discard(view.tab)
        panel._rebuild_time() if view.tab == "time" else panel.views[view.tab].rebuild()


def target(window, view: ExportView):
    """The item, scene or widget that ``view`` draws in ``window``."""
    if not view.panel:
        return view.locate(window)
    panel = window.panels.get(view.panel)
    if panel is None:
        raise ExportError(f"the {view.title.lower()} is not available in this window")
    return view.locate(panel)
