# One way to get the interpreter each environment needs (sourced by scripts/lib/venv.sh).
#
# Current Home Assistant (>= 2026.3) needs Python >= 3.14.2. A python3.14 already on PATH or in the
# cache is used as it is; otherwise CPython's upstream tarball is taken from Debian's archive (the
# mirror apt already uses here, read from apt's own source list, never a host written in the repo),
# checked against its sha256 and built once into a cache outside the checkout.
# shellcheck shell=bash

PY314_VERSION=3.14.7
PY314_SHA256=3b48dac8fb59f62eaa67ac83c1eb12bda1b7a08406dd286e252c11a66be27f81
SMARTMULTI_CACHE=${SMARTMULTI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/smartmulti}

# python_version_ok PYTHON MIN: PYTHON runs and is at least MIN ("3.14.2").
python_version_ok() {
    "$1" - "$2" <<'EOF' >/dev/null 2>&1
import sys
wanted = tuple(int(part) for part in sys.argv[1].split("."))
sys.exit(0 if sys.version_info[:3] >= wanted else 1)
EOF
}

# debian_mirror: the archive URI of apt's deb822 source list (the first "URIs:" of the main archive).
debian_mirror() {
    local file
    for file in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list.d/*.sources; do
        [ -f "$file" ] || continue
        awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' "$file" && return 0
    done
    # One-line format, for machines without deb822 sources.
    awk '$1 == "deb" && $0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' \
        /etc/apt/sources.list 2>/dev/null
}

# build_python314: download, verify and build CPython into the cache; prints the interpreter's path.
build_python314() {
    local prefix="$SMARTMULTI_CACHE/python-$PY314_VERSION"
    local mirror tarball work started
    mirror=$(debian_mirror)
    if [ -z "$mirror" ]; then
        echo "error: no Debian mirror in apt's sources; install Python >= 3.14.2 as python3.14 on PATH" >&2
        return 1
    fi
    mkdir -p "$SMARTMULTI_CACHE"
    tarball="$SMARTMULTI_CACHE/python3.14_$PY314_VERSION.orig.tar.xz"
    if [ ! -f "$tarball" ] || ! echo "$PY314_SHA256  $tarball" | sha256sum --check --status; then
        echo "Downloading CPython $PY314_VERSION's source from Debian's archive" >&2
        if ! curl -fsSL --retry 3 -o "$tarball.part" \
            "${mirror%/}/pool/main/p/python3.14/python3.14_$PY314_VERSION.orig.tar.xz"; then
            rm -f "$tarball.part"
            echo "error: could not download CPython $PY314_VERSION; install Python >= 3.14.2 as python3.14 on PATH" >&2
            return 1
        fi
        if ! echo "$PY314_SHA256  $tarball.part" | sha256sum --check --status; then
            rm -f "$tarball.part"
            echo "error: CPython $PY314_VERSION's tarball has the wrong sha256; install Python >= 3.14.2 as python3.14 on PATH" >&2
            return 1
        fi
        mv "$tarball.part" "$tarball"
    fi
    # zstd's headers give the standard library its _zstd module (some wheels import it).
    if [ ! -f /usr/include/zstd.h ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get install -y -qq libzstd-dev >/dev/null 2>&1 ||
            { apt-get update -qq && apt-get install -y -qq libzstd-dev >/dev/null 2>&1; } || true
    fi
    work=$(mktemp -d "$SMARTMULTI_CACHE/build.XXXXXX")
    started=$(date +%s)
    echo "Building CPython $PY314_VERSION into $prefix (8-17 minutes on 2 cores, once; log: $work/build.log)" >&2
    if ! (
        cd "$work" &&
            tar -xJf "$tarball" &&
            cd "Python-$PY314_VERSION" &&
            ./configure --prefix="$prefix" --with-ensurepip=install &&
            make -j"$(nproc)" &&
            rm -rf "$prefix" &&
            make install
    ) >"$work/build.log" 2>&1; then
        tail -n 20 "$work/build.log" >&2
        echo "error: building CPython $PY314_VERSION failed (log: $work/build.log); install Python >= 3.14.2 as python3.14 on PATH" >&2
        return 1
    fi
    "$prefix/bin/python3.14" -c 'import ssl, sqlite3, zlib, lzma, ctypes' || {
        echo "error: the built CPython lacks a standard module; install Python >= 3.14.2 as python3.14 on PATH" >&2
        return 1
    }
    # Marked complete only now, so an interrupted build is redone rather than used.
    touch "$prefix/.complete"
    rm -rf "$work"
    echo "Built CPython $PY314_VERSION in $(($(date +%s) - started)) s" >&2
    echo "$prefix/bin/python3.14"
}

# find_python314: a Python >= 3.14.2 from PATH, the cache, or built now.
find_python314() {
    local candidate
    local cached="$SMARTMULTI_CACHE/python-$PY314_VERSION"
    for candidate in python3.14 "$cached/bin/python3.14"; do
        command -v "$candidate" >/dev/null 2>&1 || continue
        [ "$candidate" = python3.14 ] || [ -f "$cached/.complete" ] || continue
        if python_version_ok "$candidate" 3.14.2; then
            command -v "$candidate"
            return 0
        fi
    done
    build_python314
}

# find_python313: the oldest supported Home Assistant (2025.4) runs on Python 3.13.
find_python313() {
    local candidate
    for candidate in python3.13 "$(pyenv root 2>/dev/null)/versions/3.13.0/bin/python3.13"; do
        command -v "$candidate" >/dev/null 2>&1 || continue
        if python_version_ok "$candidate" 3.13.0; then
            command -v "$candidate"
            return 0
        fi
    done
    echo "error: Python 3.13 is required for the oldest supported Home Assistant (e.g. pyenv install 3.13.0)" >&2
    return 1
}
