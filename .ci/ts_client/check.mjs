// node check.mjs MCP_URL KEY
//
// The official TypeScript MCP SDK client (@modelcontextprotocol/sdk 1.x, what Claude Code and
// Cursor build on) against minapi: connects over Streamable HTTP with the x-api-key header, lists
// the tools, calls tools that succeed (their structuredContent is validated by the SDK against each
// tool's outputSchema) and tools that fail. A failure must come back as an isError result carrying
// the minapi error code, never as a thrown exception (the SDK throws -32602 when an error result
// carries structuredContent that does not match the outputSchema).
// Prints PASS/FAIL lines; exits 1 if anything failed.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [url, key] = process.argv.slice(2);
if (!url || !key) {
  console.error("usage: node check.mjs MCP_URL KEY");
  process.exit(2);
}

let failed = 0;
const pass = (what) => console.log(`PASS: ${what}`);
const fail = (what) => { failed += 1; console.log(`FAIL: ${what}`); };

function errorCode(result) {
  try {
    return JSON.parse(result.content.find((c) => c.type === "text").text).error.code;
  } catch {
    return undefined;
  }
}

async function expectSuccess(client, name, args) {
  try {
    const result = await client.callTool({ name, arguments: args });
    if (result.isError) fail(`${name}: unexpected isError result ${JSON.stringify(result.content)}`);
    else if (!result.structuredContent) fail(`${name}: no structuredContent`);
    else { pass(`${name} succeeds (structuredContent matches its outputSchema)`); return result.structuredContent; }
  } catch (err) {
    fail(`${name} threw ${err.name} ${err.code ?? ""}: ${err.message}`);
  }
  return undefined;
}

async function expectError(client, name, args, code) {
  try {
    const result = await client.callTool({ name, arguments: args });
    const got = errorCode(result);
    if (result.isError === true && got === code && result.structuredContent === undefined) {
      pass(`${name} fails as an isError result with ${code}`);
    } else {
      fail(`${name}: expected an isError result with ${code}, got ${JSON.stringify(result)}`);
    }
  } catch (err) {
    fail(`${name} threw instead of returning an isError result: ${err.name} ${err.code ?? ""}: ${err.message}`);
  }
}

const transport = new StreamableHTTPClientTransport(new URL(url), {
  requestInit: { headers: { "x-api-key": key } },
});
const client = new Client({ name: "minapi-ci-ts-sdk", version: "1.0.0" });
try {
  await client.connect(transport);
  const server = client.getServerVersion();
  pass(`connected (server ${server?.name} ${server?.version}, protocol ${transport.protocolVersion ?? "?"})`);
  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name);
  for (const needed of ["help", "endpoints_get", "endpoints_create"]) {
    if (names.includes(needed)) pass(`tools/list has ${needed}`);
    else fail(`tools/list lacks ${needed} (${names.join(", ")})`);
  }
  await expectSuccess(client, "help", {});
  const name = `TS SDK ${Date.now()}`;
  const created = await expectSuccess(client, "endpoints_create",
    { name, fields: [{ name: "email", type: "string", required: true }] });
  if (created) await expectSuccess(client, "endpoints_get", { endpoint: name });
  await expectError(client, "endpoints_get", { endpoint: "no-such-endpoint-anywhere" }, "endpoint_not_found");
  await expectError(client, "endpoints_create",
    { name: `${name} bad`, fields: [{ name: "age", type: "no-such-type" }] }, "validation_failed");
  await expectError(client, "endpoints_create", { name: 42, fields: "not a list" }, "validation_failed");
} catch (err) {
  fail(`session failed: ${err.name} ${err.code ?? ""}: ${err.message}`);
} finally {
  await client.close().catch(() => {});
}
console.log(`ts-sdk: ${failed ? `${failed} failed` : "all passed"}`);
process.exit(failed ? 1 : 0);
