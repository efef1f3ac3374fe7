"""The ``rnnviz`` command (also ``python -m rnnviz``).

    rnnviz                                  open the app
    rnnviz SESSION.json                     open that session in the app
    rnnviz trace SESSION.json [--json|--csv] [-o FILE] [--initial]
                                            every number of one forward/backward pass
    rnnviz gradcheck SESSION.json [--displayed] [--max-samples N] [--initial]
                                            BPTT vs central differences; exit 0 iff all pass
    rnnviz presets                          list the built-in lessons
    rnnviz preset NAME [-o FILE] [--force]  a lesson as a session file
    rnnviz export SESSION.json --view NAME --format png|svg|csv -o PATH
                  [--timestep t] [--size WxH] [--dpi N] [--train N] [--force]
                                            one figure without a window (rnnviz.ui.headless_export;
                                            --train N trains N steps first)

Everything except opening the app works without a display, and only export's
PNG/SVG import Qt (on its offscreen platform). Errors (a missing file, a bad
session) print one line to stderr and exit with status 2, never a traceback
(set RNNVIZ_DEBUG=1 to see one for a bug).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys

# Small matrices: one BLAS thread is faster (see rnnviz/ui/__init__.py). Before NumPy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from . import __version__
from .engine.encoding import embed
from .engine.gradcheck import check
from .engine.params import Params
from .engine.spec import Built, build
from .engine.trace import Sample, Trace, run
from .io.atomic import atomic_write_text
from .io.session_file import SessionFile, SessionFileError, dumps_session, load_session
from .io.trace_file import trace_csv_text, trace_json_text

COMMANDS = ("trace", "gradcheck", "presets", "preset", "export")
EXIT_OK, EXIT_FAILED, EXIT_ERROR = 0, 1, 2


class CliError(Exception):
    """A problem the user can fix; printed as one line, exit status 2."""


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    _tolerant_output()
    if argv and argv[0] == "export":  # figures without a window (Qt offscreen, imported there)
        from .ui.headless_export import main_export

        return main_export(argv[1:])
    try:
        if not argv or (argv[0] not in COMMANDS and not argv[0].startswith("-")):
            return _open_app(argv)
        try:
            args = _parser().parse_args(argv)
        except SystemExit as e:  # --help, --version, or a usage error argparse already printed
            return e.code if isinstance(e.code, int) else EXIT_ERROR
        return args.run(args)
    except (CliError, SessionFileError, ValueError, OSError) as e:
        if isinstance(e, BrokenPipeError):  # `rnnviz trace x.json | head`
            _silence_stdout()
            return EXIT_OK
        print(f"rnnviz: error: {e}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # a bug: still one line, unless the developer asks for more
        if os.environ.get("RNNVIZ_DEBUG"):
            raise
        print(
            f"rnnviz: internal error ({type(e).__name__}: {e}); please report it "
            "(RNNVIZ_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return EXIT_ERROR


def _silence_stdout() -> None:
    """After a closed pipe, point stdout at devnull so the exit-time flush stays quiet."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _tolerant_output() -> None:
    """Print σ and γ even on a console that is not UTF-8 (they become '?')."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if encoding != "utf8" and hasattr(stream, "reconfigure"):
            with contextlib.suppress(ValueError, OSError):
                stream.reconfigure(errors="replace")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="rnnviz",
        description="See how a recurrent neural network works. Without a command, "
        "`rnnviz` opens the app and `rnnviz SESSION.json` opens that session in it.",
    )
    p.add_argument("--version", action="version", version=f"rnnviz {__version__}")
    p.set_defaults(run=lambda args: _open_app([]))
    sub = p.add_subparsers(title="commands", metavar="COMMAND")

    t = sub.add_parser(
        "trace",
        help="print every number of one forward/backward pass",
        description="A readable summary of the forward and backward pass of "
        "the session's displayed text, or the whole trace as JSON "
        "or as a per-timestep CSV table.",
    )
    t.add_argument("session", metavar="SESSION.json")
    fmt = t.add_mutually_exclusive_group()
    fmt.add_argument(
        "--json",
        dest="fmt",
        action="store_const",
        const="json",
        help="the full trace as JSON (docs/trace-format.md)",
    )
    fmt.add_argument(
        "--csv", dest="fmt", action="store_const", const="csv", help="one row per timestep as CSV"
    )
    t.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write to FILE instead of printing (format from .json/.csv if not given)",
    )
    _initial_flag(t)
    t.set_defaults(run=_cmd_trace)

    g = sub.add_parser(
        "gradcheck",
        help="check BPTT against central differences",
        description="Compare the analytic gradient of every parameter and of "
        "dL/dh_t with central finite differences (float64). Exit "
        "status 0 only if every check passes.",
    )
    g.add_argument("session", metavar="SESSION.json")
    g.add_argument(
        "--displayed",
        action="store_true",
        help="check only the displayed text, not the training examples",
    )
    g.add_argument(
        "--max-samples",
        type=int,
        default=20,
        metavar="N",
        help="check at most N training examples (default 20; 0 = all)",
    )
    _initial_flag(g)
    g.set_defaults(run=_cmd_gradcheck)

    ls = sub.add_parser("presets", help="list the built-in lessons")
    ls.set_defaults(run=_cmd_presets)

    w = sub.add_parser("preset", help="write a built-in lesson as a session file")
    w.add_argument("name", metavar="NAME")
    w.add_argument(
        "-o", "--output", metavar="FILE", help="the session file to write (default: print it)"
    )
    w.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    w.set_defaults(run=_cmd_preset)
    return p


def _initial_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--initial",
        action="store_true",
        help="use the session's starting weights even if it holds trained ones",
    )


# ---------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------


def _load(path: str) -> tuple[SessionFile, Built]:
    try:
        sf = load_session(path)
    except SessionFileError as e:  # name the file once, however the message starts
        raise CliError(str(e) if path in str(e) else f"{path}: {e}") from None
    return sf, build(sf.spec)  # cannot fail: loading already built it


def _weights(sf: SessionFile, built: Built, initial: bool) -> tuple[Params, str]:
    if sf.current_params is not None and not initial:
        return sf.current_params, "the trained weights saved in state.current_params"
    if sf.spec.params is not None:
        return built.params, "the explicit weights in params"
    return built.params, f"{sf.spec.init} initialisation with seed {sf.spec.seed}"


def _with_params(sample: Sample, params: Params) -> Sample:
    """With an embedding, x_t = E[id_t] must come from the weights actually used."""
    if params.E is None or sample.ids is None:
        return sample
    return Sample(
        embed(sample.ids, params.E), sample.targets, sample.scored, sample.tokens, sample.ids
    )


def _cmd_trace(args) -> int:
    sf, built = _load(args.session)
    params, source = _weights(sf, built, args.initial)
    trace = run(params, _with_params(built.sample, params), built.config)
    fmt = args.fmt or _format_from_name(args.output)
    if fmt == "json":
        text = trace_json_text(trace, built)
    elif fmt == "csv":
        text = trace_csv_text(trace, built)
    else:
        text = format_summary(trace, built, source)
    if args.output:
        _refuse_same_file(args.output, args.session)
        _write(args.output, text)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _format_from_name(path: str | None) -> str:
    ext = os.path.splitext(path or "")[1].lower()
    return {".json": "json", ".csv": "csv"}.get(ext, "text")


def _refuse_same_file(output: str, session: str) -> None:
    try:
        same = os.path.samefile(output, session)
    except OSError:  # the output does not exist yet
        same = False
    if same:
        raise CliError(f"{output} is the session file itself; choose another output file")


def _write(path: str, text: str) -> None:
    try:
        atomic_write_text(path, text)
    except OSError as e:
        raise CliError(f"cannot write {path}: {e.strerror or e}") from None


def _cmd_gradcheck(args) -> int:
    if args.max_samples < 0:
        raise CliError("--max-samples must be 0 (all) or more")
    sf, built = _load(args.session)
    params, source = _weights(sf, built, args.initial)
    samples = (built.sample,) if args.displayed else built.samples
    total = len(samples)
    if args.max_samples:
        samples = samples[: args.max_samples]
    _warn_if_slow(params, samples)
    worst: dict[str, dict] = {}
    for sample in samples:
        for row in check(params, _with_params(sample, params), built.config):
            w = worst.setdefault(
                row["name"], {"rel_error": 0.0, "max_abs_error": 0.0, "passed": True}
            )
            w["rel_error"] = max(w["rel_error"], row["rel_error"])
            w["max_abs_error"] = max(w["max_abs_error"], row["max_abs_error"])
            w["passed"] = w["passed"] and row["passed"]
    what = (
        "the displayed text"
        if args.displayed
        else (
            f"{len(samples)} of {total} samples"
            if len(samples) < total
            else f"{total} sample{'s' * (total != 1)}"
        )
    )
    print(f"gradcheck {sf.spec.name!r}: {what}, {source}")
    print("central differences (eps 1e-5) against BPTT; PASS when rel error < 1e-7")
    print(
        _table(
            ["name", "rel error", "max abs error", "result"],
            [
                [
                    n,
                    f"{w['rel_error']:.3e}",
                    f"{w['max_abs_error']:.3e}",
                    "PASS" if w["passed"] else "FAIL",
                ]
                for n, w in worst.items()
            ],
            right=(1, 2),
        )
    )
    failed = [n for n, w in worst.items() if not w["passed"]]
    print(
        f"all {len(worst)} checks passed"
        if not failed
        else f"{len(failed)} of {len(worst)} checks FAILED: {', '.join(failed)}"
    )
    return EXIT_FAILED if failed else EXIT_OK


SLOW_STEPS = 20_000_000  # cell steps the finite differences take; ~a minute of Python


def _warn_if_slow(params: Params, samples) -> None:
    """Central differences run 2 forward passes per number (weights and every dL/dh_t entry)."""
    n = sum(a.size for a in params.as_dict().values())
    steps = sum(2 * (n + s.length * params.hidden_size) * s.length for s in samples)
    if steps > SLOW_STEPS:
        print(
            f"rnnviz: gradcheck needs about {steps:.2g} recurrent steps; this may take "
            "minutes (Ctrl+C stops; --max-samples or --displayed check less)",
            file=sys.stderr,
        )


def _presets():
    try:
        from . import presets
    except ImportError as e:
        raise CliError(f"the built-in presets are not available ({e})") from None
    return presets


def _cmd_presets(args) -> int:
    presets = _presets()
    names = list(presets.names())
    width = max(map(len, names), default=0)
    for name in names:
        lines = str(presets.describe(name)).strip().splitlines()
        print(f"{name:<{width}}  {lines[0] if lines else ''}".rstrip())
    return EXIT_OK


def _cmd_preset(args) -> int:
    presets = _presets()
    if args.name not in presets.names():
        raise CliError(
            f"no preset called {args.name!r}; the presets are: {', '.join(presets.names())}"
        )
    text = dumps_session(presets.get(args.name))
    if not args.output:
        sys.stdout.write(text)
        return EXIT_OK
    if os.path.exists(args.output) and not args.force:
        raise CliError(f"{args.output} already exists; use --force to overwrite it")
    _write(args.output, text)
    print(f"wrote preset {args.name!r} to {args.output}", file=sys.stderr)
    return EXIT_OK


def _open_app(argv: list[str]) -> int:
    if len(argv) > 1:
        raise CliError(
            f"unexpected argument {argv[1]!r}; to open a session: rnnviz "
            f"SESSION.json; commands: {', '.join(COMMANDS)} (see rnnviz --help)"
        )
    path = argv[0] if argv else None
    if path is not None:
        _load(path)  # a clear one-line error now, before any window opens
    if (
        sys.platform.startswith("linux")
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
        and not os.environ.get("QT_QPA_PLATFORM")
    ):
        raise CliError(
            "no display to open the app on (DISPLAY is not set); "
            "`rnnviz trace SESSION.json` prints a session as text"
        )
    try:
        from .ui.app import main as app_main  # Qt is imported only here
    except ImportError as e:
        raise CliError(f"the desktop app cannot start: {e}") from None
    return int(app_main(path) or 0)


# ---------------------------------------------------------------------------------------------
# The readable trace summary
# ---------------------------------------------------------------------------------------------

MAX_UNITS_SHOWN = 6


def _g(v: float) -> str:
    return f"{v:.4g}"


def _vec(v) -> str:
    shown = ", ".join(_g(x) for x in v[:MAX_UNITS_SHOWN])
    return f"[{shown}{', …' if len(v) > MAX_UNITS_SHOWN else ''}]"


def _table(header: list[str], rows: list[list[str]], right: tuple = ()) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for r in [header, *rows]:
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def format_summary(trace: Trace, built: Built, source: str = "") -> str:
    """Tokens, h_t, y_t, losses, ||dL/dh_t|| and the condition, as a plain-text report."""
    spec, p, c = built.spec, trace.params, trace.config
    names = built.output_names
    outputs = ", ".join(names[:8]) + (", …" if len(names) > 8 else "")
    bptt = "full BPTT" if c.truncation is None else f"truncated BPTT (k = {c.truncation})"
    lines = [
        f"{spec.name}: {spec.task}, "
        + (
            "a numeric series"
            if spec.encoding == "numeric"
            else f"{spec.level} level, {spec.encoding} input"
        ),
        f"H = {p.hidden_size}, D = {p.input_size}, O = {p.output_size} ({outputs}); "
        f"{c.activation} cell, {c.head} head, {c.loss} loss ({c.reduction}), {bptt}",
    ]
    if source:
        lines.append(f"weights: {source}")
    if max(p.hidden_size, p.output_size) > MAX_UNITS_SHOWN:
        lines.append(f"(vectors show their first {MAX_UNITS_SHOWN} entries; --json has them all)")
    lines.append("")
    header = ["t", "token", "target", "h_t", "y_t", "loss_t", "||dL/dh_t||", "||dh_T/dh_t||"]
    rows = []
    for i in range(trace.length):
        scored = bool(trace.sample.scored[i])
        rows.append(
            [
                str(i + 1),
                repr(built.tokens[i]),
                built.target_tokens[i] or "-",
                _vec(trace.hs[i]),
                _vec(trace.ys[i]),
                _g(trace.step_losses[i]) if scored else "-",
                _g(trace.dh_norms[i]),
                _g(trace.jacobian_norms[i]),
            ]
        )
    lines.append(_table(header, rows, right=(0, 5, 6, 7)))
    n_scored = int(trace.sample.scored.sum())
    lines += [
        "",
        f"loss L = {_g(trace.loss)} ({c.reduction} over {n_scored} scored "
        f"step{'s' * (n_scored != 1)})",
        f"condition: {trace.condition['text']}",
        _clipping_line(trace),
        "gradient norms: " + ", ".join(f"{n} {_g(v)}" for n, v in trace.grad_norms.items()),
    ]
    if trace.problem:
        lines.append(f"warning: {trace.problem}")
    return "\n".join(lines) + "\n"


def _clipping_line(trace: Trace) -> str:
    r = trace.clip
    if r.mode == "off":
        return f"clipping: off (global gradient norm {_g(r.norm_before)})"
    did = "clipped" if r.clipped else "not needed"
    return (
        f"clipping: {r.mode} at {_g(r.threshold)}: {did}; global norm "
        f"{_g(r.norm_before)} -> {_g(r.norm_after)}, cosine(raw, clipped) = {_g(r.cosine)}"
    )
