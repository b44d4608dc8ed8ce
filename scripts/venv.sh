# shellcheck shell=bash
# Sourced by scripts/test.sh, scripts/run-local.sh and scripts/demo.sh: the one way they make
# a virtual environment and install a requirements file into it. uv does both (a pinned
# release, installed once into .tools/ by the machine's own pip): it reuses the wheels it
# downloaded before, where pip downloads them again (this registry's answers are not cached),
# and unpacks and compiles in parallel — .venv's install took 72 s of wall with pip and 12 s
# with uv here. Each venv is seeded with pip (the client's install test and
# scripts/install-validators.sh call `python -m pip`).
# Needs PYTHON (the interpreter the venvs are made from) set by the caller.

UV_VERSION=0.13.9
UV="$PWD/.tools/uv-$UV_VERSION/bin/uv"

# ensure_uv: install uv into .tools/ unless it is there; before any install runs in the
# background, so that two installs never both bootstrap it.
ensure_uv() {
  if [ ! -x "$UV" ]; then
    "$PYTHON" -m pip install --quiet --disable-pip-version-check \
      --target "$PWD/.tools/uv-$UV_VERSION" "uv==$UV_VERSION"
  fi
}

# install_venv VENV REQUIREMENTS [--compile-bytecode]: make VENV (seeded with pip) unless it
# exists, then install REQUIREMENTS into it (nothing when they are installed already).
install_venv() {
  local venv=$1 requirements=$2
  shift 2
  ensure_uv
  [ -x "$venv/bin/python" ] ||
    "$UV" venv --quiet --seed --allow-existing --no-python-downloads --python "$(command -v "$PYTHON")" "$venv"
  "$UV" pip install --quiet --python "$venv/bin/python" "$@" -r "$requirements"
}
