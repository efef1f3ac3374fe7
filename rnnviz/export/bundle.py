"""The figure bundle: one folder that holds a figure and everything to regenerate it.

    <folder>/
        <view>.png          the figure as a bitmap
        <view>.svg          ... as vector graphics (omitted for the window)
        <view>.csv          the numbers it plots (omitted for the diagram and window)
        session.rnnviz.json the session that reproduces it (rnnviz.io.session_file)
        README.txt          what the files are and the command that redraws them

A paper's figure can then always be regenerated from its bundle with
``rnnviz export session.rnnviz.json --view <view> --timestep <t> ...``.
"""

from __future__ import annotations

import datetime as _dt

import rnnviz

SESSION_NAME = "session.rnnviz.json"
README_NAME = "README.txt"


def file_names(view: str, formats) -> dict[str, str]:
    """format -> file name inside the bundle, e.g. {'png': 'hidden-heatmap.png'}."""
    return {fmt: f"{view}.{fmt}" for fmt in formats}


def readme(view: str, title: str, formats, timestep: int, size: tuple[int, int], dpi: int) -> str:
    """The bundle's README.txt: what each file is and how to redraw the figure."""
    names = file_names(view, formats)
    what = {
        "png": f"the figure as a PNG bitmap, {size[0]} x {size[1]} pixels at {dpi} dpi",
        "svg": "the figure as SVG vector graphics (opens in a browser and Inkscape)",
        "csv": "the exact numbers the figure plots (floats round-trip to float64)",
    }
    lines = [
        f"rnnviz figure bundle: {title}",
        f"Made with rnnviz {rnnviz.__version__} on "
        f"{_dt.datetime.now(_dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}.",
        "",
        "Files:",
        *(f"  {names[f]:<24} {what[f]}" for f in formats),
        f"  {SESSION_NAME:<24} the session (text, model, weights, view) that reproduces it",
        f"  {README_NAME:<24} this file",
        "",
        f"The figure shows timestep t = {timestep}. To draw it again:",
        "",
    ]
    for f in formats:
        size_opt = f" --size {size[0]}x{size[1]} --dpi {dpi}" if f == "png" else ""
        lines.append(
            f"  rnnviz export {SESSION_NAME} --view {view} --format {f} "
            f"--timestep {timestep}{size_opt} -o {names[f]}"
        )
    lines += ["", "or open the session in the app: rnnviz " + SESSION_NAME, ""]
    return "\n".join(lines)
