#!/usr/bin/env bash
# End-to-end test of the platform on a real Kubernetes: a kind cluster, KEDA from its release
# manifest, the dev overlay (k8s/overlays/dev) with the CI image and a generated Secret, then RUNS
# backtests submitted over HTTP. Passes when the ScaledJob created exactly RUNS Jobs (one per run)
# and GET /status/<run_id> says SUCCEEDED for every run.
#
# CI's e2e-kind job (.github/workflows/ci.yml, docs/ci.md) runs it after helm/kind-action created the
# cluster and the image job's image was loaded into Docker. It also runs on any machine with Docker,
# kind, kubectl, curl, jq and openssl and a kind cluster named $KIND_CLUSTER:
#   kind create cluster --name chart-testing && IMAGE=stock-backtest:e2e bash .github/scripts/e2e-kind.sh
# (the image is built from the Dockerfile when Docker does not have it yet).
#
#   e2e-kind.sh            the whole test (default)
#   e2e-kind.sh render DIR only write DIR/kustomization.yaml (the overlay with the image swapped and
#                          the Secret generated) and DIR/rendered.yaml; needs only kubectl. The
#                          workflow tests run this part offline.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
IMAGE="${IMAGE:-stock-backtest:e2e}"              # name:tag, loaded into kind as is
KIND_CLUSTER="${KIND_CLUSTER:-chart-testing}"     # helm/kind-action's default cluster name
KEDA_VERSION="${KEDA_VERSION:-2.20.2}"            # the CRD schemas the test job validates against
KEDA_MANIFEST_SHA256="${KEDA_MANIFEST_SHA256:-}"  # optional pin of the release manifest's sha256
OVERLAY="${OVERLAY:-k8s/overlays/dev}"
SECRET_TEMPLATE="${SECRET_TEMPLATE:-k8s/base/secret-template.yaml}"
NAMESPACE="${NAMESPACE:-stock-backtest}"
SCALEDJOB="${SCALEDJOB:-backtest-consumer}"
APP_IMAGE="stock-backtest"                        # the manifests' image name (overlay `images:`)
RUNS="${RUNS:-20}"
LOCAL_PORT="${LOCAL_PORT:-18080}"
RUNS_TIMEOUT="${RUNS_TIMEOUT:-900}"               # seconds for all runs to finish
WORK="${WORK:-}"
BASE_URL="http://127.0.0.1:${LOCAL_PORT}"
JOB_LABEL="scaledjob.keda.sh/name=${SCALEDJOB}"   # KEDA labels every Job it creates with this
PF_PID=""

log() { printf 'e2e-kind: %s\n' "$*" >&2; }
die() {
    printf 'e2e-kind: FAIL: %s\n' "$*" >&2
    exit 1
}
need() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || die "$tool not found on PATH"
    done
}
k() { kubectl -n "$NAMESPACE" "$@"; }

# --- render: the overlay as the cluster gets it --------------------------------------------------

# The image names the overlay renders for the app (repository only, no tag or digest), one a line.
app_image_names() {
    kubectl kustomize "$ROOT/$OVERLAY" |
        sed -nE "s#^[[:space:]]*(- )?image:[[:space:]]*\"?(([^\"@:[:space:]]*/)?${APP_IMAGE})([:@][^\"[:space:]]*)?\"?[[:space:]]*(\#.*)?\$#\2#p" |
        sort -u
}

# The keys of the Secret template's stringData, one a line.
secret_keys() {
    sed -n '/^stringData:/,/^[^[:space:]#]/p' "$ROOT/$SECRET_TEMPLATE" |
        sed -nE 's/^[[:space:]]+([A-Za-z0-9_.-]+):.*/\1/p'
}

secret_name() {
    sed -n '/^metadata:/,/^[^[:space:]#]/p' "$ROOT/$SECRET_TEMPLATE" |
        sed -nE 's/^  name:[[:space:]]*([^[:space:]#]+).*/\1/p' | head -n 1
}

render() {
    local dir="$1"
    [[ "$IMAGE" =~ ^[a-z0-9./_-]+:[A-Za-z0-9_.-]+$ ]] || die "IMAGE must be name:tag, got $IMAGE"
    mkdir -p "$dir"
    local overlay_rel names name key
    overlay_rel="$(realpath --relative-to="$dir" "$ROOT/$OVERLAY")"
    names="$(app_image_names)"
    [[ -n "$names" ]] || die "$OVERLAY renders no $APP_IMAGE image"
    local secret
    secret="$(secret_name)"
    [[ -n "$secret" ]] || die "no Secret name in $SECRET_TEMPLATE"

    : >"$dir/secret.env"
    chmod 600 "$dir/secret.env"
    while read -r key; do
        printf '%s=%s\n' "$key" "$(openssl rand -hex 24)" >>"$dir/secret.env"  # URL-safe
    done < <(secret_keys)
    [[ -s "$dir/secret.env" ]] || die "no keys in $SECRET_TEMPLATE"

    {
        echo "# Written by .github/scripts/e2e-kind.sh: $OVERLAY with the image under test."
        echo "apiVersion: kustomize.config.k8s.io/v1beta1"
        echo "kind: Kustomization"
        echo "resources:"
        echo "  - $overlay_rel"
        echo "images:"
        while read -r name; do
            echo "  - name: $name"
            echo "    newName: ${IMAGE%:*}"
            echo "    newTag: ${IMAGE##*:}"
        done <<<"$names"
        echo "secretGenerator:"
        echo "  - name: $secret"
        echo "    namespace: \"$NAMESPACE\""
        echo "    envs: [secret.env]"
        echo "    options:"
        echo "      disableNameSuffixHash: true   # the TriggerAuthentication names it literally"
    } >"$dir/kustomization.yaml"
    kubectl kustomize "$dir" >"$dir/rendered.yaml"

    local wrong
    wrong="$(grep -E "^[[:space:]]*(- )?image:.*${APP_IMAGE}" "$dir/rendered.yaml" |
        grep -vE "image:[[:space:]]*\"?${IMAGE}\"?[[:space:]]*\$" || true)"
    [[ -z "$wrong" ]] || die "app containers not on $IMAGE: $wrong"
    log "rendered $OVERLAY with $IMAGE into $dir/rendered.yaml"
}

# --- the cluster ----------------------------------------------------------------------------------

load_image() {
    if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
        log "building $IMAGE from the Dockerfile"
        docker build --build-arg "IMAGE_TAG=${IMAGE##*:}" --tag "$IMAGE" "$ROOT"
    fi
    kind load docker-image "$IMAGE" --name "$KIND_CLUSTER"
}

install_keda() {
    local url="https://github.com/kedacore/keda/releases/download/v${KEDA_VERSION}/keda-${KEDA_VERSION}.yaml"
    log "installing KEDA $KEDA_VERSION from $url"
    curl -fsSL --retry 3 --output "$WORK/keda.yaml" "$url"
    local sum
    sum="$(sha256sum "$WORK/keda.yaml" | cut -d' ' -f1)"
    if [[ -n "$KEDA_MANIFEST_SHA256" ]]; then
        [[ "$sum" == "$KEDA_MANIFEST_SHA256" ]] || die "keda-${KEDA_VERSION}.yaml has sha256 $sum"
    else
        log "keda-${KEDA_VERSION}.yaml sha256 $sum (set KEDA_MANIFEST_SHA256 to pin it)"
    fi
    kubectl apply --server-side -f "$WORK/keda.yaml"
    kubectl wait --for=condition=Established --timeout=120s \
        crd/scaledjobs.keda.sh crd/triggerauthentications.keda.sh
    kubectl -n keda wait --for=condition=Available --timeout=300s deployment --all
}

apply_app() {
    local attempt
    for attempt in 1 2 3 4 5; do
        # KEDA's admission webhook may refuse connections for a few seconds after it is Available
        if kubectl apply -f "$WORK/overlay/rendered.yaml"; then
            return 0
        fi
        log "apply failed (attempt $attempt); retrying in 10 s"
        sleep 10
    done
    die "kubectl apply of $OVERLAY failed"
}

wait_app() {
    k rollout status statefulset/mysql --timeout=600s
    k rollout status deployment/redis --timeout=300s
    log "waiting for the migration Job db-init"
    k wait --for=condition=complete job/db-init --timeout=600s
    k rollout status deployment/web --timeout=300s
}

port_forward() {
    if [[ -n "$PF_PID" ]] && kill -0 "$PF_PID" 2>/dev/null; then
        return 0
    fi
    local port
    port="$(k get service web -o jsonpath='{.spec.ports[0].port}')"
    k port-forward service/web "${LOCAL_PORT}:${port}" >>"$WORK/port-forward.log" 2>&1 &
    PF_PID=$!
    local _
    for _ in $(seq 1 60); do
        if curl -fsS "$BASE_URL/ready" >/dev/null 2>&1; then
            return 0
        fi
        sleep 2
    done
    cat "$WORK/port-forward.log" >&2
    die "the web never answered /ready through the port-forward"
}

# --- the runs -------------------------------------------------------------------------------------

submit_runs() {
    local i body code
    : >"$WORK/run_ids"
    for i in $(seq 1 "$RUNS"); do
        # distinct requests: RSI periods 10, 11, ... (docs/api.md, "The run request")
        body="$(printf '{"ticker": "ACME", "rule_type": "RSI", "params": {"period": %d, "oversold": 30, "overbought": 70}, "start_date": "2016-01-01", "end_date": "2020-12-31"}' "$((9 + i))")"
        code="$(curl -sS --output "$WORK/submit.json" --write-out '%{http_code}' -X POST \
            -H 'Content-Type: application/json' --data "$body" "$BASE_URL/run_backtest")"
        [[ "$code" == 202 ]] || die "POST /run_backtest answered $code: $(cat "$WORK/submit.json")"
        jq -er .run_id "$WORK/submit.json" >>"$WORK/run_ids"
    done
    log "submitted $RUNS runs"
}

record_jobs() {
    # a failed listing (an API server hiccup) only skips this sample
    k get jobs -l "$JOB_LABEL" -o name >>"$WORK/jobs_seen" || log "listing Jobs failed; next poll"
    sort -u -o "$WORK/jobs_seen" "$WORK/jobs_seen"
}

# Poll the lookup endpoint (summaries, no results) until every run is SUCCEEDED or FAILED, and
# record every Job name the ScaledJob ever had (finished Jobs beyond the history limit get deleted).
wait_runs() {
    local ids deadline summary finished succeeded
    ids="$(paste -sd, "$WORK/run_ids")"
    deadline=$((SECONDS + RUNS_TIMEOUT))
    : >"$WORK/jobs_seen"
    while :; do
        record_jobs
        port_forward
        if summary="$(curl -fsS "$BASE_URL/api/runs/lookup?ids=$ids")"; then
            finished="$(jq '[.runs[] | select(.status == "SUCCEEDED" or .status == "FAILED")] | length' <<<"$summary" || echo 0)"
            succeeded="$(jq '[.runs[] | select(.status == "SUCCEEDED")] | length' <<<"$summary" || echo 0)"
            log "$succeeded/$RUNS SUCCEEDED, $((finished - succeeded)) FAILED, $(wc -l <"$WORK/jobs_seen") Jobs so far"
            if [[ "$finished" -eq "$RUNS" ]]; then
                return 0
            fi
        fi
        [[ "$SECONDS" -lt "$deadline" ]] || die "runs not finished after ${RUNS_TIMEOUT} s"
        sleep 5
    done
}

verify() {
    # a few polling intervals more: a Job created for no run would show up now
    sleep 15
    record_jobs
    k wait --for=condition=complete job -l "$JOB_LABEL" --timeout=180s
    local jobs
    jobs="$(wc -l <"$WORK/jobs_seen")"
    [[ "$jobs" -eq "$RUNS" ]] || die "the ScaledJob created $jobs Jobs for $RUNS runs: $(paste -sd' ' "$WORK/jobs_seen")"

    local id status bad=0
    while read -r id; do
        status="$(curl -fsS "$BASE_URL/status/$id" | jq -r .status)"
        if [[ "$status" != SUCCEEDED ]]; then
            log "run $id is $status: $(curl -fsS "$BASE_URL/status/$id" | jq -c '{status, error_message}')"
            bad=$((bad + 1))
        fi
    done <"$WORK/run_ids"
    [[ "$bad" -eq 0 ]] || die "$bad of $RUNS runs did not succeed"
    local queued
    queued="$(curl -fsS "$BASE_URL/api/queue" | jq -r .queued)"
    [[ "$queued" == 0 ]] || die "$queued runs still queued"
    log "PASS: $RUNS runs SUCCEEDED, $jobs Jobs created by ScaledJob/$SCALEDJOB, queue empty"
}

diagnostics() {
    log "diagnostics"
    kubectl get nodes -o wide || true
    k get all,jobs,pvc,scaledjobs,triggerauthentications -o wide || true
    k describe scaledjob "$SCALEDJOB" || true
    k get events --sort-by=.lastTimestamp | tail -n 60 || true
    kubectl -n keda logs deployment/keda-operator --tail=200 || true
    k logs job/db-init --tail=100 || true
    k logs deployment/web --tail=100 || true
    local job
    for job in $(k get jobs -l "$JOB_LABEL" -o name 2>/dev/null | tail -n 3); do
        k logs "$job" --tail=50 || true
    done
}

on_exit() {
    local status=$?
    if [[ -n "$PF_PID" ]]; then
        kill "$PF_PID" 2>/dev/null || true
    fi
    if [[ "$status" -ne 0 ]]; then
        diagnostics
    fi
}

main() {
    local command="${1:-all}"
    case "$command" in
    render)
        [[ $# -eq 2 ]] || die "usage: $0 render DIR"
        need kubectl openssl realpath
        render "$2"
        ;;
    all)
        need docker kind kubectl curl jq openssl realpath sha256sum
        if [[ -z "$WORK" ]]; then
            WORK="$(mktemp -d)"
        fi
        trap on_exit EXIT
        load_image
        install_keda
        render "$WORK/overlay"
        apply_app
        wait_app
        port_forward
        submit_runs
        wait_runs
        verify
        ;;
    *) die "usage: $0 [all | render DIR]" ;;
    esac
}

main "$@"
