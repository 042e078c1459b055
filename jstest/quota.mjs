// Checks the JavaScript SDK's standard retry strategy against a converse
// quota of one request per window: the second call is throttled once, the
// SDK waits the x-amz-retry-after the server sent (at least process.argv[2]
// milliseconds: the SDK counts from when it read the response) and the
// retry succeeds; a client without retries sees a
// ThrottlingException. Prints one JSON line; exits non-zero on a mismatch.
import { BedrockRuntimeClient, ConverseCommand } from "@aws-sdk/client-bedrock-runtime";

const minDelay = Number(process.argv[2]);
const endpoint = process.env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME;
const input = { modelId: "anthropic.claude-3-haiku-20240307-v1:0", messages: [{ role: "user", content: [{ text: "Hello" }] }] };

const client = new BedrockRuntimeClient({ region: "us-east-1", endpoint }); // standard retries, 3 attempts
const first = await client.send(new ConverseCommand(input));
const second = await client.send(new ConverseCommand(input));

const once = new BedrockRuntimeClient({ region: "us-east-1", endpoint, maxAttempts: 1 });
let third = "ok";
try {
  await once.send(new ConverseCommand(input));
} catch (err) {
  third = `${err.name} (${err.$metadata?.httpStatusCode}): ${err.message}`;
}

const ok =
  first.$metadata.attempts === 1 &&
  second.$metadata.attempts === 2 &&
  second.$metadata.totalRetryDelay >= minDelay &&
  third.startsWith("ThrottlingException (429)");
console.log(JSON.stringify({ ok, first: first.$metadata, second: second.$metadata, third }));
client.destroy();
once.destroy();
process.exit(ok ? 0 : 1);
