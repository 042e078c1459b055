// The seeds' weather-tool round trip with the official JavaScript SDK
// against the endpoint in AWS_ENDPOINT_URL_BEDROCK_RUNTIME: the model calls
// Weather_Tool with the city's coordinates, the tool's JSON goes back, the
// model answers from it. Also the seed's mistake (the toolResult turn
// appended without the assistant's toolUse message), which must fail with
// a ValidationException saying how to fix it, and the same round trip
// streamed. Prints one JSON line per check; exits non-zero on any failure.
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  ValidationException,
} from "@aws-sdk/client-bedrock-runtime";

const client = new BedrockRuntimeClient({
  region: "us-east-1",
  endpoint: process.env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME,
  maxAttempts: 1,
});
const modelId = "anthropic.claude-3-sonnet-20240229-v1:0";
const system = [{ text: "你是一个天气助手,专门使用Weather_Tool查询天气信息。根据用户提供的位置名称推断经纬度坐标,使用工具获取天气数据。" }];
const toolConfig = {
  tools: [{
    toolSpec: {
      name: "Weather_Tool",
      description: "获取指定位置的当前天气信息",
      inputSchema: {
        json: {
          type: "object",
          properties: {
            latitude: { type: "number", description: "纬度" },
            longitude: { type: "number", description: "经度" },
          },
          required: ["latitude", "longitude"],
        },
      },
    },
  }],
};

// Stands in for the seed's open-meteo call: same shape, no network.
const getWeatherData = (latitude, longitude) => ({
  latitude, longitude,
  current: { temperature_2m: 3.4, wind_speed_10m: 11.2, relative_humidity_2m: 41 },
});

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

// runConversation follows the seed; fixed appends the assistant message
// before the tool results, as Bedrock requires.
async function runConversation(userMessage, fixed) {
  const conversation = [{ role: "user", content: [{ text: userMessage }] }];
  const response = await client.send(new ConverseCommand({ modelId, messages: conversation, system, toolConfig }));
  assert(response.stopReason === "tool_use", `stopReason ${response.stopReason}`);
  const toolResults = [];
  const calls = [];
  for (const content of response.output.message.content) {
    if (content.toolUse && content.toolUse.name === "Weather_Tool") {
      const { latitude, longitude } = content.toolUse.input;
      calls.push({ latitude, longitude });
      toolResults.push({
        toolResult: { toolUseId: content.toolUse.toolUseId, content: [{ json: getWeatherData(latitude, longitude) }] },
      });
    }
  }
  if (fixed) conversation.push(response.output.message);
  conversation.push({ role: "user", content: toolResults });
  const final = await client.send(new ConverseCommand({ modelId, messages: conversation, system, toolConfig }));
  return { calls, text: final.output.message.content[0].text, stopReason: final.stopReason };
}

await check("weather-round-trip", async () => {
  const { calls, text, stopReason } = await runConversation("查询北京现在的天气情况", true);
  assert(calls.length === 1 && calls[0].latitude === 39.9042 && calls[0].longitude === 116.4074,
    `Weather_Tool inputs ${JSON.stringify(calls)}`);
  assert(stopReason === "end_turn", `final stopReason ${stopReason}`);
  assert(text.includes("Weather_Tool returned") && text.includes('"temperature_2m":3.4'), `final answer ${text}`);
  return { calls };
});

await check("weather-verbatim-seed-rejected", async () => {
  try {
    await runConversation("查询北京现在的天气情况", false);
  } catch (err) {
    assert(err instanceof ValidationException, `got ${err.name}: ${err.message}`);
    assert(err.message.includes("append the assistant message that holds the toolUse blocks"), err.message);
    return { message: err.message };
  }
  throw new Error("a toolResult turn without the assistant's toolUse message was accepted");
});

await check("weather-streamed-tool-call", async () => {
  const out = await client.send(new ConverseStreamCommand({
    modelId, system, toolConfig, messages: [{ role: "user", content: [{ text: "What's the weather in Paris?" }] }],
  }));
  let name = "", id = "", input = "", stop = "";
  for await (const ev of out.stream) {
    if (ev.contentBlockStart) ({ name, toolUseId: id } = ev.contentBlockStart.start.toolUse);
    // Block 0 is the text Claude writes before its tool call.
    if (ev.contentBlockDelta?.delta.toolUse) input += ev.contentBlockDelta.delta.toolUse.input;
    if (ev.messageStop) stop = ev.messageStop.stopReason;
  }
  const parsed = JSON.parse(input);
  assert(name === "Weather_Tool" && id.startsWith("tooluse_") && stop === "tool_use", `${name} ${id} ${stop}`);
  assert(parsed.latitude === 48.8566 && parsed.longitude === 2.3522, `input ${input}`);
  return { id, input: parsed };
});

process.exit(failed ? 1 : 0);
