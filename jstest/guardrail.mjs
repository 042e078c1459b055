// Guardrails through the JavaScript SDK (HTTP/2): a blocked prompt on
// Converse with its trace, an answer masked in a sync ConverseStream, a
// blocked answer in an async one, and ApplyGuardrail on input and output.
// The server runs guardrail gr1 version 1 of internal/server's tests.
// Prints one JSON line per check; exits non-zero on a mismatch.
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  ApplyGuardrailCommand,
} from "@aws-sdk/client-bedrock-runtime";

const client = new BedrockRuntimeClient({ region: "us-east-1", endpoint: process.env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME, maxAttempts: 1 });
const modelId = "anthropic.claude-3-haiku-20240307-v1:0";
const user = (text) => [{ role: "user", content: [{ text }] }];
const guard = { guardrailIdentifier: "gr1", guardrailVersion: "1", trace: "enabled" };
let failed = false;
const check = (name, ok, detail) => {
  console.log(JSON.stringify({ name, ok, detail }));
  failed ||= !ok;
};

async function stream(prompt, mode) {
  const out = await client.send(new ConverseStreamCommand({ modelId, messages: user(prompt), guardrailConfig: { ...guard, streamProcessingMode: mode } }));
  let text = "", stop, trace;
  for await (const ev of out.stream) {
    if (ev.contentBlockDelta) text += ev.contentBlockDelta.delta.text;
    if (ev.messageStop) stop = ev.messageStop.stopReason;
    if (ev.metadata) trace = ev.metadata.trace?.guardrail;
  }
  return { text, stop, trace };
}

// Converse: a denied topic blocks the prompt.
const blocked = await client.send(new ConverseCommand({ modelId, messages: user("Which stocks should I buy now?"), guardrailConfig: guard }));
check("converse input blocked",
  blocked.stopReason === "guardrail_intervened" &&
  blocked.output.message.content[0].text === "Sorry, I cannot help with that request." &&
  blocked.trace.guardrail.inputAssessment.gr1.topicPolicy.topics[0].name === "Investment advice",
  { stopReason: blocked.stopReason, trace: blocked.trace?.guardrail?.actionReason });

// ConverseStream sync: the address is masked before it is sent.
const masked = await stream("Please say an email.", "sync");
check("stream sync masked",
  masked.text === "Write to {EMAIL} for details." && masked.stop === "guardrail_intervened" &&
  masked.trace.outputAssessments.gr1[0].sensitiveInformationPolicy.piiEntities[0].action === "ANONYMIZED",
  masked);

// ConverseStream async: profanity ends the answer with the blocked message.
const rude = await stream("Please say something rude.", "async");
check("stream async blocked", rude.text.endsWith("Sorry, the answer was withheld.") && rude.stop === "guardrail_intervened", rude);

// ApplyGuardrail on a prompt and on an answer.
const apply = (source, text) => client.send(new ApplyGuardrailCommand({
  guardrailIdentifier: "gr1", guardrailVersion: "1", source, content: [{ text: { text } }],
}));
const input = await apply("INPUT", "Tell me about blorp.");
check("apply input", input.action === "GUARDRAIL_INTERVENED" && input.outputs[0].text === "Sorry, I cannot help with that request." &&
  input.assessments[0].wordPolicy.customWords[0].match === "blorp", { action: input.action, outputs: input.outputs });
const output = await apply("OUTPUT", "Mail jane.doe@example.com about ORD-123456.");
check("apply output", output.action === "GUARDRAIL_INTERVENED" && output.actionReason === "Guardrail masked." &&
  output.outputs[0].text === "Mail {EMAIL} about {order_id}." && output.usage.sensitiveInformationPolicyUnits === 1,
  { outputs: output.outputs, usage: output.usage });
try {
  await client.send(new ApplyGuardrailCommand({ guardrailIdentifier: "nope", guardrailVersion: "1", source: "INPUT", content: [{ text: { text: "x" } }] }));
  check("apply unknown", false, "no error");
} catch (err) {
  check("apply unknown", err.name === "ResourceNotFoundException" && err.$metadata.httpStatusCode === 404, { name: err.name, message: err.message });
}
client.destroy();
process.exit(failed ? 1 : 0);
