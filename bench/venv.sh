# The benchmark's own venv, built the way scripts/lib/venv.sh builds .venv (hash-stamped), but
# with any CPython 3.10-3.13 found: acnportal 0.3.3 needs pkg_resources (setuptools < 81) and
# the engine needs 3.12+ syntax, so 3.13 is tried first.
# shellcheck shell=bash

find_bench_python() {
    local candidate root
    root=$(pyenv root 2>/dev/null || true)
    for candidate in python3.13 "$root/versions/3.13.0/bin/python3.13" python3.12 \
        "$root"/versions/3.12*/bin/python3.12; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] < (3, 12))' 2>/dev/null || continue
        echo "$candidate"
        return 0
    done
    echo "error: the bench needs CPython 3.12 or 3.13 (e.g. pyenv install 3.13.0)" >&2
    return 1
}

ensure_bench_venv() {
    local venv=$1 requirements=$2 stamp wanted python
    stamp="$venv/.requirements.sha256"
    wanted=$(sha256sum "$requirements" | cut -d' ' -f1)
    if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
        return 0
    fi
    if [ ! -x "$venv/bin/python" ]; then
        python=$(find_bench_python) || return 1
        echo "Creating $venv with $python ($("$python" --version))" >&2
        "$python" -m venv "$venv"
        "$venv/bin/python" -m pip install --quiet --upgrade pip 2> >(grep -v "is ignored: it is neither" >&2)
    fi
    echo "Installing $requirements into $venv" >&2
    "$venv/bin/python" -m pip install --quiet -r "$requirements" 2> >(grep -v "is ignored: it is neither" >&2)
    echo "$wanted" >"$stamp"
}
