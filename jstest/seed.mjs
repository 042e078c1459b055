// Runs the seeds' JavaScript calls against the endpoint in
// AWS_ENDPOINT_URL_BEDROCK_RUNTIME with the official SDK, which speaks
// HTTP/2 (h2c against http://). Prints one JSON line per check and exits
// non-zero when any check fails. Credentials come from the environment.
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  CountTokensCommand,
  ValidationException,
} from "@aws-sdk/client-bedrock-runtime";

const endpoint = process.env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME;
const client = new BedrockRuntimeClient({ region: "us-east-1", endpoint, maxAttempts: 1 });
const modelId = "anthropic.claude-3-haiku-20240307-v1:0";
const arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0";
const user = (text) => ({ role: "user", content: [{ text }] });

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

await check("converse", async () => {
  const out = await client.send(new ConverseCommand({
    modelId,
    messages: [user("Implement quicksort in JavaScript")],
    inferenceConfig: { maxTokens: 1000, temperature: 0.2 },
  }));
  const text = out.output.message.content[0].text;
  assert(text.includes("quicksort"), `answer ignores the question: ${text}`);
  assert(out.stopReason === "end_turn", `stopReason ${out.stopReason}`);
  assert(out.usage.totalTokens === out.usage.inputTokens + out.usage.outputTokens, "usage does not add up");
  assert(/^[0-9a-f-]{36}$/.test(out.$metadata.requestId), `requestId ${out.$metadata.requestId}`);
  return { usage: out.usage };
});

await check("system-and-multi-turn", async () => {
  const out = await client.send(new ConverseCommand({
    modelId,
    system: [{ text: "You are terse." }],
    messages: [user("Hi"), { role: "assistant", content: [{ text: "Hello." }] }, user("Tell me about tides")],
  }));
  const text = out.output.message.content[0].text;
  // The system prompt asks for terseness: one sentence, about the last question.
  assert(text.includes("tides") && !text.includes(". "), text);
});

await check("max-tokens", async () => {
  const out = await client.send(new ConverseCommand({
    modelId, messages: [user("Tell me a long story")], inferenceConfig: { maxTokens: 5 },
  }));
  assert(out.stopReason === "max_tokens", `stopReason ${out.stopReason}`);
  assert(out.usage.outputTokens <= 5, `outputTokens ${out.usage.outputTokens}`);
});

await check("converse-stream", async () => {
  const out = await client.send(new ConverseStreamCommand({ modelId: arn, messages: [user("Write a haiku about rain")] }));
  const kinds = [];
  let text = "";
  let usage;
  for await (const ev of out.stream) {
    const kind = Object.keys(ev).find((k) => ev[k] !== undefined);
    if (kinds[kinds.length - 1] !== kind) kinds.push(kind);
    if (ev.contentBlockDelta) text += ev.contentBlockDelta.delta.text;
    if (ev.metadata) usage = ev.metadata.usage;
  }
  const want = ["messageStart", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata"];
  assert(JSON.stringify(kinds) === JSON.stringify(want), `event order ${JSON.stringify(kinds)}`);
  assert(text.includes("rain"), text);
  assert(usage && usage.outputTokens > 0, "no usage");
  return { kinds, usage };
});

await check("count-tokens", async () => {
  const messages = [user("How many tokens is this?")];
  const ct = await client.send(new CountTokensCommand({ modelId, input: { converse: { messages } } }));
  const out = await client.send(new ConverseCommand({ modelId, messages }));
  assert(ct.inputTokens === out.usage.inputTokens, `count ${ct.inputTokens} vs usage ${out.usage.inputTokens}`);
  return { inputTokens: ct.inputTokens };
});

await check("validation-error", async () => {
  try {
    await client.send(new ConverseCommand({ modelId, messages: [{ role: "assistant", content: [{ text: "I start" }] }] }));
  } catch (err) {
    assert(err instanceof ValidationException, `got ${err.name}`);
    assert(err.$metadata.httpStatusCode === 400, `status ${err.$metadata.httpStatusCode}`);
    return { message: err.message };
  }
  throw new Error("a conversation starting with an assistant message was accepted");
});

process.exit(failed ? 1 : 0);
