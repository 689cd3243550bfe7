"""What every benchmark module shares: where things are, the languages, the load shape, the targets."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
LANGS = ("ts", "js", "py")
CONNECTIONS = 32

#: what bench/README.md promises, checked by report.verdicts
TARGETS = {
    "api_rps_ratio_min": 0.70,
    "api_added_p50_ms_max": 1.0,
    "emit_p50_ms_max": 2.0,
    "boot_s_max": 3.0,
    "idle_rss_mb_max": 250.0,
}
