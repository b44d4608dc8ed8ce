"""Line charts as inline SVG text, for a report exported as one self-contained HTML file
(no script, no font, no image file): series over a shared x (the bar index), a zero line,
the y range and the first and last date as labels. Pure: values in, markup out.
"""

from __future__ import annotations

from html import escape

import numpy as np

WIDTH, HEIGHT = 900, 220
"""The chart's view box; it scales to the page's width."""

_PAD = 40


def _path(values: np.ndarray, lo: float, hi: float) -> str:
    """The SVG path of ``values`` (NaN: a gap) scaled into the view box."""
    n = values.size
    xs = _PAD + np.arange(n) * (WIDTH - 2 * _PAD) / max(n - 1, 1)
    ys = HEIGHT - _PAD / 2 - (values - lo) / (hi - lo or 1.0) * (HEIGHT - _PAD)
    parts, pen = [], "M"
    for x, y, ok in zip(xs.tolist(), ys.tolist(), np.isfinite(values).tolist(), strict=True):
        if not ok:
            pen = "M"
            continue
        parts.append(f"{pen}{x:.1f},{y:.1f}")
        pen = "L"
    return " ".join(parts)


def line_chart(
    series: list[tuple[str, str, list[float | None]]], first: str, last: str, unit: str = ""
) -> str:
    """An SVG of ``series`` (label, CSS colour, values — None a gap — all of one length),
    its legend, its y range (with ``unit``) and ``first``/``last`` under the x axis."""
    arrays = [np.array([np.nan if v is None else v for v in s[2]], dtype=float) for s in series]
    finite = np.concatenate([a[np.isfinite(a)] for a in arrays] or [np.zeros(0)])
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    lines = [
        f'<path d="{_path(a, lo, hi)}" fill="none" stroke="{escape(color)}" stroke-width="1.5"/>'
        for a, (_, color, _) in zip(arrays, series, strict=True)
    ]
    legend = "".join(
        f'<tspan fill="{escape(color)}" dx="12">■ {escape(label)}</tspan>'
        for label, color, _ in series
    )
    text = 'font-size="11" fill="#555"'
    left, unit = _PAD + 4, escape(unit)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" style="width:100%;height:auto">'
        f'<rect x="{_PAD}" y="{_PAD / 2}" width="{WIDTH - 2 * _PAD}" height="{HEIGHT - _PAD}" '
        f'fill="none" stroke="#ddd"/>{"".join(lines)}'
        f'<text x="{_PAD}" y="14" {text}>{legend}</text>'
        f'<text x="{left}" y="{_PAD / 2 + 12}" {text}>{hi:,.6g}{unit}</text>'
        f'<text x="{left}" y="{HEIGHT - _PAD / 2 - 4}" {text}>{lo:,.6g}{unit}</text>'
        f'<text x="{_PAD}" y="{HEIGHT - 4}" {text}>{escape(first)}</text>'
        f'<text x="{WIDTH - _PAD}" y="{HEIGHT - 4}" text-anchor="end" {text}>'
        f"{escape(last)}</text>"
        "</svg>"
    )
