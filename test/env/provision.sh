#!/usr/bin/env bash
# Provisions the real components the tests run against, and prints one line per component.
#
#   kube-apiserver, kubectl  k8s.io/kubernetes (test/env/go/k8s)    built with Go, cached
#   etcd                     go.etcd.io/etcd/server/v3 (…/go/etcd)  built with Go, cached
#   sops, kubeseal           getsops, sealed-secrets (…/go/peers)   built with Go, cached
#   kustomize                sigs.k8s.io/kustomize (…/go/kustomize) built with Go, cached
#   age, age-keygen, git     Debian packages                        apt-get when missing
#   gpg, ssh-keygen          Debian packages (gnupg, openssh-client) apt-get when missing
#
# envtest convention: when KUBEBUILDER_ASSETS names a folder holding etcd, kube-apiserver and
# kubectl, those are used and not built. Builds go to $SEALSYNC_CACHE (default
# ~/.cache/sealsync), keyed by a hash of the Go version, go.mod/go.sum and flags, so a second run
# only checks a marker. The result is written to .cache/test-env.json for the test harness.
# Idempotent; fails loudly, naming what is missing and how to provide it.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${SEALSYNC_CACHE:-$HOME/.cache/sealsync}
K8S_VERSION=v1.36.3

fail() { echo "provision: $*" >&2; exit 1; }
log() { echo "provision: $*" >&2; }

# --- Debian packages -------------------------------------------------------------------------
need_pkgs=()
command -v age >/dev/null 2>&1 && command -v age-keygen >/dev/null 2>&1 || need_pkgs+=(age)
command -v git >/dev/null 2>&1 || need_pkgs+=(git)
# Signed history in the tests is made by the real gpg and ssh-keygen.
command -v gpg >/dev/null 2>&1 || need_pkgs+=(gnupg)
command -v ssh-keygen >/dev/null 2>&1 || need_pkgs+=(openssh-client)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing Debian packages: ${need_pkgs[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
  else
    fail "missing ${need_pkgs[*]}: install them (Debian: apt-get install ${need_pkgs[*]}) and run again"
  fi
fi
git_backend="$(git --exec-path)/git-http-backend"
[ -x "$git_backend" ] || fail "git-http-backend not found at $git_backend: install git (Debian: apt-get install git)"

# --- Go builds ---------------------------------------------------------------------------------
export CGO_ENABLED=0 GOTOOLCHAIN=local GOWORK=off GOFLAGS="-trimpath -buildvcs=false"

# build NAME DIR LDFLAGS BIN=PKG...: build once into $cache/bin/NAME-<key>/ and print that folder.
build() {
  local name=$1 dir=$2 ld=$3; shift 3
  local key out
  key=$( { go version; cat "$dir/go.mod" "$dir/go.sum"; echo "$GOFLAGS $CGO_ENABLED $ld $*"; } | sha256sum | cut -c1-16)
  out="$cache/bin/$name-$key"
  if [ ! -f "$out/.complete" ]; then
    log "building $name (${*%%=*}) with $(go version | cut -d' ' -f3); a cold build takes minutes"
    rm -rf "$out.tmp"; mkdir -p "$out.tmp"
    local pair
    for pair in "$@"; do
      (cd "$dir" && go build -ldflags "$ld" -o "$out.tmp/${pair%%=*}" "${pair#*=}") >&2 \
        || fail "go build of ${pair#*=} failed (see above)"
    done
    touch "$out.tmp/.complete"; rm -rf "$out"; mv "$out.tmp" "$out"
  fi
  echo "$out"
}

if [ -n "${KUBEBUILDER_ASSETS:-}" ] && [ -x "$KUBEBUILDER_ASSETS/kube-apiserver" ] \
   && [ -x "$KUBEBUILDER_ASSETS/etcd" ] && [ -x "$KUBEBUILDER_ASSETS/kubectl" ]; then
  k8s_dir=$KUBEBUILDER_ASSETS; etcd_dir=$KUBEBUILDER_ASSETS
  log "using KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS"
else
  [ -n "${KUBEBUILDER_ASSETS:-}" ] && log "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS lacks etcd, kube-apiserver or kubectl; building them"
  command -v go >/dev/null 2>&1 || fail "Go is needed to build kube-apiserver, etcd, kubectl, sops and kubeseal: install Go >= 1.26, or point KUBEBUILDER_ASSETS at a folder with etcd, kube-apiserver and kubectl"
  # Stamp the version: unstamped builds report v0.0.0-master, which `kubectl version` rejects.
  ld="-s -w"
  minor=$(echo "$K8S_VERSION" | cut -d. -f2)
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  k8s_dir=$(build k8s "$here/go/k8s" "$ld" \
    kube-apiserver=k8s.io/kubernetes/cmd/kube-apiserver kubectl=k8s.io/kubernetes/cmd/kubectl)
  etcd_dir=$(build etcd "$here/go/etcd" "-s -w" etcd=go.etcd.io/etcd/server/v3)
fi
command -v go >/dev/null 2>&1 || fail "Go is needed to build sops, kubeseal and kustomize: install Go >= 1.26"
peers_dir=$(build peers "$here/go/peers" "-s -w" \
  sops=github.com/getsops/sops/v3/cmd/sops kubeseal=github.com/bitnami-labs/sealed-secrets/cmd/kubeseal)
# Stamped like a release build, so `kustomize version` names it.
kustomize_version=$(cd "$here/go/kustomize" && go list -m -f '{{.Version}}' sigs.k8s.io/kustomize/kustomize/v5)
kustomize_dir=$(build kustomize "$here/go/kustomize" "-s -w -X sigs.k8s.io/kustomize/api/provenance.version=$kustomize_version" \
  kustomize=sigs.k8s.io/kustomize/kustomize/v5)

# --- Report and record -------------------------------------------------------------------------
export SOPS_DISABLE_VERSION_CHECK=1
first() { "$@" 2>&1 | head -n1; }
echo "kube-apiserver  $(first "$k8s_dir/kube-apiserver" --version)"
echo "kubectl         $(first "$k8s_dir/kubectl" version --client) "
echo "etcd            $(first "$etcd_dir/etcd" --version)"
echo "sops            $(first "$peers_dir/sops" --version)"
echo "kubeseal        $(first "$peers_dir/kubeseal" --version)"
echo "kustomize       $(first "$kustomize_dir/kustomize" version)"
echo "age             $(first age --version)"
echo "age-keygen      $(first age-keygen --version)"
echo "git             $(first git --version) (http-backend: $git_backend)"

mkdir -p "$repo/.cache"
cat > "$repo/.cache/test-env.json.tmp" <<JSON
{
  "kubeApiserver": "$k8s_dir/kube-apiserver",
  "kubectl": "$k8s_dir/kubectl",
  "etcd": "$etcd_dir/etcd",
  "sops": "$peers_dir/sops",
  "kubeseal": "$peers_dir/kubeseal",
  "kustomize": "$kustomize_dir/kustomize",
  "age": "$(command -v age)",
  "ageKeygen": "$(command -v age-keygen)",
  "git": "$(command -v git)",
  "gitHttpBackend": "$git_backend"
}
JSON
mv "$repo/.cache/test-env.json.tmp" "$repo/.cache/test-env.json"
