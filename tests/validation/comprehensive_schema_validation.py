#!/usr/bin/env python3
"""Schema validation: every domain.md table and field is in the database — `kpi-ops validate --suite schema` (see _kpi_ops.py)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _kpi_ops import run  # noqa: E402

sys.exit(run("schema"))
