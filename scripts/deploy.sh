#!/usr/bin/env bash
# The deployment guide's command (`sudo -E ./scripts/deploy.sh deploy`): the script is deploy/deploy.sh.
exec "$(dirname "${BASH_SOURCE[0]}")/../deploy/deploy.sh" "$@"
