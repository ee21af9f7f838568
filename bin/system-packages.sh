# Debian packages ekrav needs beside its Python dependencies, installed with apt-get when
# missing. Sourced by bin/start (letters: Pango for WeasyPrint, libharfbuzz-subset0 for its
# fast font subsetting) and bin/test (chromium for the browser tests).

APT_LOG="${APT_LOG:-$ROOT/var/apt-install.log}"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
warn() { printf '\033[1;33m!!! %s\033[0m\n' "$*" >&2; }

missing_packages() {
    command -v dpkg-query >/dev/null || { printf '%s\n' "$@"; return; }
    local pkg
    for pkg in "$@"; do
        [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" == "install ok installed" ]] \
            || echo "$pkg"
    done
}

apt_install() {
    local sudo=()
    if [[ "$(id -u)" != 0 ]]; then
        sudo -n true 2>/dev/null || { warn "not root and no password-less sudo"; return 1; }
        sudo=(sudo -n)
    fi
    command -v apt-get >/dev/null || { warn "apt-get is not available here"; return 1; }
    mkdir -p "$(dirname "$APT_LOG")"
    local install=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive
                   apt-get install -y -q --no-install-recommends "$@")
    # Package lists are refreshed only when the install cannot go ahead without it
    # (no lists yet, or lists so old that their files are gone from the mirror).
    "${install[@]}" >"$APT_LOG" 2>&1 && return 0
    say "Refreshing the package lists (apt-get update)"
    "${sudo[@]}" apt-get update -q >>"$APT_LOG" 2>&1 \
        && "${install[@]}" >>"$APT_LOG" 2>&1 && return 0
    tail -n 15 "$APT_LOG" >&2
    return 1
}

# ensure_packages PKG...: install the missing ones; warn (the caller decides) when it can't.
ensure_packages() {
    local missing
    missing="$(missing_packages "$@")"
    [[ -z "$missing" ]] && return 0
    # shellcheck disable=SC2086 # one package name per word
    say "Installing Debian packages: $(echo $missing) (log: $APT_LOG)"
    # shellcheck disable=SC2086
    apt_install $missing || { warn "could not install $(echo $missing) with apt-get."; return 1; }
}
