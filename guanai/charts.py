"""Charts of query results (`guanai query … --chart out.png`), with Chinese labels.

One period: a bar per region with its confidence interval and, for a warning rule, the
threshold line. Several periods: a line per region over the periods, its interval shaded.
Chinese renders with Noto Sans CJK SC (SIL Open Font License 1.1), which the project installs
from PyPI as the package ``noto-cjk-sans-otc`` (pyproject.toml) — no system font needed.
Values are clipped for display only, like the tables (a share at 100%), and the axis starts
at zero.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import noto_cjk_sans_otc  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from common.errors import GuanaiError  # noqa: E402
from guanai.query_export import bounds_of  # noqa: E402
from protos.query_pb2 import Figure, FiguresResponse  # noqa: E402
from protos.regions import name  # noqa: E402

FONT_FAMILY = "Noto Sans CJK SC"
MAX_LINES = 8


class ChartError(GuanaiError):
    """Nothing to draw, or a file that cannot be written."""


def use_cjk_font() -> None:
    """Register the packaged Noto Sans CJK collection and make its SC face the default."""
    path = str(noto_cjk_sans_otc.FONT_PATH)
    if not any(entry.fname == path for entry in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(path)
    matplotlib.rcParams["font.family"] = [FONT_FAMILY, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False


def _scale(response: FiguresResponse) -> float:
    return 100.0 if response.kind == "share" else 1.0


def _bounds(figure: Figure, scale: float, ceiling: float,
            response: FiguresResponse) -> tuple[float, float, float]:
    clip = bounds_of(response).clip
    value = max(0.0, clip(figure.value)) * scale
    low = max(0.0, clip(figure.low)) * scale if math.isfinite(figure.low) else 0.0
    high = clip(figure.high) * scale if math.isfinite(figure.high) else ceiling
    return value, low, max(high, value)


def _unit(response: FiguresResponse) -> str:
    return "%" if response.kind == "share" else f"{response.unit_zh} {response.unit_en}"


def _label(region: str) -> str:
    shown = name(region)
    return shown if shown == region else f"{shown}\n{region}"


def draw(response: FiguresResponse, out: Path, threshold: float | None = None) -> None:
    """Write the chart of ``response`` to ``out`` (PNG)."""
    held = [f for f in response.figures if f.held]
    if not held:
        raise ChartError("无数据 nothing to draw: no region asked holds a report")
    use_cjk_font()
    scale = _scale(response)
    finite = [f.high * scale for f in held if math.isfinite(f.high)] + [
        f.value * scale for f in held]
    ceiling = max([*finite, (threshold or 0) * scale, 1e-9]) * 1.15
    periods = sorted({f.period for f in response.figures})
    across = len(held) if len(periods) == 1 else len(periods)
    figure, axes = plt.subplots(figsize=(min(16.0, max(6.4, 0.9 * across + 2)), 4.8), dpi=120)
    level = f"{round(100 * response.confidence)}%"
    if len(periods) == 1:
        bounds = [_bounds(f, scale, ceiling, response) for f in held]
        positions = range(len(held))
        axes.bar(positions, [b[0] for b in bounds], color="#4c78a8",
                 yerr=[[b[0] - b[1] for b in bounds], [b[2] - b[0] for b in bounds]],
                 capsize=4, ecolor="#333333",
                 label=f"估计值 estimate · 误差线 error bars: {level}置信区间 confidence interval")
        axes.set_xticks(list(positions), [_label(f.region) for f in held], fontsize=8)
        axes.set_xlabel(f"地区 Region · {periods[0]}")
    else:
        regions = list(dict.fromkeys(f.region for f in held))[:MAX_LINES]
        for region in regions:
            series = [f for f in held if f.region == region]
            bounds = [_bounds(f, scale, ceiling, response) for f in series]
            xs = [periods.index(f.period) for f in series]
            axes.plot(xs, [b[0] for b in bounds], marker="o", label=_label(region).replace(
                "\n", " "))
            axes.fill_between(xs, [b[1] for b in bounds], [b[2] for b in bounds], alpha=0.2)
        axes.set_xticks(range(len(periods)), periods)
        axes.set_xlabel(f"期间 Period (阴影 shaded: {level}置信区间 confidence interval)")
    if threshold is not None:
        axes.axhline(threshold * scale, color="#d62728", linestyle="--",
                     label=f"预警阈值 threshold {threshold * scale:g}{'%' if scale == 100 else ''}")
    axes.set_ylim(0, ceiling)
    axes.set_ylabel(_unit(response))
    axes.set_title(f"{response.label_zh}\n{response.label_en}", fontsize=11)
    axes.legend(fontsize=8)
    figure.text(0.01, 0.01, "差分隐私数据，区间由声明的噪声计算 · differentially private figures, "
                "intervals from the declared noise", fontsize=7, color="#555555")
    figure.tight_layout(rect=(0, 0.03, 1, 1))
    try:
        figure.savefig(out, format="png")
    except OSError as exc:
        raise ChartError(f"无法写入 cannot write {out}: {exc.strerror}") from None
    finally:
        plt.close(figure)
