"""What every benchmark module shares: where things are, the languages, the load shape, the targets."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
LANGS = ("ts", "js", "py")
CONNECTIONS = 32

#: what bench/README.md promises, checked by report.verdicts
TARGETS = {
    # issue 14: against FastAPI on uvicorn, measured in the same run
    "api_rps_ratio_fastapi_min": 1.0,
    "api_added_p50_ms_max": 1.0,
    "emit_p50_ms_max": 1.0,
    "pet_quarantine_p50_ms_max": 3.0,
    # the earlier target, against bare quart + hypercorn
    "api_rps_ratio_min": 0.70,
    "boot_s_max": 3.0,
    "idle_rss_mb_max": 250.0,
}
