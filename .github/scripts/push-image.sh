#!/usr/bin/env bash
# Push the image that CI's image job built, scanned and described (its `docker save` archive) to the
# registry, and report the digest the registry serves for it. Run by the push job of
# .github/workflows/ci.yml (docs/ci.md): what is pushed is byte for byte what was scanned, never a
# rebuild.
#
#   push-image.sh ARCHIVE ARCHIVE_SHA256 LOCAL_REF REPOSITORY TAG
#
# Checks the archive against the sha256 the image job recorded, loads it, tags LOCAL_REF as
# REPOSITORY:TAG, pushes, reads the digest back from the registry (the source of truth; `docker
# push`'s own report must agree when it prints one) and appends image=, digest= and reference= to
# $GITHUB_OUTPUT (stdout when unset). Needs docker with buildx, logged in to the registry.
set -euo pipefail

die() {
    printf 'push-image: %s\n' "$*" >&2
    exit 1
}

[[ $# -eq 5 ]] || die "usage: $0 ARCHIVE ARCHIVE_SHA256 LOCAL_REF REPOSITORY TAG"
archive="$1"
archive_sha256="$2"
local_ref="$3"
repository="$4"
tag="$5"

[[ "$archive_sha256" =~ ^[0-9a-f]{64}$ ]] || die "ARCHIVE_SHA256 must be 64 hex digits"
[[ "$repository" =~ ^[a-z0-9]+([._/-][a-z0-9]+)*$ ]] || die "REPOSITORY must be lower case, no tag: $repository"
[[ "$tag" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "bad TAG: $tag"

actual="$(sha256sum "$archive" | cut -d' ' -f1)"
[[ "$actual" == "$archive_sha256" ]] || die "$archive has sha256 $actual, the image job saved $archive_sha256"

docker load --input "$archive"
docker tag "$local_ref" "$repository:$tag"

log="$(mktemp)"
manifest="$(mktemp)"
trap 'rm -f "$log" "$manifest"' EXIT
docker push "$repository:$tag" | tee "$log"

# A manifest's digest is the sha256 of its bytes; --raw prints them unchanged (no newline added).
docker buildx imagetools inspect --raw "$repository:$tag" >"$manifest"
[[ -s "$manifest" ]] || die "the registry has no manifest for $repository:$tag"
digest="sha256:$(sha256sum "$manifest" | cut -d' ' -f1)"
pushed="$(sed -nE 's/.*digest: (sha256:[0-9a-f]{64}).*/\1/p' "$log" | tail -n 1)"
if [[ -n "$pushed" && "$pushed" != "$digest" ]]; then
    die "docker push reported $pushed but the registry serves $digest for $repository:$tag"
fi

{
    echo "image=$repository"
    echo "digest=$digest"
    echo "reference=$repository@$digest"
} >>"${GITHUB_OUTPUT:-/dev/stdout}"
printf 'push-image: pushed %s:%s = %s@%s\n' "$repository" "$tag" "$repository" "$digest" >&2
