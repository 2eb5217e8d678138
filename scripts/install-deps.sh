#!/usr/bin/env bash
# Installs the Debian packages webhookd needs that are missing on this machine.
# Idempotent and quiet when nothing is missing. Usage: scripts/install-deps.sh [--tests] [--bench]
set -euo pipefail

packages=(build-essential cmake pkg-config libasio-dev node-llhttp libssl-dev openssl
          nlohmann-json3-dev libsqlite3-dev libpq-dev curl python3)
for arg in "$@"; do
  case "$arg" in
    --tests) packages+=(libgtest-dev libgmock-dev clang libclang-rt-14-dev postgresql) ;;
    --bench) packages+=(libbenchmark-dev libcurl4-openssl-dev nginx-light wrk gnuplot-nox python3) ;;
    *) echo "install-deps: unknown option '$arg' (expected --tests or --bench)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing missing packages: ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
