"""Help ▸ Keyboard shortcuts, and a tooltip on every control.

``install_help(window)`` does two things:

* the Help menu's "Keyboard shortcuts" (F1) shows a sheet collected from the
  window's QActions and QShortcuts *when it is opened*, so a shortcut added by
  any module (export, presenter mode...) is listed without editing a table;
* a tooltip pass gives every control that has none a tooltip: a hand-written
  one from ``KNOWN`` (keyed by the attribute path, e.g. ``input.model.hidden``),
  else one derived from its form label, text or accessible name. The pass
  runs at install time and again after each analysis change, since panels
  create some controls as the input changes.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QDockWidget,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QSlider,
    QTextEdit,
    QWidget,
)

from .lesson_lock_ui import form_label, menu_named

TOOLTIP_PASS_DELAY_MS = 300
CONTROL_TYPES = (
    QAbstractButton,
    QComboBox,
    QAbstractSpinBox,
    QSlider,
    QLineEdit,
    QTextEdit,
    QPlainTextEdit,
)
# QShortcuts have no text: what the app's window-wide keys do
KEY_NAMES = {"Right": "→", "Left": "←", "Up": "↑", "Down": "↓"}
KEY_ACTIONS = {
    "Right": "next timestep",
    "Left": "previous timestep",
    "Home": "first timestep",
    "End": "last timestep",
    "Space": "play / pause",
}
KNOWN = {
    "input.model.hidden": "H, the number of hidden units (the size of h_t)",
    "input.model.embedding": "D, the length of each token's embedding row of E",
    "input.model.activation": "f in h_t = f(W_hh h_{t−1} + W_xh x_t + b_h)",
    "input.model.head": "g in y_t = g(W_hy h_t + b_y): softmax, sigmoid or identity",
    "input.model.loss": "How far y_t is from the target; the head and loss must match",
    "input.model.init": "How the random initial weights are drawn",
    "input.model.seed": "The same seed gives the same initial weights",
    "input.targets.label_combo": "The class this whole text should be classified as",
    "input.targets.label_edit": "The target of this whole text: a number or a class name",
    "input.targets.tags_edit": "One target per token, separated by spaces (- : not scored)",
    "input.about_button": "Show or hide what this example teaches",
    "training.optimizer_combo": "How each update uses the gradient: SGD, Adagrad, RMSProp, Adam",
    "training.clip_combo": "Gradient clipping during training: off, by value or by norm",
    "training.batch_combo": "Which examples each update averages over",
    "math.phase_combo": "Show the forward pass or the backward pass (BPTT) equations",
    "math.notation_combo": "The names of the weights: W_xh/W_hh/W_hy, U/W/V or A/B/C",
    "diagram.show_all": "Draw every timestep instead of a window around the cursor",
    "timeline.slider": "Drag to move the timestep cursor",
    "gradients.sigma_slider": "Rescale W_hh to this largest singular value σ_max",
    "gradients.sigma_box": "Rescale W_hh to this largest singular value σ_max",
    "preset_combo": "Load one of the worked examples",
    # Qt's own buttons, by object name
    "qt_menubar_ext_button": "More menus (the window is too narrow to show them all)",
    "qt_toolbar_ext_button": "More toolbar buttons (the window is too narrow to show them all)",
}
GENERIC = {
    QSlider: "Drag to change the value",
    QAbstractSpinBox: "Type a value or use the arrows",
    QComboBox: "Choose an option",
    QLineEdit: "Type a value and press Enter",
    QTextEdit: "Text",
    QPlainTextEdit: "Text",
    QAbstractButton: "Button",
}


# -- shortcuts sheet ---------------------------------------------------------------
def key_text(sequence: QKeySequence) -> str:
    text = sequence.toString(QKeySequence.SequenceFormat.PortableText)
    return "+".join(KEY_NAMES.get(part, part) for part in text.split("+")) if text else ""


def _action_text(action: QAction) -> str:
    text = action.text().replace("&", "").rstrip("…").strip()
    return text or action.toolTip() or action.objectName()


def _shortcut_text(shortcut: QShortcut) -> str:
    """What a QShortcut does: its whatsThis, a known key, or the button that names the key."""
    portable = shortcut.key().toString(QKeySequence.SequenceFormat.PortableText)
    if shortcut.whatsThis():
        return shortcut.whatsThis()
    if portable in KEY_ACTIONS:
        return KEY_ACTIONS[portable]
    parent = shortcut.parent()
    if isinstance(parent, QWidget):
        for button in parent.findChildren(QAbstractButton):
            tip = button.toolTip()
            if f"({portable})" in tip:  # e.g. "Copy the whole worked step … (Ctrl+C)"
                return tip.split(f"({portable})")[0].strip().rstrip(",")
        dock = parent if isinstance(parent, QDockWidget) else _dock_of(parent)
        if dock is not None:
            return f"in the {dock.windowTitle()} panel"
    return portable


def collect_shortcuts(window: QWidget) -> list[tuple[str, str]]:
    """(key, what it does) for every QAction and QShortcut in ``window``, keys unique."""
    rows: dict[str, str] = {}
    for shortcut in window.findChildren(QShortcut):
        key = key_text(shortcut.key())
        if key:
            rows.setdefault(key, _shortcut_text(shortcut))
    actions = set(window.findChildren(QAction)) | set(window.actions())
    for action in sorted(actions, key=_action_text):
        for sequence in action.shortcuts():
            key = key_text(sequence)
            if key:
                rows.setdefault(key, _action_text(action))
    # single keys first, then the F-keys and named keys, then combinations
    return sorted(rows.items(), key=lambda kv: ("+" in kv[0], len(kv[0]) > 1, kv[0]))


def shortcuts_html(rows: list[tuple[str, str]]) -> str:
    body = "".join(
        f"<tr><td><b>{html.escape(k)}</b>&nbsp;&nbsp;</td><td>{html.escape(what)}</td></tr>"
        for k, what in rows
    )
    return (
        f"<table>{body}</table><p>The timestep keys work whichever panel has focus, "
        "except while you type in a text box, where they edit the text.</p>"
    )


def show_sheet(parent: QWidget | None, rows: list[tuple[str, str]]) -> None:
    """The modal sheet (tests patch this)."""
    QMessageBox.information(parent, "Keyboard shortcuts", shortcuts_html(rows))


# -- tooltips ------------------------------------------------------------------------
def _attribute_names(window) -> dict[int, str]:
    """id(widget) -> 'panel.attr' or 'panel.attr.attr' for the panels' widget attributes."""
    names: dict[int, str] = {}

    def walk(obj, prefix: str, depth: int) -> None:
        for attr, value in vars(obj).items():
            if isinstance(value, QWidget) and not attr.startswith("_"):
                names.setdefault(id(value), f"{prefix}{attr}")
                if depth:
                    walk(value, f"{prefix}{attr}.", depth - 1)

    for name, panel in getattr(window, "panels", {}).items():
        walk(panel, f"{name}.", 1)
    walk(window, "", 0)
    return names


def derived_tooltip(widget: QWidget) -> str:
    """A tooltip made from what the control shows: its label, text or accessible name."""
    label = form_label(widget)
    label_text = label.text() if label is not None and hasattr(label, "text") else ""
    text = widget.text() if isinstance(widget, QAbstractButton | QLineEdit) else ""
    for candidate in (label_text, text, widget.accessibleName()):
        candidate = candidate.replace("&", "").strip()
        if candidate and not candidate.startswith("<"):
            if isinstance(widget, QAbstractSpinBox | QSlider):
                return f"{candidate}: {GENERIC[_kind(widget)].lower()}"
            return candidate
    dock = _dock_of(widget)
    generic = GENERIC[_kind(widget)]
    return f"{generic} ({dock.windowTitle()})" if dock is not None else generic


def _kind(widget: QWidget) -> type:
    return next(t for t in GENERIC if isinstance(widget, t))


def _dock_of(widget: QWidget) -> QDockWidget | None:
    w = widget.parentWidget()
    while w is not None and not isinstance(w, QDockWidget):
        w = w.parentWidget()
    return w


def _tooltip_for(widget: QWidget, names: dict[int, str]) -> str:
    known = KNOWN.get(names.get(id(widget), "")) or KNOWN.get(widget.objectName())
    return known or derived_tooltip(widget)


def add_missing_tooltips(window: QWidget) -> int:
    """Give every control without a tooltip one; returns how many were added."""
    names = _attribute_names(window)
    added = 0
    for widget in window.findChildren(QWidget):
        if not isinstance(widget, CONTROL_TYPES) or widget.toolTip():
            continue
        spin = widget.parentWidget()
        if isinstance(widget, QLineEdit) and isinstance(spin, QAbstractSpinBox):
            # a spin box's own editor: it shows the spin box's tooltip
            if not spin.toolTip():
                spin.setToolTip(_tooltip_for(spin, names))
            tip = spin.toolTip()
        else:
            tip = _tooltip_for(widget, names)
        widget.setToolTip(tip)
        added += 1
    return added


class Help:
    def __init__(self, window) -> None:
        self.window = window
        action = getattr(window, "shortcuts_action", None)
        if action is None:
            action = QAction("&Keyboard shortcuts", window)
            action.setShortcut(QKeySequence("F1"))
            menu_named(window, "Help").addAction(action)
            action.triggered.connect(lambda _c=False: self.show_shortcuts())
        # else: the main window's F1 action already calls window.help.show_shortcuts
        self.shortcuts_action = action
        # controls appear when the experiment changes (targets, dataset rows), not on every
        # new analysis: a training run makes ~30 analyses a second
        window.state.events.spec.connect(self._on_spec_changed)
        # typing changes the experiment on every key: walk the widgets once it pauses
        # (a tool tip only shows after a 0.7 s hover anyway), not inside each edit
        self._pass = QTimer(window)
        self._pass.setSingleShot(True)
        self._pass.setInterval(TOOLTIP_PASS_DELAY_MS)
        self._pass.timeout.connect(self.add_tooltips)
        add_missing_tooltips(window)

    def show_shortcuts(self) -> None:
        show_sheet(self.window, collect_shortcuts(self.window))

    def _on_spec_changed(self, _spec) -> None:
        self._pass.start()

    def add_tooltips(self) -> None:
        self._pass.stop()
        add_missing_tooltips(self.window)


def install_help(window) -> Help:
    """Live Help ▸ Keyboard shortcuts sheet and the tooltip pass on ``window`` (once)."""
    if getattr(window, "help", None) is not None:
        return window.help
    helper = Help(window)
    window.help = helper
    return helper
