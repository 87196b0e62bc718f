#!/usr/bin/env bash
# Install what nianbao and its tests need on a fresh Debian/Ubuntu machine:
# the servers and converters the tests start for real (redis-server, LibreOffice, Tesseract with
# Chinese data, poppler's pdftoppm, headless Chromium with CJK fonts), then the Python packages.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
    redis-server poppler-utils tesseract-ocr tesseract-ocr-chi-sim libreoffice-writer-nogui \
    chromium fonts-noto-cjk >/dev/null
python3 -m pip install -q -r requirements.txt
