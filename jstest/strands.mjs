// The Strands Agents SDK's "first agent" example, call for call, against
// the endpoint the environment names (AWS_ENDPOINT_URL_BEDROCK_RUNTIME):
// an Agent with no model (the SDK's default BedrockModel and model ID), an
// Agent with a BedrockModel and no tools, one with the get_weather tool,
// and a streamed invocation with the tool. Source: strands-agents/
// sdk-typescript at commit 00e04880c30c5ce1f76e40c164d32ce52f7b6dca,
// strands-ts/examples/first-agent/src/index.ts (TypeScript; here as
// JavaScript, with what it logs collected for checking). Prints one JSON
// line per check; exits non-zero on any failure.
import { Agent, BedrockModel, tool } from "@strands-agents/sdk";
import { z } from "zod";

let failed = 0;
async function check(name, fn) {
  try {
    const detail = await fn();
    console.log(JSON.stringify({ check: name, ok: true, detail }));
  } catch (err) {
    failed++;
    console.log(JSON.stringify({ check: name, ok: false, error: `${err.name}: ${err.message}` }));
  }
}
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

const toolInputs = [];
const weatherTool = tool({
  name: "get_weather",
  description: "Get the current weather for a specific location.",
  inputSchema: z.object({
    location: z.string().describe("The city and state, e.g., San Francisco, CA"),
  }),
  callback: (input) => {
    toolInputs.push(input);
    const fakeWeatherData = { temperature: "72°F", conditions: "sunny" };
    return `The weather in ${input.location} is ${fakeWeatherData.temperature} and ${fakeWeatherData.conditions}.`;
  },
});

function textOf(message) {
  return (message?.content ?? []).filter((b) => typeof b.text === "string").map((b) => b.text).join("");
}

// runInvoke: `const result = await agent.invoke(prompt)`, then its stopReason.
async function runInvoke(agent, prompt) {
  const result = await agent.invoke(prompt);
  return { stopReason: result.stopReason, text: textOf(result.lastMessage) };
}

const model = new BedrockModel();
const defaultAgent = new Agent();
const agentWithoutTools = new Agent({ model });
const agentWithTools = new Agent({
  systemPrompt:
    "You are a helpful assistant that provides weather information using the get_weather tool. Always Inform the user if you run tools.",
  model,
  tools: [weatherTool],
});

await check("default-agent", async () => {
  const r = await runInvoke(defaultAgent, "Hello!");
  assert(r.stopReason === "endTurn" && r.text.trim() !== "", `stopReason ${r.stopReason}, text ${JSON.stringify(r.text)}`);
  return r;
});
await check("agent-without-tools", async () => {
  const r = await runInvoke(agentWithoutTools, "Hello!");
  assert(r.stopReason === "endTurn" && r.text.trim() !== "", `stopReason ${r.stopReason}, text ${JSON.stringify(r.text)}`);
  return r;
});
await check("agent-with-tools", async () => {
  toolInputs.length = 0;
  const r = await runInvoke(agentWithTools, "What is the weather in Toronto? Use the weather tool.");
  assert(toolInputs.length === 1 && toolInputs[0].location === "Toronto", `get_weather inputs ${JSON.stringify(toolInputs)}`);
  assert(r.stopReason === "endTurn" && r.text.includes("72°F") && !r.text.includes(".."), `stopReason ${r.stopReason}, text ${JSON.stringify(r.text)}`);
  return r;
});

// runStreaming: `for await (const event of agent.stream(prompt))`, logging each event's type.
await check("streaming-agent-with-tools", async () => {
  toolInputs.length = 0;
  const streamingAgentWithTools = new Agent({
    systemPrompt: "You are a helpful assistant that provides weather information using the get_weather tool.",
    model,
    tools: [weatherTool],
    printer: false,
  });
  const types = [];
  for await (const event of streamingAgentWithTools.stream("What is the weather in Seattle?")) {
    types.push(event.type);
  }
  assert(toolInputs.length === 1 && toolInputs[0].location === "Seattle", `get_weather inputs ${JSON.stringify(toolInputs)}`);
  for (const want of ["modelStreamUpdateEvent", "beforeToolCallEvent", "afterToolCallEvent", "agentResultEvent"]) {
    assert(types.includes(want), `no ${want} among ${JSON.stringify([...new Set(types)])}`);
  }
  return { events: types.length };
});

process.exit(failed ? 1 : 0);
