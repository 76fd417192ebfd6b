# Shared by scripts/test, scripts/demo and scripts/bench: build a venv once, reuse it while its
# interpreter and requirements are unchanged (a hash of them is stored inside the venv).
# shellcheck shell=bash

. "$(dirname "${BASH_SOURCE[0]}")/python.sh"

# ensure_venv DIR PYTHON REQUIREMENTS...: create DIR with PYTHON ("3.14": current Home Assistant,
# "3.13": the oldest supported one and the ACN-Sim bench) and install REQUIREMENTS into it unless
# their hash matches the one recorded at the last successful install.
ensure_venv() {
    local venv=$1 series=$2
    shift 2
    local stamp wanted python
    if [ -x "$venv/bin/python" ] &&
        [ "$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" != "$series" ]; then
        echo "Rebuilding $venv: it runs another Python than $series" >&2
        rm -rf "$venv"
    fi
    # One stamp per set of requirement files, so the test and demo sets do not undo each other.
    stamp="$venv/.requirements-$(echo "$@" | tr -c 'a-zA-Z0-9_\n' '_').sha256"
    wanted=$(cat "$@" $(included_requirements "$@") pyproject.toml | sha256sum | cut -d' ' -f1)
    if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
        return 0
    fi
    if [ ! -x "$venv/bin/python" ]; then
        case $series in
            3.14) python=$(find_python314) || return 1 ;;
            3.13) python=$(find_python313) || return 1 ;;
            *)
                echo "error: unknown Python series $series" >&2
                return 1
                ;;
        esac
        echo "Creating $venv with $python ($("$python" --version))" >&2
        "$python" -m venv "$venv"
        "$venv/bin/python" -m pip install --quiet --upgrade pip 2> >(grep -v "is ignored: it is neither" >&2)
    fi
    local started
    started=$(date +%s)
    echo "Installing $* into $venv (a few minutes the first time)" >&2
    local args=()
    for req in "$@"; do args+=(-r "$req"); done
    # Some machines list missing local indexes in pip's config; their warnings are noise here.
    "$venv/bin/python" -m pip install --quiet "${args[@]}" 2> >(grep -v "is ignored: it is neither" >&2)
    echo "$wanted" >"$stamp"
    echo "Installed in $(($(date +%s) - started)) s" >&2
}

# included_requirements FILE...: the files that FILE includes with "-r", so an edit there
# also rebuilds the venv.
included_requirements() {
    local file
    for file in "$@"; do
        sed -n 's/^-r[[:space:]]*//p' "$file" | while read -r included; do
            echo "$(dirname "$file")/$included"
        done
    done
}

# ensure_demo_hass: build .venv-demo (the Home Assistant release the demo runs,
# requirements_demo.txt) and point scripts.demo at its hass from any venv (SMARTMULTI_HASS), so
# tests/demo and the latency bench start the same release as scripts/demo.
ensure_demo_hass() {
    ensure_venv .venv-demo 3.14 requirements_demo.txt || return 1
    SMARTMULTI_HASS="$PWD/.venv-demo/bin/hass"
    export SMARTMULTI_HASS
}
