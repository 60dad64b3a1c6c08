#!/usr/bin/env bash
# Builds etcd, kube-apiserver and kubectl from the Go module proxy (recipe:
# ../shared/reference/k8s-apiserver.md §1.5), or finds them in the cache.
#
# Output on stdout, one per line (nothing else goes to stdout):
#   ETCD=/abs/path/etcd
#   KUBE_APISERVER=/abs/path/kube-apiserver
#   KUBECTL=/abs/path/kubectl
# Build logs go to stderr. Exit status: 0 ok, 1 build failed, 2 missing prerequisite,
# 3 not cached (only with --check, which never builds).
#
# The binaries live OUTSIDE the repository, keyed by version:
#   ${SIGNALBOX_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/signalbox-k8s}/
#     kube-apiserver-v$K8S_VERSION/kube-apiserver
#     kubectl-v$K8S_VERSION/kubectl   (same wrapper module, same module graph as kube-apiserver)
#     etcd-v$ETCD_VERSION/etcd
# Each is built in a throw-away wrapper module and moved into place only when complete,
# so an interrupted build never leaves a half binary that looks cached. Whatever is missing
# is built; whatever is cached is kept (a cache from before kubectl gets only kubectl).
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-1.34.4}"   # no leading v
ETCD_VERSION="${ETCD_VERSION:-3.6.16}" # 3.6.x for k8s 1.34 (the etcd client it links)
CACHE="${SIGNALBOX_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/signalbox-k8s}"
APISERVER_DIR="$CACHE/kube-apiserver-v$K8S_VERSION"
KUBECTL_DIR="$CACHE/kubectl-v$K8S_VERSION"
ETCD_DIR="$CACHE/etcd-v$ETCD_VERSION"

say() { printf '[k8s build] %s\n' "$*" >&2; }
die() {
  local code="$1"
  shift
  printf '[k8s build] ERROR: %s\n' "$*" >&2
  exit "$code"
}
print_paths() {
  echo "ETCD=$ETCD_DIR/etcd"
  echo "KUBE_APISERVER=$APISERVER_DIR/kube-apiserver"
  echo "KUBECTL=$KUBECTL_DIR/kubectl"
}
cached() { [ -x "$ETCD_DIR/etcd" ] && [ -x "$APISERVER_DIR/kube-apiserver" ] && [ -x "$KUBECTL_DIR/kubectl" ]; }

if [ "${1:-}" = "--check" ]; then
  cached || die 3 "not built yet: run test/k8s/build.sh (cold build takes ~4 min on 2 cores)"
  print_paths
  exit 0
fi
if cached; then
  say "cached: $APISERVER_DIR, $KUBECTL_DIR, $ETCD_DIR"
  print_paths
  exit 0
fi

# --- prerequisites -------------------------------------------------------------------
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  export PATH="/usr/local/go/bin:$PATH"
fi
command -v go >/dev/null 2>&1 || die 2 "go not found (need Go >= 1.25 on PATH or in /usr/local/go/bin)"
GOV=$(go env GOVERSION) # e.g. go1.26.8
GOMINOR=$(echo "$GOV" | sed -E 's/^go1\.([0-9]+).*/\1/')
[ "$GOMINOR" -ge 25 ] 2>/dev/null || die 2 "$GOV is too old: k8s $K8S_VERSION needs Go >= 1.24, etcd $ETCD_VERSION needs >= 1.25"

export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0
mkdir -p "$CACHE"

# One build at a time per cache (two test runs starting together must not race).
exec 9>"$CACHE/.lock"
if command -v flock >/dev/null 2>&1; then
  say "taking the build lock $CACHE/.lock (waits at most 60 min for another build)"
  flock -w 3600 9 || die 1 "another build holds $CACHE/.lock for over 60 min"
fi
if cached; then
  say "built by a concurrent run: $APISERVER_DIR, $KUBECTL_DIR, $ETCD_DIR"
  print_paths
  exit 0
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/signalbox-k8s-build.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# --- etcd, in its own wrapper so MVS cannot move k8s's dependencies (§1.6.4) ------------
if [ ! -x "$ETCD_DIR/etcd" ]; then
  start=$(date +%s)
  say "building etcd v$ETCD_VERSION with $GOV (cold: ~1 min)"
  E="$WORK/etcd"
  mkdir -p "$E"
  cd "$E"
  go mod init example.invalid/signalbox-etcd-test-bin >/dev/null 2>&1
  go get -tool "go.etcd.io/etcd/server/v3@v$ETCD_VERSION" >&2 ||
    die 1 "go get go.etcd.io/etcd/server/v3@v$ETCD_VERSION failed"
  go build -trimpath -ldflags "-s -w" -o "$E/etcd" go.etcd.io/etcd/server/v3 >&2 ||
    die 1 "go build etcd v$ETCD_VERSION failed"
  "$E/etcd" --version >&2 || die 1 "built etcd does not run"
  mkdir -p "$ETCD_DIR"
  cp "$E/go.mod" "$E/go.sum" "$ETCD_DIR/"
  mv "$E/etcd" "$ETCD_DIR/etcd.tmp"
  mv "$ETCD_DIR/etcd.tmp" "$ETCD_DIR/etcd"
  say "etcd v$ETCD_VERSION built in $(($(date +%s) - start)) s"
fi


# --- kube-apiserver and kubectl: one wrapper module, one module graph ----------------------
# kubectl lives in k8s.io/kubernetes too (cmd/kubectl over the k8s.io/kubectl staging module),
# so adding it as a second tool changes no requirement: same dependency versions as the
# apiserver it talks to, and most packages come from Go's build cache.
# Module path and the version actually built (after replace), sorted: what "same graph" means.
effective_graph() { go list -m -f '{{.Path}} {{if .Replace}}{{.Replace.Version}}{{else}}{{.Version}}{{end}}' all | sort; }
need_apiserver=0
need_kubectl=0
[ -x "$APISERVER_DIR/kube-apiserver" ] || need_apiserver=1
[ -x "$KUBECTL_DIR/kubectl" ] || need_kubectl=1
if [ "$need_apiserver" = 1 ] || [ "$need_kubectl" = 1 ]; then
  start=$(date +%s)
  W="$WORK/k8s"
  mkdir -p "$W"
  cd "$W"
  graph_before=""
  if [ "$need_apiserver" = 0 ] && [ -f "$APISERVER_DIR/go.mod" ] && [ -f "$APISERVER_DIR/go.sum" ]; then
    # The apiserver is cached: start from the wrapper it was built from, so kubectl gets
    # exactly its module graph (checked below).
    say "building kubectl v$K8S_VERSION in kube-apiserver's recorded wrapper module (~30 s with warm Go caches)"
    cp "$APISERVER_DIR/go.mod" "$APISERVER_DIR/go.sum" "$W/"
    graph_before=$(effective_graph) || die 1 "go list -m all failed in the recorded wrapper ($APISERVER_DIR/go.mod)"
  else
    say "building kube-apiserver and kubectl v$K8S_VERSION with $GOV (cold: ~4 min on 2 cores)"
    go mod init example.invalid/signalbox-k8s-test-bins >/dev/null 2>&1
    KMOD=$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | grep '"GoMod"' | cut -d'"' -f4)
    [ -f "$KMOD" ] || die 1 "could not download k8s.io/kubernetes@v$K8S_VERSION from $(go env GOPROXY)"
    SV="v0.${K8S_VERSION#1.}" # 1.34.4 -> v0.34.4
    # Every staging module k8s.io/kubernetes requires at v0.0.0 must be replaced by its published
    # v0.Y.Z; the list moves between versions, so derive it from the downloaded go.mod (§1.2).
    STAGING=$({
      grep -E '^[[:space:]]+k8s\.io/[^ ]+ v0\.0\.0( |$)' "$KMOD" | awk '{print $1}'
      grep -E '=> \./staging/src/' "$KMOD" | awk '{print $1}'
    } | sort -u)
    [ -n "$STAGING" ] || die 1 "no staging modules found in $KMOD"
    for m in $STAGING; do go mod edit -replace="$m=$m@$SV"; done
    go mod edit -go="$(awk '$1=="go"{print $2; exit}' "$KMOD")"
    GD=$(awk '$1=="godebug"&&$2~/^default=/{print $2; exit}' "$KMOD")
    if [ -n "$GD" ]; then go mod edit -godebug="$GD"; fi
  fi
  go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@v$K8S_VERSION" "k8s.io/kubernetes/cmd/kubectl@v$K8S_VERSION" >&2 ||
    die 1 "go get k8s.io/kubernetes@v$K8S_VERSION failed (wrapper: $W/go.mod)"
  if [ -n "$graph_before" ]; then
    # kubectl may add modules the apiserver's pruned graph never loaded (sergi/go-diff,
    # kustomize/cmd/config), but must not move any module the apiserver was built with.
    moved=$(comm -23 <(echo "$graph_before") <(effective_graph))
    [ -z "$moved" ] || die 1 "adding cmd/kubectl moved modules of $APISERVER_DIR/go.mod ($(echo "$moved" | head -3 | tr '\n' ' ')); remove $APISERVER_DIR to rebuild both"
  fi
  MINOR=$(echo "$K8S_VERSION" | cut -d. -f2)
  NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  LD="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    LD="$LD -X $p.gitVersion=v$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$MINOR"
    LD="$LD -X $p.gitTreeState=clean -X $p.buildDate=$NOW"
  done
  PKGS=()
  [ "$need_apiserver" = 1 ] && PKGS+=(k8s.io/kubernetes/cmd/kube-apiserver)
  [ "$need_kubectl" = 1 ] && PKGS+=(k8s.io/kubernetes/cmd/kubectl)
  mkdir -p "$W/bin"
  # One go build for both: the packages they share compile once.
  go build -trimpath -ldflags "$LD" -o "$W/bin/" "${PKGS[@]}" >&2 ||
    die 1 "go build ${PKGS[*]} v$K8S_VERSION failed"
  if [ "$need_apiserver" = 1 ]; then
    "$W/bin/kube-apiserver" --version >&2 || die 1 "built kube-apiserver does not run"
    mkdir -p "$APISERVER_DIR"
    cp "$W/go.mod" "$W/go.sum" "$APISERVER_DIR/"
    mv "$W/bin/kube-apiserver" "$APISERVER_DIR/kube-apiserver.tmp"
    mv "$APISERVER_DIR/kube-apiserver.tmp" "$APISERVER_DIR/kube-apiserver"
  fi
  if [ "$need_kubectl" = 1 ]; then
    "$W/bin/kubectl" version --client >&2 || die 1 "built kubectl does not run"
    mkdir -p "$KUBECTL_DIR"
    cp "$W/go.mod" "$W/go.sum" "$KUBECTL_DIR/"
    mv "$W/bin/kubectl" "$KUBECTL_DIR/kubectl.tmp"
    mv "$KUBECTL_DIR/kubectl.tmp" "$KUBECTL_DIR/kubectl"
  fi
  say "built ${PKGS[*]} v$K8S_VERSION in $(($(date +%s) - start)) s"
fi

print_paths
