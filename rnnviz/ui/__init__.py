"""The desktop app (PySide6 + pyqtgraph). Everything Qt lives under this package."""

import os

# The engine's matrices are small (H <= a few hundred): OpenBLAS threads cost
# more than they save and made the same pass 2-12x slower on a 2-core machine.
# Set before NumPy is first imported by the app (an explicit setting wins).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
