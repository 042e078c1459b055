// Runs the authentication cases given as JSON in process.argv[2] against
// AWS_ENDPOINT_URL_BEDROCK_RUNTIME with the official SDK. Each case:
// {name, accessKeyId?, secretAccessKey?, bearer?, clockOffsetMs?, model,
// expect: "ok" | exception name}. A bearer case sets AWS_BEARER_TOKEN_BEDROCK,
// which is how users switch the SDK to Bedrock API keys. Prints one JSON line
// per case; exits non-zero when any case differs from its expectation.
import { BedrockRuntimeClient, ConverseCommand } from "@aws-sdk/client-bedrock-runtime";

const cases = JSON.parse(process.argv[2]);
const endpoint = process.env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME;
let failed = 0;
for (const c of cases) {
  if (c.bearer) process.env.AWS_BEARER_TOKEN_BEDROCK = c.bearer;
  else delete process.env.AWS_BEARER_TOKEN_BEDROCK;
  const config = { region: "us-east-1", endpoint, maxAttempts: 1 };
  if (c.accessKeyId) config.credentials = { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey };
  if (c.clockOffsetMs) config.systemClockOffset = c.clockOffsetMs;
  const client = new BedrockRuntimeClient(config);
  let got;
  try {
    await client.send(new ConverseCommand({ modelId: c.model, messages: [{ role: "user", content: [{ text: "Hello" }] }] }));
    got = "ok";
  } catch (err) {
    got = err.name;
    c.message = err.message;
  }
  const ok = got === c.expect;
  if (!ok) failed++;
  console.log(JSON.stringify({ case: c.name, ok, got, expect: c.expect, message: c.message }));
  client.destroy();
}
process.exit(failed ? 1 : 0);
