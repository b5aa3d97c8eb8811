"""RSS of a process and its growth over a soak run (bench/http_soak.py, bench/converse_soak.py).

A sample of a busy process catches whatever work is in flight, so single samples scatter (by
+-15 MB for `parley serve`). Two measures over the samples after the warm-up:
  floor: the lowest sample of the last quarter minus the lowest of the first quarter — what stays
         resident when little is in flight (what the soaks' 2 MB bar is checked on);
  trend: the least-squares slope over all samples times the span they cover (noise included).
"""


def proc_status_kib(pid, *keys):
    """The named /proc/PID/status fields (VmRSS, Threads, ...) as integers, by name."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in keys:
                fields[key] = int(value.split()[0])
    return fields


def rss_growth_kib(samples, x_key, rss_key="rss_kib"):
    """(floor, trend) in KiB over `samples` (dicts in time order), or (None, None) with fewer than
    8 samples."""
    if len(samples) < 8:
        return None, None
    q = len(samples) // 4
    floor = min(s[rss_key] for s in samples[-q:]) - min(s[rss_key] for s in samples[:q])
    xs = [s[x_key] for s in samples]
    ys = [s[rss_key] for s in samples]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    trend = None
    if den > 0:
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den
        trend = round(slope * (xs[-1] - xs[0]))
    return floor, trend
