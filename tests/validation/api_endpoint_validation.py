#!/usr/bin/env python3
"""API endpoint validation: every OpenAPI route answers with the right auth behaviour — `kpi-ops validate --suite api` (see _kpi_ops.py)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _kpi_ops import run  # noqa: E402

sys.exit(run("api"))
