"""Is a panel on screen? (A dock tabbed behind another is not, though Qt says it is visible.)

``QMainWindow`` keeps the covered docks of a tab group "visible" and parks
them off screen, so ``isVisible()`` is True for them. Panels that are costly to
redraw check ``is_shown`` and redraw when the window tells them, through
``on_shown()``, that their dock came to the front.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget


def is_shown(widget: QWidget) -> bool:
    return widget.isVisible() and not widget.visibleRegion().isEmpty()
