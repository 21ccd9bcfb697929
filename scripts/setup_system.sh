#!/usr/bin/env bash
# Install the Debian packages the browser and QR tests need (pytest tests/e2e, QR decoding):
#   chromium          /usr/bin/chromium, driven headless by Playwright (tests/e2e)
#   fonts-wqy-zenhei  a CJK TrueType font, so Chinese text renders as glyphs instead of empty boxes;
#                     the printable certificate (PDF) embeds it
#   libzbar0 zbar-tools  QR-code decoding (zbarimg)
# With --font (scripts/run): only the font, which the running service needs for the PDF.
#
# Idempotent and fast when everything is present (dpkg-query only, no apt-get update). When
# something is missing and we are root with apt-get: one `apt-get update`, then install only the
# missing packages with --no-install-recommends. Otherwise print a loud warning naming what is
# missing and exit 0 (the tests that need it are then SKIPPED -- except under CI=true, where the
# tests fail, and this script exits 1 if an install it attempted failed).
set -euo pipefail

PACKAGES=(chromium fonts-wqy-zenhei libzbar0 zbar-tools)
FONT_ONLY=0
if [ "${1:-}" = "--font" ]; then
  FONT_ONLY=1
  PACKAGES=(fonts-wqy-zenhei)
fi

warn() {
  echo "" >&2
  echo "################################################################" >&2
  echo "## setup_system.sh WARNING: $*" >&2
  if [ "$FONT_ONLY" = 1 ]; then
    echo "## The printable certificate (PDF) answers 503 until a CJK" >&2
    echo "## TrueType font is installed (or CS_PDF_FONT points at one)." >&2
  else
    echo "## Browser (tests/e2e) and QR-decoding tests will be SKIPPED" >&2
    echo "## (or FAIL when CI=true)." >&2
  fi
  echo "################################################################" >&2
  echo "" >&2
}

installed() {
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = "installed" ]
}

missing_packages() {
  local pkg
  for pkg in "${PACKAGES[@]}"; do
    installed "$pkg" || printf '%s\n' "$pkg"
  done
}

if ! command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  if [ "$FONT_ONLY" = 1 ]; then
    [ -n "$(fc-list :lang=zh family 2>/dev/null || true)" ] || missing+=("a CJK TrueType font")
  else
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    command -v zbarimg >/dev/null 2>&1 || missing+=(zbar-tools)
  fi
  if [ "${#missing[@]}" -gt 0 ]; then
    warn "not a Debian system and missing: ${missing[*]} (install them by hand)."
  fi
  exit 0
fi

mapfile -t missing < <(missing_packages)
if [ "${#missing[@]}" -eq 0 ]; then
  [ "$FONT_ONLY" = 1 ] || echo "setup_system.sh: ${PACKAGES[*]} already installed" >&2
  exit 0
fi

if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  warn "missing Debian packages: ${missing[*]} (run as root: apt-get install --no-install-recommends ${missing[*]})."
  exit 0
fi

echo "setup_system.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get update -qq || ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
  warn "apt-get could not install: ${missing[*]}."
  [ "${CI:-}" = "true" ] && exit 1
  exit 0
fi

mapfile -t still < <(missing_packages)
if [ "${#still[@]}" -gt 0 ]; then
  warn "still missing after apt-get install: ${still[*]}."
  [ "${CI:-}" = "true" ] && exit 1
  exit 0
fi
if [ "$FONT_ONLY" = 1 ]; then
  echo "setup_system.sh: installed ${missing[*]}" >&2
else
  echo "setup_system.sh: installed ${missing[*]} ($(chromium --version 2>/dev/null || echo 'chromium ?'))" >&2
fi
