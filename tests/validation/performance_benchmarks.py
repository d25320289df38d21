#!/usr/bin/env python3
"""Performance benchmarks: p95 GET < 200 ms, POST < 500 ms (writes nothing) — `kpi-ops validate --suite performance` (see _kpi_ops.py)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _kpi_ops import run  # noqa: E402

sys.exit(run("performance"))
