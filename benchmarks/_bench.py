"""Pieces every benchmark here shares: the process's resident memory (current, peak,
peak reset per phase) and the aligned text tables they print."""
from __future__ import annotations

import re
from typing import List, Optional, Sequence

__all__ = ["status_kb", "rss_mb", "peak_mb", "reset_peak", "print_table"]


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
