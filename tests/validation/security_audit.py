#!/usr/bin/env python3
"""Security audit: headers, CORS, HTTPS redirect, default credentials, forged tokens — `kpi-ops validate --suite security` (see _kpi_ops.py)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _kpi_ops import run  # noqa: E402

sys.exit(run("security"))
