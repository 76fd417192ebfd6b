# Shared by scripts/test, scripts/demo and scripts/bench: build .venv once, reuse it while the
# requirements are unchanged (a hash of them is stored inside the venv).
# shellcheck shell=bash

find_python() {
    local candidate version
    for candidate in python3.13 "$(pyenv root 2>/dev/null)/versions/3.13.0/bin/python3.13" python3; do
        command -v "$candidate" >/dev/null 2>&1 || continue
        version=$("$candidate" -c 'import sys; print("%d%02d" % sys.version_info[:2])' 2>/dev/null) || continue
        if [ "$version" -ge 313 ]; then
            echo "$candidate"
            return 0
        fi
    done
    echo "error: Python >= 3.13 is required (Home Assistant 2025.4); install it (e.g. pyenv install 3.13.0)" >&2
    return 1
}

# ensure_venv DIR REQUIREMENTS...: create DIR with Python >= 3.13 and install REQUIREMENTS into it
# unless their hash matches the one recorded at the last successful install.
ensure_venv() {
    local venv=$1
    shift
    local stamp wanted python
    # One stamp per set of requirement files, so the test and demo sets do not undo each other.
    stamp="$venv/.requirements-$(echo "$@" | tr -c 'a-zA-Z0-9_\n' '_').sha256"
    wanted=$(cat "$@" pyproject.toml | sha256sum | cut -d' ' -f1)
    if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
        return 0
    fi
    if [ ! -x "$venv/bin/python" ]; then
        python=$(find_python) || return 1
        echo "Creating $venv with $python ($("$python" --version))" >&2
        "$python" -m venv "$venv"
        "$venv/bin/python" -m pip install --quiet --upgrade pip 2> >(grep -v "is ignored: it is neither" >&2)
    fi
    echo "Installing requirements into $venv (about 3 minutes the first time)" >&2
    local args=()
    for req in "$@"; do args+=(-r "$req"); done
    # Some machines list missing local indexes in pip's config; their warnings are noise here.
    "$venv/bin/python" -m pip install --quiet "${args[@]}" 2> >(grep -v "is ignored: it is neither" >&2)
    echo "$wanted" >"$stamp"
}
