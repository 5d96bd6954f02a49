#!/usr/bin/env bash
# Installs rustgate into $RUSTGATE_INSTALL_DIR/bin: the release binary for this
# runner when a release matches, verified against its SHA-256 checksum; else a
# build of the action's own checkout with the action's own toolchain.
#
#   RUSTGATE_INSTALL_DIR  where to install (bin/rustgate[.exe] below it); required
#   RUSTGATE_VERSION      the release to download (`0.1.0` or `v0.1.0`); empty:
#                         from the action's ref (see below)
#   RUSTGATE_RELEASES     base URL of the releases (default: the GitHub
#                         releases of rustgate/rustgate); the archive is
#                         $RUSTGATE_RELEASES/v$VERSION/rustgate-v$VERSION-$TARGET.tar.gz
#                         and its checksum the same with `.sha256`
#   RUSTGATE_TARGET       the target triple (default: from RUNNER_OS/RUNNER_ARCH,
#                         else uname)
#   RUSTGATE_NO_BUILD     non-empty: fail instead of building when no release matches
#   GITHUB_ACTION_REF     the action's ref: `vX.Y.Z` selects that release; a
#                         branch name (anything but a version tag, a major tag
#                         such as `v1` or a commit SHA) builds the checkout,
#                         whose code need not be any release's
#
# Exit codes: 0 installed, 1 failed (a checksum that does not match is a
# failure, never a reason to build instead).
set -uo pipefail

action_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${RUSTGATE_INSTALL_DIR:?RUSTGATE_INSTALL_DIR is not set}
releases=${RUSTGATE_RELEASES:-https://github.com/rustgate/rustgate/releases/download}

log() { echo "rustgate install: $*" >&2; }

# The target triple of the release archive for this runner.
target() {
  if [ -n "${RUSTGATE_TARGET:-}" ]; then
    echo "$RUSTGATE_TARGET"
    return
  fi
  local os=${RUNNER_OS:-$(uname -s)} arch=${RUNNER_ARCH:-$(uname -m)}
  case "$os/$arch" in
    Linux/X64 | Linux/x86_64) echo x86_64-unknown-linux-musl ;;
    Linux/ARM64 | Linux/aarch64 | Linux/arm64) echo aarch64-unknown-linux-musl ;;
    macOS/X64 | Darwin/x86_64) echo x86_64-apple-darwin ;;
    macOS/ARM64 | Darwin/arm64) echo aarch64-apple-darwin ;;
    Windows/X64 | MINGW*/x86_64 | MSYS*/x86_64) echo x86_64-pc-windows-msvc ;;
    *) echo "" ;;
  esac
}

# The release to download: the input, else a version tag as the action's ref,
# else the version of the action's checkout (a major tag or a commit SHA of a
# release); empty for a branch.
version() {
  local v=${RUSTGATE_VERSION:-} ref=${GITHUB_ACTION_REF:-}
  # Inside a composite action the ref may be empty: the runner keeps the
  # action at .../_actions/OWNER/NAME/REF.
  if [ -z "$ref" ] && [[ "$action_dir" == */_actions/*/*/* ]]; then
    ref=$(basename "$action_dir")
  fi
  if [ -n "$v" ]; then
    echo "${v#v}"
  elif [[ "$ref" =~ ^v[0-9]+\.[0-9]+\.[0-9]+([-+].*)?$ ]]; then
    echo "${ref#v}"
  elif [ -z "$ref" ] || [[ "$ref" =~ ^v[0-9]+(\.[0-9]+)?$ ]] || [[ "$ref" =~ ^[0-9a-f]{40}$ ]]; then
    sed -n 's/^version = "\(.*\)"$/\1/p' "$action_dir/Cargo.toml" | head -n1
  else
    echo ""
  fi
}

sha256() { # file
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

# Downloads and installs the release; 0 installed, 1 refused (bad checksum or
# archive), 3 no such release.
download() { # version target
  local version=$1 target=$2
  local name="rustgate-v$version-$target"
  local url="$releases/v$version/$name.tar.gz"
  local tmp
  tmp=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/rustgate-install.XXXXXX") || return 1
  log "downloading $url"
  if ! curl -fsSL --retry 3 --proto '=https,http' -o "$tmp/$name.tar.gz" "$url" \
    || ! curl -fsSL --retry 3 --proto '=https,http' -o "$tmp/$name.tar.gz.sha256" "$url.sha256"; then
    rm -rf "$tmp"
    return 3
  fi
  local expected actual
  expected=$(head -c 64 "$tmp/$name.tar.gz.sha256" | tr 'A-F' 'a-f')
  actual=$(sha256 "$tmp/$name.tar.gz")
  if ! [[ "$expected" =~ ^[0-9a-f]{64}$ ]] || [ "$expected" != "$actual" ]; then
    echo "::error title=rustgate::checksum mismatch for $name.tar.gz (expected ${expected:-nothing}, got $actual): not installed"
    rm -rf "$tmp"
    return 1
  fi
  log "checksum verified: $actual"
  if ! tar -xzf "$tmp/$name.tar.gz" -C "$tmp"; then
    echo "::error title=rustgate::cannot unpack $name.tar.gz"
    rm -rf "$tmp"
    return 1
  fi
  local exe=rustgate
  case "$target" in *windows*) exe=rustgate.exe ;; esac
  if [ ! -f "$tmp/$name/$exe" ]; then
    echo "::error title=rustgate::$name.tar.gz holds no $name/$exe"
    rm -rf "$tmp"
    return 1
  fi
  mkdir -p "$dir/bin" && cp "$tmp/$name/$exe" "$dir/bin/$exe" && chmod +x "$dir/bin/$exe"
  local rc=$?
  rm -rf "$tmp"
  return $rc
}

# Builds the action's checkout with the action's toolchain: run from outside
# the caller's workspace (no rust-toolchain.toml or .cargo/config.toml of
# theirs applies) with RUSTUP_TOOLCHAIN pinned.
# With an explicit RUSTGATE_VERSION that has no release, that version is
# built from crates.io instead (the checkout may be another version).
build() {
  local toolchain=${RUSTGATE_TOOLCHAIN:-stable}
  local where=${RUNNER_TEMP:-${TMPDIR:-/tmp}}
  if command -v rustup >/dev/null 2>&1; then
    (cd "$where" && rustup toolchain install "$toolchain" --profile minimal --no-self-update >&2) || return 1
  fi
  if [ -n "${RUSTGATE_VERSION:-}" ]; then
    log "building rustgate ${RUSTGATE_VERSION#v} from crates.io with the $toolchain toolchain"
    (cd "$where" && RUSTUP_TOOLCHAIN=$toolchain cargo install --locked --root "$dir" rustgate --version "${RUSTGATE_VERSION#v}")
  else
    log "building rustgate from $action_dir with the $toolchain toolchain"
    (cd "$where" && RUSTUP_TOOLCHAIN=$toolchain cargo install --locked --root "$dir" --path "$action_dir")
  fi
}

main() {
  local version target rc
  version=$(version)
  target=$(target)
  if [ -n "$version" ] && [ -n "$target" ]; then
    download "$version" "$target"
    rc=$?
    case $rc in
      0)
        log "installed release v$version ($target) in $dir/bin"
        return 0
        ;;
      3) log "no release v$version for $target" ;;
      *) return 1 ;;
    esac
  elif [ -z "$target" ]; then
    log "no release is built for this runner (${RUNNER_OS:-?}/${RUNNER_ARCH:-?})"
  else
    log "the action's ref ${GITHUB_ACTION_REF:-} is a branch: building its checkout"
  fi
  if [ -n "${RUSTGATE_NO_BUILD:-}" ]; then
    echo "::error title=rustgate::no release to install and building is off (RUSTGATE_NO_BUILD)"
    return 1
  fi
  build
}

main
