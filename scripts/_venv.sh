# Shared by scripts/run and scripts/test: create .venv and install the project, at the versions
# requirements.lock pins (scripts/lock), when pyproject.toml or the lock changed since the last
# install.
ensure_venv() {
  local extra="${1:-}"
  local python="${PYTHON:-}"
  if [ -z "$python" ]; then
    for candidate in python3.11 python3.12 python3.13 python3; do
      if command -v "$candidate" >/dev/null 2>&1; then python="$candidate"; break; fi
    done
  fi
  local too_old='import sys; sys.exit(sys.version_info < (3, 11))'
  if [ -x .venv/bin/python ] && ! .venv/bin/python -c "$too_old"; then
    echo "The .venv here was made with a Python older than 3.11: remove it (rm -rf .venv) and" \
      "run this again." >&2
    exit 1
  fi
  if [ ! -x .venv/bin/python ]; then
    if [ -z "$python" ] || ! "$python" -c "$too_old" 2>/dev/null; then
      echo "Python 3.11 or newer is needed: install it (python3.11 on PATH), or name one with" \
        "PYTHON=/path/to/python. On Debian or Ubuntu, python3-venv is needed too." >&2
      exit 1
    fi
    "$python" -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
  fi
  local target="."
  [ -n "$extra" ] && target=".[${extra}]"
  local stamp=".venv/.installed-${extra:-base}"
  local digest
  local lock=()
  [ -f requirements.lock ] && lock=(--constraint requirements.lock)
  digest="$({ cat pyproject.toml; [ -f requirements.lock ] && cat requirements.lock; true; } | .venv/bin/python -c 'import hashlib,sys;print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
    .venv/bin/python -m pip install --quiet "${lock[@]}" "$target"
    echo "$digest" > "$stamp"
  fi
  export PATH="$PWD/.venv/bin:$PATH"
}
