// AWS's published Converse examples for the JavaScript SDK, reproduced
// call for call and read for read, against the endpoint the environment
// names (AWS_ENDPOINT_URL_BEDROCK_RUNTIME: the examples build their client
// with a region only, as here). Source: awsdocs/aws-doc-sdk-examples at
// commit 7d1e1237789cbf5033a7c22d917d17c64de1aaaa,
// javascriptv3/example_code/bedrock-runtime/:
//   models/{anthropicClaude,cohereCommand,metaLlama,mistral}/converse.js and
//   converseStream.js, models/amazonNovaText/converse.js, models/amazonNovaText/converseStream.js,
//   models/amazonNovaText/converse-with-tool.js,
//   scenarios/converse_tool_scenario/converse-tool-scenario.js (+ tool_config.json,
//   questions.json).
// Their code is not copied: what they print is collected instead, and the
// scenario's open-meteo call is replaced by a fixed answer of the same
// shape (no network). Prints one JSON line per check; exits non-zero on any
// failure.
import {
  BedrockRuntimeClient,
  ConversationRole,
  ConverseCommand,
  ConverseStreamCommand,
} from "@aws-sdk/client-bedrock-runtime";

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

const helloWorldLine = "Describe the purpose of a 'hello world' program in one line.";

// models/anthropicClaude/converse.js and models/amazonNovaText/converse.js:
// one user message, an inference configuration, content[0].text printed.
async function converseExample(modelId, inferenceConfig, role) {
  const client = new BedrockRuntimeClient({ region: "us-east-1" });
  const conversation = [{ role, content: [{ text: helloWorldLine }] }];
  const response = await client.send(new ConverseCommand({ modelId, messages: conversation, inferenceConfig }));
  const responseText = response.output.message.content[0].text;
  assert(typeof responseText === "string" && responseText.trim() !== "", `content[0].text is ${JSON.stringify(responseText)}`);
  assert(!responseText.trim().includes("\n"), `asked for one line, got ${JSON.stringify(responseText)}`);
  assert(/hello.world/i.test(responseText), `the answer is not about a 'hello world' program: ${JSON.stringify(responseText)}`);
  return { printed: responseText };
}

// The Claude, Cohere, Llama and Mistral examples differ only in their model.
const sameShape = {
  claude: "anthropic.claude-3-haiku-20240307-v1:0", // models/anthropicClaude
  cohere: "cohere.command-r-v1:0", // models/cohereCommand
  llama: "meta.llama3-8b-instruct-v1:0", // models/metaLlama
  mistral: "mistral.mistral-large-2402-v1:0", // models/mistral
};
for (const [name, modelId] of Object.entries(sameShape)) {
  await check(`${name}-converse`, () => converseExample(modelId, { maxTokens: 512, temperature: 0.5, topP: 0.9 }, "user"));
}
await check("nova-converse", () =>
  converseExample("amazon.nova-lite-v1:0", { maxTokens: 500, temperature: 0.5 }, ConversationRole.USER));

// models/anthropicClaude/converseStream.js writes
// item.contentBlockDelta.delta?.text for every contentBlockDelta, which
// throws on a delta without text; models/amazonNovaText/converseStream.js
// writes `delta?.text || ""`.
async function converseStreamExample(modelId, inputText, inferenceConfig, strict) {
  const client = new BedrockRuntimeClient({ region: "us-east-1" });
  const command = new ConverseStreamCommand({
    modelId, messages: [{ role: ConversationRole.USER, content: [{ text: inputText }] }], inferenceConfig,
  });
  const response = await client.send(command);
  let written = "";
  for await (const item of response.stream) {
    if (item.contentBlockDelta) {
      const text = strict ? item.contentBlockDelta.delta?.text : item.contentBlockDelta.delta?.text || "";
      // process.stdout.write(undefined) throws ERR_INVALID_ARG_TYPE.
      assert(typeof text === "string", `a contentBlockDelta without text: ${JSON.stringify(item.contentBlockDelta)}`);
      written += text;
    }
  }
  assert(/hello.world/i.test(written), `the answer is not about a 'hello world' program: ${JSON.stringify(written)}`);
  return { printed: written };
}

for (const [name, modelId] of Object.entries(sameShape)) {
  await check(`${name}-converse-stream`, () => converseStreamExample(modelId, helloWorldLine, { maxTokens: 512, temperature: 0.5, topP: 0.9 }, true));
}
await check("nova-converse-stream", () =>
  converseStreamExample("amazon.nova-lite-v1:0", "Describe the purpose of a 'hello world' program in one paragraph", { maxTokens: 500, temperature: 0.5 }, false));

// models/amazonNovaText/converse-with-tool.js: the top_song tool.
await check("nova-converse-with-tool", async () => {
  const printed = [];
  const client = new BedrockRuntimeClient({ region: "us-east-1" });
  const modelId = "amazon.nova-lite-v1:0";
  const system_prompt = [{
    text:
      "You are a music expert that provides the most popular song played on a radio station, using only the\n" +
      "the top_song tool, which he call sign for the radio station for which you want the most popular song. " +
      "Example calls signs are WZPZ and WKRP. \n" +
      "- Only use the top_song tool. Never guess or make up information. \n" +
      "- If the tool errors, apologize, explain weather is unavailable, and suggest other options.\n" +
      "- Only respond to queries about the most popular song played on a radio station\n" +
      "Remind off-topic users of your purpose. \n" +
      "- Never claim to search online, access external data, or use tools besides the top_song tool.\n",
  }];
  const message = [{ role: "user", content: [{ text: "What is the most popular song on WZPZ?" }] }];
  const tool_config = {
    tools: [{
      toolSpec: {
        name: "top_song",
        description: "Get the most popular song played on a radio station.",
        inputSchema: {
          json: {
            type: "object",
            properties: {
              sign: {
                type: "string",
                description: "The call sign for the radio station for which you want the most popular song. Example calls signs are WZPZ and WKRP.",
              },
            },
            required: ["sign"],
          },
        },
      },
    }],
  };
  // get_top_song knows WZPZ only; any other sign makes the example fail
  // (top_song.song of undefined), which it swallows silently.
  const get_top_song = async (call_sign) =>
    call_sign === "WZPZ" ? { song: "Elemental Hotel", artist: "8 Storey Hike" } : undefined;
  const signs = [];
  async function send(messages) {
    const response = await client.send(new ConverseCommand({ modelId, messages, system: system_prompt, toolConfig: tool_config }));
    if (response.stopReason === "tool_use") {
      const output_message = response.output.message;
      messages.push(output_message);
      const toolRequests = output_message.content;
      const toolMessage = toolRequests[0].text;
      printed.push(toolMessage.replace(/<[^>]+>/g, "")); // a TypeError when content[0] is not text
      const toolResultFinal = [];
      for (const toolRequest of toolRequests) {
        if (Object.hasOwn(toolRequest, "toolUse")) {
          const toolUse = toolRequest.toolUse;
          signs.push(toolUse.input.sign);
          printed.push(`Requesting tool ${toolUse.name}, Tool use id ${toolUse.toolUseId}`);
          if (toolUse.name === "top_song") {
            const top_song = await get_top_song(toolUse.input.sign);
            toolResultFinal.push({
              toolResult: { toolUseId: toolUse.toolUseId, content: [{ json: { song: top_song.song, artist: top_song.artist } }] },
            });
          }
        }
      }
      messages.push({ role: "user", content: toolResultFinal });
      await send(messages);
    }
    if (response.stopReason === "end_turn") {
      const finalMessage = response.output.message.content[0].text;
      printed.push(finalMessage.replace(/<[^>]+>/g));
    }
  }
  await send(message);
  assert(signs.length === 1 && signs[0] === "WZPZ", `top_song called with ${JSON.stringify(signs)}, want WZPZ`);
  assert(printed.length === 3 && printed[0].trim() !== "" && printed[1].startsWith("Requesting tool top_song, Tool use id "),
    `printed ${JSON.stringify(printed)}`);
  assert(printed[2].includes("Elemental Hotel"), `final answer ${JSON.stringify(printed[2])} ignores the tool's result`);
  return { printed };
});

// scenarios/converse_tool_scenario/converse-tool-scenario.js: the weather
// assistant, with its system prompt, tool_config.json and the four
// questions of questions.json, each asked in a new conversation.
await check("converse-tool-scenario", async () => {
  const systemPrompt = [{
    text:
      "You are a weather assistant that provides current weather data for user-specified locations using only\n" +
      "the Weather_Tool, which expects latitude and longitude. Infer the coordinates from the location yourself.\n" +
      "If the user provides coordinates, infer the approximate location and refer to it in your response.\n" +
      "To use the tool, you strictly apply the provided tool specification.\n" +
      "If the user specifies a state, country, or region, infer the locations of cities within that state.\n" +
      "\n" +
      "- Explain your step-by-step process, and give brief updates before each step.\n" +
      "- Only use the Weather_Tool for data. Never guess or make up information. \n" +
      "- Repeat the tool use for subsequent requests if necessary.\n" +
      "- If the tool errors, apologize, explain weather is unavailable, and suggest other options.\n" +
      "- Report temperatures in °C (°F) and wind in km/h (mph). Keep weather reports concise. Sparingly use\n" +
      "  emojis where appropriate.\n" +
      "- Only respond to weather queries. Remind off-topic users of your purpose. \n" +
      "- Never claim to search online, access external data, or use tools besides Weather_Tool.\n" +
      "- Complete the entire process until you have all required data before sending the complete response.",
  }];
  const tools_config = {
    tools: [{
      toolSpec: {
        name: "Weather_Tool",
        description: "Get the current weather for a given location, based on its WGS84 coordinates.",
        inputSchema: {
          json: {
            type: "object",
            properties: {
              latitude: { type: "string", description: "Geographical WGS84 latitude of the location." },
              longitude: { type: "string", description: "Geographical WGS84 longitude of the location." },
            },
            required: ["latitude", "longitude"],
          },
        },
      },
    }],
  };
  const questions = [
    "What's the weather like in Seattle right now?",
    "What's the best kind of cat?",
    "Where is the warmest city in Washington State right now?",
    "What's the warmest city in California right now?",
  ];
  // Stands in for the open-meteo call: its response's shape, no network.
  const callWeatherTool = async (longitude, latitude) => ({
    latitude: Number(latitude), longitude: Number(longitude),
    current_weather: { temperature: 11.3, windspeed: 7.9, winddirection: 250, weathercode: 3 },
  });
  const printed = [];
  const calls = [];
  async function SendConversationtoBedrock(messages) {
    const client = new BedrockRuntimeClient({ region: "us-east-1" });
    return client.send(new ConverseCommand({ modelId: "amazon.nova-lite-v1:0", messages, system: systemPrompt, toolConfig: tools_config }));
  }
  async function ProcessModelResponseAsync(response, messages, max_recursions) {
    if (max_recursions <= 0) {
      await HandleToolUseAsync(response, messages);
    }
    if (response.stopReason === "tool_use") {
      await HandleToolUseAsync(response, messages, max_recursions - 1);
    }
    if (response.stopReason === "end_turn") {
      printed.push(response.output.message.content[0].text.replace(/<[^>]+>/g, ""));
    }
  }
  // The original catches and prints any error here ("An error occurred.");
  // rethrown, so that such a failure fails the check.
  async function HandleToolUseAsync(response, messages, max_recursions) {
    assert(calls.length < 20, "the tool loop does not end");
    const toolResultFinal = [];
    const output_message = response.output.message;
    messages.push(output_message);
    const toolRequests = output_message.content;
    printed.push(toolRequests[0].text.replace(/<[^>]+>/g, ""));
    for (const toolRequest of toolRequests) {
      if (Object.hasOwn(toolRequest, "toolUse")) {
        const toolUse = toolRequest.toolUse;
        const { latitude, longitude } = toolUse.input;
        calls.push({ latitude, longitude });
        printed.push(`Requesting tool ${toolUse.name}, Tool use id ${toolUse.toolUseId}`);
        if (toolUse.name === "Weather_Tool") {
          const current_weather = await callWeatherTool(longitude, latitude);
          toolResultFinal.push({ toolResult: { toolUseId: toolUse.toolUseId, content: [{ json: current_weather }] } });
        }
      }
    }
    messages.push({ role: "user", content: toolResultFinal });
    await ProcessModelResponseAsync(await SendConversationtoBedrock(messages), messages);
  }
  const answers = [];
  for (const userMessage of questions) {
    const before = printed.length;
    const messages = [{ role: "user", content: [{ text: userMessage }] }];
    await ProcessModelResponseAsync(await SendConversationtoBedrock(messages), messages, 5);
    answers.push(printed.slice(before));
  }
  assert(calls.length >= 1 && calls[0].latitude === "47.6062" && calls[0].longitude === "-122.3321",
    `Seattle's Weather_Tool call ${JSON.stringify(calls[0])}`);
  for (const [i, a] of answers.entries()) {
    assert(a.length >= 1 && a.every((s) => typeof s === "string" && s.trim() !== ""), `question ${i + 1} printed ${JSON.stringify(a)}`);
  }
  assert(answers[1].length === 1, `the cat question called a tool: ${JSON.stringify(answers[1])}`);
  for (const i of [0, 2, 3]) {
    assert(answers[i].length === 3 && answers[i][1].startsWith("Requesting tool Weather_Tool"), `question ${i + 1} printed ${JSON.stringify(answers[i])}`);
    for (const c of calls) {
      assert(!Number.isNaN(Number(c.latitude)) && !Number.isNaN(Number(c.longitude)), `coordinates ${JSON.stringify(c)} are not numbers`);
    }
  }
  return { calls, answers };
});

process.exit(failed ? 1 : 0);
