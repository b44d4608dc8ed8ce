#!/usr/bin/env bash
# Prepare a GitHub ubuntu-24.04 runner for the container test (tests/deploy/test_deploy_container.py),
# which CI's container-test job then runs as root: `sudo -E env "PATH=$PATH" bash scripts/test.sh -m
# container` (docs/ci.md).
#
# 1. podman, runc and mmdebstrap: the test's scripts/container.py installs all three with apt-get as
#    soon as ONE is missing. The runner has podman, and runc from Docker's containerd.io package,
#    which conflicts with Ubuntu's runc package; so only the missing ones are installed here (in
#    practice mmdebstrap), and the test finds all three and installs nothing.
# 2. The Dockerfile's base images, pulled: the test builds FROM them when they exist and only
#    bootstraps a Debian stand-in with mmdebstrap when they do not (machines with no registry).
#    On a runner that can pull, the container test therefore runs on the real python:*-slim base,
#    the one the shipped image is built on.
#
# Usage (root): sudo bash .github/scripts/container-engine.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

log() { printf 'container-engine: %s\n' "$*" >&2; }
die() {
    log "ERROR: $*"
    exit 1
}

[[ "$(id -u)" -eq 0 ]] || die "run as root (sudo): podman here runs rootful, like the test"

missing=()
for tool in podman runc mmdebstrap; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
    log "installing ${missing[*]} (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
podman --version
runc --version | head -n 1

# The FROM images, named exactly as scripts/container.py checks them (`podman image exists`).
mapfile -t bases < <(cd "$ROOT" && python3 -c 'from scripts.container import base_images; print("\n".join(base_images()))')
((${#bases[@]})) || die "the Dockerfile names no base image"
for image in "${bases[@]}"; do
    log "pulling $image"
    podman pull --quiet "$image" >/dev/null
done
log "ready: ${bases[*]}"
