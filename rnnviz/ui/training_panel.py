"""The training panel: data, settings, play/pause/step/stop/reset, and live plots.

Training is the engine's Qt-free generator ``train(params, samples, config,
settings)`` run by ``GeneratorRunner`` in a worker thread. The runner hands
over the snapshots that arrived since its last tick (~30 Hz) on the GUI
thread, and each batch becomes ONE ``session.apply_snapshots`` call: one new
analysis, so every panel follows the training at a steady rate however fast
it runs. A run continues from the weights on screen (``state.current_params``,
else the spec's); Reset returns to the spec's initial weights.

Everything shown (plots, the stop banner, the status line) is derived from
``state.history`` and ``state.training``; the runner only produces history.
A run whose experiment changes under it (a preset loaded, the network
resized, the data or the loss changed elsewhere) is abandoned: its remaining
snapshots would not fit.
"""

from __future__ import annotations

import re
from html import escape

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..engine.clipping import MODES
from ..engine.optimizers import OPTIMIZERS
from ..engine.spec import MAX_TOKENS, Example
from ..engine.train import MAX_STEPS, TrainSettings, train
from ..session import Session
from .input_widgets import MessageArea
from .theme import media_icon
from .training_plots import TrainingPlots
from .worker import GeneratorRunner

BATCH_LABELS = (("full", "all examples (full batch)"), ("single", "one example per update"))
CLIP_LABELS = {"off": "off", "value": "value (each component)", "norm": "norm (whole gradient)"}
BANNER_STYLE = (
    "QLabel { background:#fde2e1; color:#6b0d0d; border:2px solid #cc0000; "
    "border-radius:4px; padding:6px; }"
)
LOCKED = "Stop training to change the settings or the data."


def _run_key(spec) -> tuple:
    """What a running training depends on besides the weights (the display's clipping not)."""
    c = spec.config
    return (c.activation, c.head, c.loss, c.reduction, c.truncation, spec.dataset) + (
        () if spec.dataset else (spec.text,)  # without a dataset the text is the data
    )


class TrainingPanel(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.state = session.state
        self.runner: GeneratorRunner | None = None
        self._retired: list[GeneratorRunner] = []  # stopping; ignored until they end
        self._applying = False  # our own apply_snapshots is running
        self._run_key: tuple | None = None
        self._run_end = 0  # the update number the running training ends at
        self._problem: str | None = None  # the message of our last refused intent
        self._build_layout()
        for field in ("spec", "history", "training", "error", "current_params"):
            getattr(self.state.events, field).connect(getattr(self, f"_on_{field}_changed"))
        self._on_spec_changed(self.state.spec)
        self._on_history_changed(self.state.history)
        self._update_controls()
        app = QCoreApplication.instance()
        if app is not None:  # no worker thread outlives the app
            app.aboutToQuit.connect(self.shutdown)

    # -- building -------------------------------------------------------------
    def _build_layout(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        outer.addWidget(splitter)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(320)
        body = QWidget()
        scroll.setWidget(body)
        self._layout = QVBoxLayout(body)
        self._layout.setContentsMargins(8, 6, 8, 6)
        self._build_transport()
        self._build_settings()
        self.dataset = DatasetEditor(self.state, self._set_dataset)
        self._layout.addWidget(self.dataset)
        self._layout.addStretch(1)
        self.plots = TrainingPlots()
        splitter.addWidget(scroll)
        splitter.addWidget(self.plots)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([340, 660])

    def _button(self, text: str, tip: str, slot) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        button.clicked.connect(slot)
        return button

    def _build_transport(self) -> None:
        grid = QGridLayout()
        self.train_button = self._button(
            "Train", "Train from the weights on screen (or resume)", self._on_train
        )
        self.train_button.setIcon(media_icon("play", self))
        self.pause_button = self._button("Pause", "Pause after this update", self._on_pause)
        self.pause_button.setIcon(media_icon("pause", self))
        self.step_button = self._button("Step once", "Do exactly one update", self._on_step)
        self.stop_button = self._button("■ Stop", "End this run; keep its weights", self._on_stop)
        self.reset_button = self._button(
            "⟲ Reset", "Back to the same initial weights; clears the history", self._on_reset
        )
        buttons = (self.train_button, self.pause_button, self.step_button)
        for col, button in enumerate(buttons):
            grid.addWidget(button, 0, col)
        grid.addWidget(self.stop_button, 1, 0)
        grid.addWidget(self.reset_button, 1, 1, 1, 2)
        self._layout.addLayout(grid)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        # wrapped labels must not widen the column past the dock (their text just wraps)
        self.status_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._layout.addWidget(self.status_label)
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(BANNER_STYLE)
        self.banner.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._layout.addWidget(self.banner)
        self.messages = MessageArea()
        self._layout.addWidget(self.messages)

    def _build_settings(self) -> None:
        self.settings_box = QGroupBox("Settings")
        form = QFormLayout(self.settings_box)
        self.optimizer_combo = QComboBox()
        self.optimizer_combo.addItems(["SGD", "Adagrad", "RMSProp", "Adam"])
        self.optimizer_combo.currentIndexChanged.connect(
            lambda i: self._set_training(optimizer=OPTIMIZERS[i])
        )
        form.addRow("Optimizer", self.optimizer_combo)
        self.lr_edit = QLineEdit()
        self.lr_edit.setToolTip("Step size: a positive number such as 0.1, 0.01 or 1e-3")
        self.lr_edit.editingFinished.connect(
            lambda: self._set_number("learning_rate", self.lr_edit)
        )
        form.addRow("Learning rate", self.lr_edit)
        self.clip_combo = QComboBox()
        self.clip_combo.addItems([CLIP_LABELS[m] for m in MODES])
        self.clip_combo.currentIndexChanged.connect(
            lambda i: self._set_training(clip_mode=MODES[i])
        )
        form.addRow("Clipping", self.clip_combo)
        self.threshold_edit = QLineEdit()
        self.threshold_edit.setToolTip(
            "Norm clipping: g ← g·c/‖g‖ when ‖g‖ > c.  Value clipping: each entry to [−c, c]."
        )
        self.threshold_edit.editingFinished.connect(
            lambda: self._set_number("clip_threshold", self.threshold_edit)
        )
        form.addRow("Threshold c", self.threshold_edit)
        self.truncation_spin = QSpinBox()
        self.truncation_spin.setRange(0, MAX_TOKENS)
        self.truncation_spin.setSpecialValueText("off (full BPTT)")
        self.truncation_spin.setSuffix(" steps back")
        self.truncation_spin.setKeyboardTracking(False)
        self.truncation_spin.setToolTip("Truncated BPTT: each loss sends gradient k steps back")
        self.truncation_spin.valueChanged.connect(
            lambda k: self._ask(self.session.set_model, truncation=k or None)
        )
        form.addRow("Truncation", self.truncation_spin)
        self.steps_spin = QSpinBox()
        self.steps_spin.setRange(1, MAX_STEPS)
        self.steps_spin.setKeyboardTracking(False)
        self.steps_spin.setToolTip("Updates per press of Train")
        self.steps_spin.valueChanged.connect(lambda n: self._set_training(steps=n))
        form.addRow("Steps", self.steps_spin)
        self.batch_combo = QComboBox()
        self.batch_combo.addItems([label for _key, label in BATCH_LABELS])
        self.batch_combo.currentIndexChanged.connect(
            lambda i: self._set_training(batch=BATCH_LABELS[i][0])
        )
        form.addRow("Batch", self.batch_combo)
        self._layout.addWidget(self.settings_box)

    # -- widgets -> session ---------------------------------------------------
    def _ask(self, intent, **changes) -> bool:
        """Call a session intent; a refusal shows the session's message here too."""
        ok = intent(**changes)
        self._problem = None if ok else self.state.error
        self._update_messages()
        return ok

    def _set_training(self, **settings) -> bool:
        current = self.state.spec.training
        if all(current.get(k) == v for k, v in settings.items()):
            return self._unchanged()  # focus left a field: no new analysis, no dirty mark
        return self._ask(self.session.set_training, **settings)

    def _unchanged(self) -> bool:
        """Back to what the spec holds: our refused edit's message no longer applies."""
        if self._problem is not None and self.state.error == self._problem:
            self.session.clear_error()
        return True

    def _set_number(self, key: str, edit: QLineEdit) -> None:
        text = edit.text().strip()
        try:
            value: object = float(text)
        except ValueError:
            value = text  # the engine says why this is not a number
        if not self._set_training(**{key: value}):
            return
        self._update_settings()

    def _set_dataset(self, dataset: tuple) -> bool:
        if dataset == self.state.spec.dataset:
            return self._unchanged()
        return self._ask(self.session.set_input, dataset=dataset)

    def _on_train(self) -> None:
        if self.runner is not None:  # paused: carry on
            self.runner.resume()
            self.session.set_training_status("running")
        else:
            self._start(paused=False)

    def _on_pause(self) -> None:
        if self.runner is not None:
            self.runner.pause()
            self.session.set_training_status("paused")

    def _on_step(self) -> None:
        if self.runner is None and not self._start(paused=True):
            return
        self.runner.step_once()

    def _on_stop(self) -> None:
        if self.runner is not None:
            self.runner.stop()  # the last snapshots still arrive, then sig_finished

    def _on_reset(self) -> None:
        self._abandon()
        self._ask(self.session.reset_weights)

    # -- the run ---------------------------------------------------------------
    def _start(self, paused: bool) -> bool:
        state = self.state
        built = state.analysis.built
        params = built.params if state.current_params is None else state.current_params
        try:
            settings = self.session.train_settings()
            gen = train(params, built.samples, built.config, settings)
        except ValueError as e:
            self._problem = f"Cannot train: {e}"
            self._update_messages()
            return False
        self._problem = None  # an old "training stopped" no longer applies
        self._update_messages()
        self.runner = GeneratorRunner(gen, rate_hz=30, parent=self)
        self.runner.sig_items.connect(self._on_items)
        self.runner.sig_finished.connect(self._on_finished)
        self._run_key = _run_key(state.spec)
        self._run_end = len(state.history) + settings.steps
        self.runner.start(paused=paused)
        self.session.set_training_status("paused" if paused else "running")
        self._update_controls()
        return True

    def _on_items(self, snapshots: list) -> None:
        self._applying = True
        try:
            ok = self.session.apply_snapshots(snapshots)  # one new analysis per batch
        finally:
            self._applying = False
        if not ok:  # the weights no longer fit what is on screen
            self._abandon()
            self.session.set_training_status("idle")

    def _on_finished(self, outcome: str) -> None:
        runner, self.runner = self.runner, None
        if runner is not None:
            runner.deleteLater()
        history = self.state.history
        if outcome.startswith("error"):
            self._problem = f"Training failed ({outcome[7:]})"
            self._update_messages()
        stopped = bool(history) and history[-1].stopped is not None
        self.session.set_training_status("stopped" if stopped else "idle")
        self._update_controls()
        self._update_status()
        self._update_plots()  # the x axis now fits what was done

    def _abandon(self) -> None:
        """Stop the run without applying anything more from it."""
        runner, self.runner = self.runner, None
        if runner is None:
            return
        runner.sig_items.disconnect(self._on_items)
        runner.sig_finished.disconnect(self._on_finished)
        runner.sig_finished.connect(lambda _outcome, r=runner: self._on_retired(r))
        runner.stop()
        self._retired.append(runner)
        self._update_controls()

    def _on_retired(self, runner: GeneratorRunner) -> None:
        if runner in self._retired:
            self._retired.remove(runner)
            runner.deleteLater()

    def shutdown(self) -> None:
        """Stop every worker thread and wait for it (closing the window, tests)."""
        for runner in [self.runner, *self._retired]:
            if runner is not None:
                runner.stop()
                runner.wait()
        if self.runner is not None:
            self._abandon()
            if self.state.training in ("running", "paused"):
                self.session.set_training_status("idle")

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        self.shutdown()
        super().closeEvent(event)

    # -- state -> widgets -----------------------------------------------------
    def _on_spec_changed(self, spec) -> None:
        if self.runner is not None and _run_key(spec) != self._run_key:
            self._abandon()  # the run trains something that is no longer on screen
            self._problem = "Training stopped: the data or the network changed."
            self.session.set_training_status("idle")
        self._update_settings()
        self.dataset.update_from(spec)
        self._update_plots()
        self._update_messages()

    def _on_history_changed(self, history) -> None:
        if self.runner is not None and not self._applying:
            self._abandon()  # reset, a new preset or a resized network elsewhere
            if self.state.training in ("running", "paused"):
                self.session.set_training_status("idle")
        self._update_plots()
        self._update_banner()
        self._update_status()

    def _on_training_changed(self, status) -> None:
        self._update_controls()
        self._update_status()

    def _on_current_params_changed(self, params) -> None:
        self._update_controls()

    def _on_error_changed(self, error) -> None:
        if error != self._problem:  # cleared, or another change was refused elsewhere
            self._problem = None
        self._update_messages()

    def _update_settings(self) -> None:
        spec = self.state.spec
        try:
            s = TrainSettings.from_dict(spec.training)
        except ValueError:
            s = TrainSettings()
        widgets = (self.optimizer_combo, self.clip_combo, self.truncation_spin)
        widgets += (self.steps_spin, self.batch_combo)
        for w in widgets:
            w.blockSignals(True)
        self.optimizer_combo.setCurrentIndex(OPTIMIZERS.index(s.optimizer))
        self.clip_combo.setCurrentIndex(MODES.index(s.clip_mode))
        self.truncation_spin.setValue(spec.config.truncation or 0)
        self.steps_spin.setValue(s.steps)
        self.batch_combo.setCurrentIndex([k for k, _ in BATCH_LABELS].index(s.batch))
        for w in widgets:
            w.blockSignals(False)
        self.lr_edit.setText(f"{s.learning_rate:g}")
        self.threshold_edit.setText(f"{s.clip_threshold:g}")
        self.threshold_edit.setEnabled(s.clip_mode != "off")

    def _update_plots(self) -> None:
        try:
            s = self.session.train_settings()
        except ValueError:
            s = TrainSettings()
        end = self._run_end if self.runner is not None else None
        self.plots.set_history(self.state.history, s.clip_mode, s.clip_threshold, end)

    def _update_banner(self) -> None:
        history = self.state.history
        stop = history[-1].stopped if history else None
        self.banner.setVisible(stop is not None)
        if stop is None:
            return
        n = len(history)  # the failed update's number counting earlier runs too
        overall = f" (update {n} of the whole history)" if n != history[-1].step + 1 else ""
        self.banner.setText(
            f"<b>⚠ Training stopped.</b> {escape(stop)}{overall}<br>"
            "Every panel shows these last finite weights: inspect them, press Reset, "
            "or turn on clipping and train again."
        )

    def _update_status(self) -> None:
        state, history = self.state, self.state.history
        last = history[-1] if history else None
        loss = "" if last is None else f" · loss {last.loss:.4g}"
        acc = "" if last is None or last.accuracy is None else f" · accuracy {last.accuracy:.0%}"
        text = {
            "running": "Training…",
            "paused": "Paused.",
            "stopped": "Stopped: the numbers blew up (see below).",
        }.get(state.training, "Ready." if not history else "Done.")
        done = (
            f" {len(history)} updates so far{loss}{acc}." if history else " Press Train to start."
        )
        if self.runner is not None:
            done += " Stop to change the settings or the data."
        self.status_label.setText(f"<b>{text}</b>{done}")

    def _update_controls(self) -> None:
        active = self.runner is not None
        paused = active and self.state.training == "paused"
        self.train_button.setText("Resume" if paused else "Train")
        self.train_button.setEnabled(not active or paused)
        self.pause_button.setEnabled(active and not paused)
        self.step_button.setEnabled(not active or paused)
        self.stop_button.setEnabled(active)
        trained = self.state.current_params is not None or bool(self.state.history)
        self.reset_button.setEnabled(active or trained)
        for box in (self.settings_box, self.dataset):
            box.setEnabled(not active)
            box.setToolTip(LOCKED if active else "")

    def _update_messages(self) -> None:
        self.messages.set_messages(self._problem, None)


# -- the training data --------------------------------------------------------------------
NO_TAG = ("", "-", "none", "None")


def value_text(value, empty: str = "") -> str:
    """A label or tag as it is typed: a class name, a number, or numbers with commas."""
    if value is None:
        return empty
    if isinstance(value, str):
        return value
    if isinstance(value, tuple | list):
        return ", ".join(f"{float(v):g}" for v in value)
    return f"{float(value):g}"


def parse_value(text: str, classes: tuple):
    """The inverse of ``value_text``; text that is neither is passed on for the engine
    to refuse with a message naming the example."""
    text = text.strip()
    if not text or text in classes:
        return text or None
    try:
        numbers = [float(p) for p in re.split(r"[,\s]+", text) if p]
    except ValueError:
        return text
    numbers = [int(v) if v.is_integer() else v for v in numbers]
    return numbers[0] if len(numbers) == 1 else tuple(numbers)


def parse_tags(text: str, classes: tuple) -> tuple | None:
    """'1, 1, 0, -' -> (1, 1, 0, None): one tag per token, '-' for an unscored step."""
    if not text.strip():
        return None
    parts = text.split(",") if "," in text else text.split()
    return tuple(None if p.strip() in NO_TAG else parse_value(p, classes) for p in parts)


class DatasetEditor(QGroupBox):
    """The training examples as an editable table; next-token data can be pasted as lines.

    ``apply(dataset)`` asks the session for the change (True if accepted). A
    refused edit stays in the table as typed, next to the session's message.
    """

    def __init__(self, state, apply, parent: QWidget | None = None) -> None:
        super().__init__("Training data", parent)
        self.state = state
        self._apply = apply
        self._spec = None
        layout = QVBoxLayout(self)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        layout.addWidget(self.caption)
        self.table = QTableWidget(0, 2)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setMinimumHeight(170)
        self.table.itemChanged.connect(lambda _item: self._apply(self.examples()))
        layout.addWidget(self.table)
        row = QHBoxLayout()
        self.add_button = QPushButton("Add example")
        self.add_button.clicked.connect(self._on_add)
        self.remove_button = QPushButton("Remove selected")
        self.remove_button.clicked.connect(self._on_remove)
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.paste_label = QLabel("<b>Paste your own text</b>: each line becomes an example")
        self.paste_label.setWordWrap(True)
        self.paste_edit = QPlainTextEdit()
        self.paste_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 14)
        self.paste_edit.setPlaceholderText("One sentence per line…")
        self.paste_button = QPushButton("Train on these lines")
        self.paste_button.clicked.connect(self._on_paste)
        for w in (self.paste_label, self.paste_edit, self.paste_button):
            layout.addWidget(w)

    def update_from(self, spec) -> None:
        self._spec = spec
        numeric, tokens = spec.encoding == "numeric", spec.task == "next-token"
        for w in (self.table, self.add_button, self.remove_button):
            w.setVisible(not numeric)
        for w in (self.paste_label, self.paste_edit, self.paste_button):
            w.setVisible(tokens and not numeric)
        second = {"many-to-one": "label", "many-to-many": "tags (one per token)"}
        self.table.setHorizontalHeaderLabels(["text", second.get(spec.task, "")])
        self.table.setColumnHidden(1, tokens)
        self.table.blockSignals(True)
        self.table.setRowCount(len(spec.dataset))
        for r, ex in enumerate(spec.dataset):
            other = value_text(ex.label) if spec.task == "many-to-one" else ""
            if spec.task == "many-to-many":
                other = ", ".join(value_text(t, "-") for t in ex.tags or ())
            self.table.setItem(r, 0, QTableWidgetItem(ex.text))
            self.table.setItem(r, 1, QTableWidgetItem(other))
        self.table.blockSignals(False)
        self.caption.setText(self._caption(spec))

    @staticmethod
    def _caption(spec) -> str:
        if spec.encoding == "numeric":
            return "A numeric series trains on itself: the input series is the data."
        n, unit = len(spec.dataset), "word" if spec.level == "word" else "character"
        if not n:
            return (
                "No separate examples: the network trains on the input text"
                + (" and its label." if spec.task == "many-to-one" else ".")
                + " Add examples below."
            )
        if spec.task == "many-to-one":
            return f"{n} examples, each with a label ({', '.join(spec.classes)})."
        if spec.task == "many-to-many":
            return f"{n} examples with one tag per {unit} (a class, a number, or - for none)."
        return f"{n} examples: after each {unit} the network learns to predict the next one."

    def examples(self) -> tuple[Example, ...]:
        """The table as a dataset; rows whose text is still empty are left out."""
        spec, out = self._spec, []
        for r in range(self.table.rowCount()):
            text_item, other_item = self.table.item(r, 0), self.table.item(r, 1)
            text = text_item.text().strip() if text_item else ""
            other = other_item.text() if other_item else ""
            if not text:
                continue
            if spec.task == "many-to-one":
                out.append(Example(text, parse_value(other, spec.classes)))
            elif spec.task == "many-to-many":
                out.append(Example(text, tags=parse_tags(other, spec.classes)))
            else:
                out.append(Example(text))
        return tuple(out)

    def _on_add(self) -> None:
        spec = self._spec
        r = self.table.rowCount()
        self.table.blockSignals(True)  # an empty row changes nothing until it has text
        self.table.insertRow(r)
        self.table.setItem(r, 0, QTableWidgetItem(""))
        label = spec.classes[0] if spec.task == "many-to-one" and spec.classes else ""
        self.table.setItem(r, 1, QTableWidgetItem(label))
        self.table.blockSignals(False)
        self.table.setCurrentCell(r, 0)
        self.table.editItem(self.table.item(r, 0))

    def _on_remove(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True)
        if not rows and self.table.currentRow() >= 0:
            rows = [self.table.currentRow()]
        if not rows:
            return
        self.table.blockSignals(True)
        for r in rows:
            self.table.removeRow(r)
        self.table.blockSignals(False)
        self._apply(self.examples())

    def _on_paste(self) -> None:
        lines = [line.strip() for line in self.paste_edit.toPlainText().splitlines()]
        self._apply(tuple(Example(line) for line in lines if line))
