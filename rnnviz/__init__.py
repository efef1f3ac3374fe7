"""rnnviz: see how a recurrent neural network works.

The engine (``rnnviz.engine``) is pure NumPy and can be used from a notebook
without Qt; the desktop app lives in ``rnnviz.ui``.
"""

__version__ = "0.1.0"
