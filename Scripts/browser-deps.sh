#!/usr/bin/env bash
# The browser tests' tools: Debian's chromium and chromium-driver, and Selenium in the venv
# given as $1. Installs only what is missing; prints nothing when everything is there.
set -euo pipefail
VENV=${1:-.build-venv}
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  echo "tacit: installing Debian's chromium and chromium-driver for the browser tests"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null; then SUDO=sudo; else
      echo "tacit: run as root (or install sudo), or install them yourself: apt-get install chromium chromium-driver" >&2; exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -q --no-install-recommends chromium chromium-driver >/dev/null \
    || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q --no-install-recommends chromium chromium-driver >/dev/null; }
fi
if ! "$VENV/bin/python" -c "import selenium" 2>/dev/null; then
  echo "tacit: installing selenium into $VENV"
  "$VENV/bin/pip" install -q "selenium>=4.20"
fi
