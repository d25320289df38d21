#!/usr/bin/env bash
# Installs the external tools the test suite drives, only when missing (idempotent):
#   - aiosmtpd: the real SMTP server on loopback for the mail tests (tests/api/mail.rs)
#   - pdftotext (poppler-utils): reads the daily PDF back in tests/api/reports.rs
# Debian packages first (python3-aiosmtpd may not exist on older releases), PyPI as fallback.
set -euo pipefail

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

if ! command -v pdftotext >/dev/null 2>&1; then
  echo "ensure-tools: installing poppler-utils (pdftotext)"
  apt_install poppler-utils
fi

if ! python3 -c 'import aiosmtpd' >/dev/null 2>&1; then
  echo "ensure-tools: installing aiosmtpd"
  if ! apt_install python3-aiosmtpd 2>/dev/null || ! python3 -c 'import aiosmtpd' >/dev/null 2>&1; then
    python3 -m pip install --quiet aiosmtpd 2>/dev/null \
      || python3 -m pip install --quiet --break-system-packages aiosmtpd
  fi
fi

python3 -c 'import aiosmtpd' && command -v pdftotext >/dev/null
echo "ensure-tools: aiosmtpd and pdftotext present"
