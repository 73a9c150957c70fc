# Shared by scripts/run and scripts/test (sourced, not executed): make sure .venv exists and
# holds the current install of the project, then put it first on PATH.
#
# Needs only python3 (>= 3.11). The project is (re)installed with `pip install -e ".[dev]"`
# only when setup.cfg or setup.py changed since the last successful install: a stamp file in
# .venv holds their sha256 (and the repository path, since an editable install points at it).
# Set PYTHON to choose the interpreter that creates the venv (default: python3).

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO_ROOT/.venv"
VENV_PY="$VENV/bin/python"
_stamp="$VENV/.logeer-install-stamp"

_bootstrap_python="${PYTHON:-python3}"
if [[ ! -x "$VENV_PY" ]] || ! "$VENV_PY" -c 'import sys' >/dev/null 2>&1; then
    if ! command -v "$_bootstrap_python" >/dev/null 2>&1; then
        echo "error: $_bootstrap_python not found; install Python 3.11 or newer" >&2
        exit 1
    fi
    if ! "$_bootstrap_python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        echo "error: logeer needs Python 3.11 or newer; $_bootstrap_python is $("$_bootstrap_python" -V 2>&1)" >&2
        exit 1
    fi
    echo "Creating virtual environment in $VENV ..." >&2
    rm -rf "$VENV"
    "$_bootstrap_python" -m venv "$VENV"
    rm -f "$_stamp"
fi

_want_stamp="$(cd "$REPO_ROOT" && "$VENV_PY" - <<'PY'
import hashlib, os
h = hashlib.sha256(os.getcwd().encode())
for name in ("setup.cfg", "setup.py"):
    h.update(b"\0" + name.encode() + b"\0")
    if os.path.exists(name):
        with open(name, "rb") as f:
            h.update(f.read())
print(h.hexdigest())
PY
)"
if [[ ! -f "$_stamp" || "$(cat "$_stamp")" != "$_want_stamp" ]]; then
    echo "Installing logeer and its dependencies into .venv (setup.cfg changed or first run) ..." >&2
    (cd "$REPO_ROOT" && "$VENV_PY" -m pip install --quiet --disable-pip-version-check -e ".[dev]")
    echo "$_want_stamp" >"$_stamp"
fi
unset _bootstrap_python _stamp _want_stamp

export PATH="$VENV/bin:$PATH"
export VIRTUAL_ENV="$VENV"
