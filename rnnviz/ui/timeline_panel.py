"""The timeline: one slider for the shared timestep cursor, and playback.

Playback is a QTimer that moves the cursor one step per tick over the
precomputed trace (pyqtgraph's ``ImageView.playTimer`` is the model). The
timer follows ``state.playing``, so the toolbar, the Space key and this
panel's button all drive the same playback. Slider and cursor are bound both
ways without loops because the state emits only on a real change.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QDockWidget,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSlider,
    QTextEdit,
    QToolButton,
    QWidget,
)

from ..session import Session
from .readout import Readout
from .theme import media_icon

STEP_KEYS = (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Home, Qt.Key.Key_End, Qt.Key.Key_Space)
SPEED_RANGE = (0.5, 20.0)  # steps per second
DEFAULT_SPEED = 2.0


def token_text(token: str, limit: int | None = None) -> str:
    """A token as a person can see it: spaces and newlines made visible, long ones elided."""
    text = token.replace(" ", "␣").replace("\n", "⏎").replace("\t", "⇥")
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


class TimelinePanel(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.state = session.state
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        self._build_controls()
        self.state.events.analysis.connect(self._on_analysis_changed)
        self.state.events.cursor.connect(self._on_cursor_changed)
        self.state.events.playing.connect(self._on_playing_changed)
        self._on_analysis_changed(self.state.analysis)
        self._on_playing_changed(self.state.playing)

    # -- building -------------------------------------------------------------
    def _build_controls(self) -> None:
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        s = self.session
        self.first_button = self._button("first", "First timestep (Home)", s.first)
        self.back_button = self._button("prev", "Previous timestep (←)", lambda: s.step(-1))
        self.play_button = self._button("play", "Play / pause (Space)", self.toggle_playing)
        self.forward_button = self._button("next", "Next timestep (→)", lambda: s.step(1))
        self.last_button = self._button("last", "Last timestep (End)", s.last)
        for b in (
            self.first_button,
            self.back_button,
            self.play_button,
            self.forward_button,
            self.last_button,
        ):
            layout.addWidget(b)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setMinimumWidth(120)
        self.slider.setPageStep(1)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.setToolTip("Drag to move the timestep cursor")
        self.slider.valueChanged.connect(self.session.set_cursor)
        layout.addWidget(self.slider, 1)
        self.position_label = Readout()
        self.position_label.setToolTip("Current timestep and its input token")
        # a steady width, so the slider does not jump while the token changes
        widest = "t = 2000 / 2000  ·  “Bootcamps123”"
        self.position_label.setMinimumWidth(self.fontMetrics().horizontalAdvance(widest))
        layout.addWidget(self.position_label)
        layout.addSpacing(8)
        layout.addWidget(QLabel("Speed"))
        self.speed = QDoubleSpinBox()
        self.speed.setRange(*SPEED_RANGE)
        self.speed.setSingleStep(0.5)
        self.speed.setDecimals(1)
        self.speed.setSuffix(" steps/s")
        self.speed.setValue(DEFAULT_SPEED)
        self.speed.setToolTip("Playback speed in timesteps per second")
        self.speed.valueChanged.connect(self._update_interval)
        layout.addWidget(self.speed)
        self.loop = QCheckBox("Loop")
        self.loop.setToolTip("Start again from the first step after the last one")
        layout.addWidget(self.loop)
        self._update_interval()

    def _button(self, kind: str, tip: str, slot) -> QToolButton:
        button = QToolButton()
        button.setProperty("media", kind)
        button.setIcon(media_icon(kind, self))
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.clicked.connect(slot)
        return button

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # the theme changed: redraw the icons
            for b in (
                self.first_button,
                self.back_button,
                self.play_button,
                self.forward_button,
                self.last_button,
            ):
                b.setIcon(media_icon(b.property("media"), self))

    # -- state -> widgets -----------------------------------------------------
    def _on_analysis_changed(self, analysis) -> None:
        T = analysis.length
        self.slider.blockSignals(True)
        self.slider.setRange(0, T - 1)
        self.slider.setTickInterval(max(1, T // 20))
        self.slider.setValue(self.state.cursor)
        self.slider.blockSignals(False)
        self._update_position()

    def _on_cursor_changed(self, cursor: int) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(cursor)
        self.slider.blockSignals(False)
        self._update_position()

    def _on_playing_changed(self, playing: bool) -> None:
        self.play_button.setProperty("media", "pause" if playing else "play")
        self.play_button.setIcon(media_icon("pause" if playing else "play", self))
        if not playing:
            self._timer.stop()
            return
        if self.state.cursor >= self.state.analysis.length - 1:
            self.session.first()  # play at the end starts again from the beginning
        self._timer.start()

    def _update_position(self) -> None:
        t, T = self.state.cursor, self.state.analysis.length
        tokens = self.state.analysis.built.tokens
        token = token_text(tokens[t], 12) if t < len(tokens) else ""
        self.position_label.setText(f"t = {t + 1} / {T}  ·  “{token}”")
        self.position_label.setToolTip(f"timestep {t + 1} of {T}; input token {tokens[t]!r}")

    def _update_interval(self) -> None:
        self._timer.setInterval(round(1000.0 / self.speed.value()))

    # -- playback ---------------------------------------------------------------
    def toggle_playing(self) -> None:
        self.session.set_playing(not self.state.playing)

    def _tick(self) -> None:
        if self.state.cursor < self.state.analysis.length - 1:
            self.session.step(1)
        elif self.loop.isChecked():
            self.session.first()
        else:
            self.session.set_playing(False)


# -- the keyboard: ←/→ Home End Space, whichever panel has focus -----------------------


def typing_widget(widget: QWidget | None, key: int) -> bool:
    """True when ``widget`` needs ``key`` for editing (a text box, spin box or combo box)."""
    if isinstance(widget, QLineEdit | QPlainTextEdit | QTextEdit):
        return not widget.isReadOnly()
    if isinstance(widget, QComboBox):  # Home/End pick an item, Space opens the list
        return widget.isEditable() or key not in (Qt.Key.Key_Left, Qt.Key.Key_Right)
    return isinstance(widget, QAbstractSpinBox)


class _KeyGuard(QObject):
    """Lets a focused text box keep the timestep keys (it claims their ShortcutOverride).

    A ShortcutOverride that the focused widget leaves unclaimed travels up its parents to
    its window: the guard watches the main window and each dock (a floating dock is a
    window of its own), not every event of the application, which cost ~1 ms per edit."""

    def watch(self, widget: QWidget) -> None:
        widget.installEventFilter(self)
        for dock in widget.findChildren(QDockWidget):
            dock.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt API)
        if event.type() == QEvent.Type.ChildPolished and isinstance(event.child(), QDockWidget):
            event.child().installEventFilter(self)  # a dock made later (the Lesson dock)
        elif (
            event.type() == QEvent.Type.ShortcutOverride
            and event.key() in STEP_KEYS
            and event.modifiers()
            in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)
            and typing_widget(QApplication.focusWidget(), event.key())
        ):
            event.accept()  # an accepted override is delivered as a key press, not a shortcut
        return False


def install_step_keys(window: QWidget, session: Session) -> list[QShortcut]:
    """Window-wide timestep keys; a focused text box keeps them for typing."""
    keys = (
        (Qt.Key.Key_Right, lambda: session.step(1)),
        (Qt.Key.Key_Left, lambda: session.step(-1)),
        (Qt.Key.Key_Home, session.first),
        (Qt.Key.Key_End, session.last),
        (Qt.Key.Key_Space, lambda: session.set_playing(not session.state.playing)),
    )
    shortcuts = []
    for key, slot in keys:
        shortcut = QShortcut(QKeySequence(key), window)
        shortcut.setContext(Qt.ShortcutContext.WindowShortcut)  # floating docks included
        shortcut.activated.connect(slot)
        shortcuts.append(shortcut)
    # a child of the window: Qt drops the filter when the window is destroyed
    _KeyGuard(window).watch(window)
    return shortcuts
