// InvokeModel and InvokeModelWithResponseStream with the official SDK
// (HTTP/2, h2c against http://): an Anthropic Messages body, its stream
// of chunk events, and the embedding families. One JSON line per check;
// exits non-zero when any check fails.
import {
  BedrockRuntimeClient,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ValidationException,
} from "@aws-sdk/client-bedrock-runtime";

const endpoint = process.env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME;
const client = new BedrockRuntimeClient({ region: "us-east-1", endpoint, maxAttempts: 1 });
const modelId = "anthropic.claude-3-haiku-20240307-v1:0";
const messages = (text) => JSON.stringify({
  anthropic_version: "bedrock-2023-05-31",
  max_tokens: 300,
  messages: [{ role: "user", content: [{ type: "text", text }] }],
});
const decode = (bytes) => JSON.parse(new TextDecoder().decode(bytes));

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

await check("invoke-messages", async () => {
  const out = await client.send(new InvokeModelCommand({
    modelId, contentType: "application/json", accept: "application/json", body: messages("Explain event streams"),
  }));
  const body = decode(out.body);
  assert(out.contentType === "application/json", `contentType ${out.contentType}`);
  assert(body.type === "message" && body.role === "assistant", `body ${JSON.stringify(body)}`);
  assert(body.content[0].type === "text" && body.content[0].text.length > 0, "no text");
  assert(body.stop_reason === "end_turn", `stop_reason ${body.stop_reason}`);
  assert(body.usage.input_tokens > 0 && body.usage.output_tokens > 0, "no usage");
  return { usage: body.usage };
});

await check("invoke-stream-messages", async () => {
  const out = await client.send(new InvokeModelWithResponseStreamCommand({
    modelId, contentType: "application/json", body: messages("Explain event streams"),
  }));
  const types = [];
  let text = "";
  let metrics;
  for await (const ev of out.body) {
    assert(ev.chunk, `event ${Object.keys(ev)}`);
    const c = decode(ev.chunk.bytes);
    types.push(c.type);
    if (c.type === "content_block_delta") text += c.delta.text;
    if (c["amazon-bedrock-invocationMetrics"]) metrics = c["amazon-bedrock-invocationMetrics"];
  }
  assert(types[0] === "message_start" && types.at(-1) === "message_stop", `types ${types}`);
  assert(types.includes("message_delta"), "no message_delta");
  assert(text.length > 0, "no text");
  assert(metrics && metrics.inputTokenCount > 0 && metrics.outputTokenCount > 0, `metrics ${JSON.stringify(metrics)}`);
  return { chunks: types.length, metrics };
});

await check("invoke-validation", async () => {
  try {
    await client.send(new InvokeModelCommand({ modelId, body: JSON.stringify({ anthropic_version: "bedrock-2023-05-31", messages: [] }) }));
  } catch (err) {
    assert(err instanceof ValidationException, `${err.name}`);
    assert(err.message.includes("required key [max_tokens] not found"), err.message);
    return { message: err.message };
  }
  throw new Error("accepted a body without max_tokens");
});

await check("invoke-titan-v2", async () => {
  const out = await client.send(new InvokeModelCommand({
    modelId: "amazon.titan-embed-text-v2:0", contentType: "application/json", accept: "application/json",
    body: JSON.stringify({ inputText: "cat sat on the mat", dimensions: 512, normalize: true }),
  }));
  const body = decode(out.body);
  assert(body.embedding.length === 512, `length ${body.embedding.length}`);
  assert(body.inputTextTokenCount > 0, "no token count");
  assert(body.embeddingsByType.float.length === 512, "no embeddingsByType.float");
  return { tokens: body.inputTextTokenCount };
});

await check("invoke-cohere-v3", async () => {
  const out = await client.send(new InvokeModelCommand({
    modelId: "cohere.embed-english-v3", contentType: "application/json", accept: "*/*",
    body: JSON.stringify({ texts: ["cat sat on the mat", "a cat on a mat", "tax law"], input_type: "search_document" }),
  }));
  const body = decode(out.body);
  assert(body.response_type === "embeddings_floats" && body.embeddings.length === 3, JSON.stringify(Object.keys(body)));
  const cos = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0);
  const near = cos(body.embeddings[0], body.embeddings[1]), far = cos(body.embeddings[0], body.embeddings[2]);
  assert(near > far + 0.3, `near ${near} far ${far}`);
  return { near, far };
});

if (failed > 0) {
  process.exit(1);
}
