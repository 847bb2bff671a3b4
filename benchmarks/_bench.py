"""Pieces every benchmark here shares: the process's resident memory (current, peak,
peak reset per phase), the ratios and table cells, and the aligned text tables they print."""
from __future__ import annotations

import re
from typing import List, Optional, Sequence

__all__ = ["status_kb", "rss_mb", "peak_mb", "reset_peak", "print_table", "ratio", "mem_ratio", "fmt_ratio",
           "fmt_seconds", "fmt_mib", "verdict"]


def status_kb(field: str) -> Optional[int]:
    try:
        with open("/proc/self/status") as f:
            m = re.search(rf"^{field}:\s+(\d+) kB", f.read(), re.M)
        return int(m.group(1)) if m else None
    except OSError:
        return None


def rss_mb() -> float:
    """Current resident set size, MiB (0 where /proc is missing)."""
    return (status_kb("VmRSS") or 0) / 1024


def peak_mb() -> float:
    """Peak resident set size since the start or the last :func:`reset_peak`, MiB."""
    kb = status_kb("VmHWM")
    if kb is None:
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return kb / 1024


def reset_peak() -> bool:
    """Resets the kernel's peak-RSS mark to the current RSS (Linux); False where it cannot."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def print_table(title: str, header: List[str], rows: List[list], notes: Sequence[str] = ()) -> None:
    """An aligned text table (first two columns left-aligned)."""
    print(f"\n== {title} ==")
    for note in notes:
        print(f"   {note}")
    if not rows:
        print("   (nothing measured)")
        return
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(header)]

    def line(cells):
        return "  ".join(str(c).ljust(w) if i < 2 or i == len(cells) - 1 else str(c).rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    print(line(header))
    print(line(["-" * w for w in widths]))
    for r in rows:
        print(line(r))


# ----------------------------------------------------------------------------- ratios and cells


def ratio(a: Optional[float], b: Optional[float]) -> Optional[float]:
    """``a / b``; None when either is missing or ``b`` is 0."""
    return None if a is None or b is None or b == 0 else a / b


def mem_ratio(a: Optional[float], b: Optional[float]) -> Optional[float]:
    """Memory ``a / b`` (MiB); None where both are under 1 MiB (noise)."""
    return None if a is None or b is None or max(a, b) < 1 else a / max(b, 0.1)


def fmt_ratio(r: Optional[float]) -> str:
    return "-" if r is None else (f"{r:.2f}x" if r < 10 else f"{r:.1f}x")


def fmt_seconds(s: Optional[float]) -> str:
    if s is None:
        return "-"
    return f"{s * 1e3:.1f} ms" if s < 1 else f"{s:.2f} s"


def fmt_mib(mb: Optional[float]) -> str:
    return "-" if mb is None else f"{mb:,.0f} MiB"


def verdict(ok: Optional[bool]) -> str:
    """A table's "met" cell: "yes", "no", or empty when there is no target."""
    return "" if ok is None else ("yes" if ok else "no")
