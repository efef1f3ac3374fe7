"""The desktop app (PySide6 + pyqtgraph). Everything Qt lives under this package."""
