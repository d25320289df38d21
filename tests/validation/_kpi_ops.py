"""Shared by the deployment guide's four validation scripts: each is a thin wrapper around
`kpi-ops validate --suite <suite>` (operations.md, clarification "The guide's four validation
scripts"). Run from /var/www/kpi-operations as in the guide; extra arguments go to kpi-ops
(e.g. --username admin --password-file /root/admin-password, --url https://yourdomain.com).

Binary: $KPI_OPS_BIN, else ./current/kpi-ops, else kpi-ops on PATH, else target/release/kpi-ops.
URL: --url if given, else $KPI_OPS_URL, else http://127.0.0.1:$API_PORT (default 8000).
"""
import os
import shutil
import subprocess
import sys


def _binary():
    candidates = [os.environ.get("KPI_OPS_BIN"), "./current/kpi-ops", shutil.which("kpi-ops"), "target/release/kpi-ops"]
    for c in candidates:
        if c and os.access(c, os.X_OK):
            return c
    sys.exit("kpi-ops not found: set KPI_OPS_BIN or run from /var/www/kpi-operations (./current/kpi-ops)")


def run(suite):
    args = sys.argv[1:]
    if "--url" not in args:
        url = os.environ.get("KPI_OPS_URL") or "http://127.0.0.1:%s" % os.environ.get("API_PORT", "8000")
        args = ["--url", url] + args
    return subprocess.call([_binary(), "validate", "--suite", suite] + args)
