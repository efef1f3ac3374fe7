"""File formats of rnnviz, Qt-free: session files, trace files, atomic writes.

* ``session_file``: the whole experiment as hand-writable JSON
  (docs/session-format.md); strict, path-naming validation on load. Its
  parts: ``session_checks`` (one value), ``session_schema`` (the sections),
  ``session_network`` (across sections, the build, the saved state),
  ``session_writer`` (Spec -> JSON values).
* ``jsonfile``: strict JSON reading (size, UTF-8, positions, duplicate keys,
  NaN) and the deterministic writer shared by session and trace files.
* ``trace_file``: every intermediate of one pass as JSON or a per-timestep
  CSV (docs/trace-format.md).
* ``atomic``: write-to-temp, fsync, rename; a failed write never damages
  the existing file.
"""

from .atomic import atomic_write_bytes, atomic_write_text
from .session_file import (
    MAX_FILE_BYTES,
    SessionFile,
    SessionFileError,
    dumps_session,
    load_session,
    loads_session,
    save_session,
    session_from_dict,
    session_to_dict,
    spec_from_dict,
    spec_to_dict,
)
from .trace_file import (
    trace_csv_text,
    trace_json_text,
    trace_to_dict,
    write_trace_csv,
    write_trace_json,
)

__all__ = [
    "MAX_FILE_BYTES",
    "SessionFile",
    "SessionFileError",
    "atomic_write_bytes",
    "atomic_write_text",
    "dumps_session",
    "load_session",
    "loads_session",
    "save_session",
    "session_from_dict",
    "session_to_dict",
    "spec_from_dict",
    "spec_to_dict",
    "trace_csv_text",
    "trace_json_text",
    "trace_to_dict",
    "write_trace_csv",
    "write_trace_json",
]
