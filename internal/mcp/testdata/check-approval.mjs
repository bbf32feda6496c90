// The official TypeScript SDK's client calls a tool whose call needs
// approval. It declares URL-mode elicitation; when the server asks it to
// open the approval page, it hands the URL to the test (PLUGBOARD_HOOK),
// which decides in the dashboard, then accepts. It calls the tool again
// with the same idempotency key and prints both results as JSON.
//
// Environment: PLUGBOARD_MCP_URL, PLUGBOARD_AGENT_KEY, PLUGBOARD_TOOL,
// PLUGBOARD_TOOL_ARGS (JSON), PLUGBOARD_IDEMPOTENCY_KEY, PLUGBOARD_HOOK.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";

const env = process.env;
const transport = new StreamableHTTPClientTransport(new URL(env.PLUGBOARD_MCP_URL), {
  requestInit: { headers: { Authorization: `Bearer ${env.PLUGBOARD_AGENT_KEY}` } },
});
const client = new Client(
  { name: "plugboard-typescript-approval", version: "1.0.0" },
  { capabilities: { elicitation: { url: {} } } },
);
const elicitations = [];
client.setRequestHandler(ElicitRequestSchema, async (request) => {
  elicitations.push(request.params);
  const answer = await fetch(`${env.PLUGBOARD_HOOK}?url=${encodeURIComponent(request.params.url ?? "")}`);
  return { action: answer.ok ? "accept" : "decline" };
});
await client.connect(transport);

const call = {
  name: env.PLUGBOARD_TOOL,
  arguments: JSON.parse(env.PLUGBOARD_TOOL_ARGS),
  _meta: { idempotency_key: env.PLUGBOARD_IDEMPOTENCY_KEY },
};
const first = await client.callTool(call, undefined, { timeout: 120000 });
const repeat = await client.callTool(call);

console.log(JSON.stringify({ protocol: transport.protocolVersion, elicitations, first, repeat }));
await client.close();
