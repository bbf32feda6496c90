// A second MCP client for the mcp package tests: the official TypeScript
// SDK connects to a live Plugboard server, lists every page of the agent's
// tools, calls one twice with the same idempotency key and once without
// arguments, and prints what it saw as JSON.
//
// Environment: PLUGBOARD_MCP_URL, PLUGBOARD_AGENT_KEY, PLUGBOARD_TOOL,
// PLUGBOARD_TOOL_ARGS (JSON) and PLUGBOARD_IDEMPOTENCY_KEY.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const env = process.env;
const transport = new StreamableHTTPClientTransport(new URL(env.PLUGBOARD_MCP_URL), {
  requestInit: { headers: { Authorization: `Bearer ${env.PLUGBOARD_AGENT_KEY}` } },
});
const client = new Client({ name: "plugboard-typescript-check", version: "1.0.0" });
await client.connect(transport);

// The SDK validates each page as a whole: one tool it refuses fails it.
const tools = [];
let pages = 0;
let cursor;
do {
  const page = await client.listTools(cursor ? { cursor } : {});
  tools.push(...page.tools);
  pages++;
  cursor = page.nextCursor;
} while (cursor);

const call = {
  name: env.PLUGBOARD_TOOL,
  arguments: JSON.parse(env.PLUGBOARD_TOOL_ARGS),
  _meta: { idempotency_key: env.PLUGBOARD_IDEMPOTENCY_KEY },
};
const first = await client.callTool(call);
const repeat = await client.callTool(call);
const missing = await client.callTool({ name: env.PLUGBOARD_TOOL, arguments: {} });

console.log(JSON.stringify({
  server: client.getServerVersion(),
  protocol: transport.protocolVersion,
  pages,
  tools,
  first,
  repeat,
  missing,
}));
await client.close();
