// Embedding clients that call InvokeModel, unmodified: the Vercel AI SDK's
// embed and embedMany through @ai-sdk/amazon-bedrock (Titan and Cohere),
// and LangChain.js BedrockEmbeddings from @langchain/aws. One JSON line
// per check; exits non-zero when any check fails.
import { embed, embedMany, cosineSimilarity } from "ai";
import { createAmazonBedrock } from "@ai-sdk/amazon-bedrock";
import { BedrockEmbeddings } from "@langchain/aws";
import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";

const endpoint = process.env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME;
const bedrock = createAmazonBedrock({
  region: "us-east-1",
  baseURL: endpoint,
  accessKeyId: process.env.AWS_ACCESS_KEY_ID,
  secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY,
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

await check("vercel-embed-titan", async () => {
  const { embedding, usage } = await embed({
    model: bedrock.embedding("amazon.titan-embed-text-v2:0"),
    value: "sunny day at the beach",
    providerOptions: { bedrock: { dimensions: 256, normalize: true } },
  });
  assert(embedding.length === 256, `length ${embedding.length}`);
  assert(usage.tokens > 0, `usage ${JSON.stringify(usage)}`);
  return { tokens: usage.tokens };
});

await check("vercel-embedMany-cohere", async () => {
  const { embeddings } = await embedMany({
    model: bedrock.embedding("cohere.embed-english-v3"),
    values: ["cat sat on the mat", "a cat on a mat", "tax law"],
  });
  assert(embeddings.length === 3 && embeddings[0].length === 1024, `shape ${embeddings.length}x${embeddings[0]?.length}`);
  const near = cosineSimilarity(embeddings[0], embeddings[1]);
  const far = cosineSimilarity(embeddings[0], embeddings[2]);
  assert(near > far + 0.3, `near ${near} far ${far}`);
  return { near, far };
});

await check("vercel-embedMany-titan", async () => {
  // Titan takes one text a call: the SDK sends one InvokeModel per value.
  const { embeddings } = await embedMany({
    model: bedrock.embedding("amazon.titan-embed-text-v2:0"),
    values: ["one", "two"],
  });
  assert(embeddings.length === 2 && embeddings[0].length === 1024, `shape ${embeddings.length}`);
  return { n: embeddings.length };
});

await check("langchain-bedrock-embeddings", async () => {
  const client = new BedrockRuntimeClient({ region: "us-east-1", endpoint, maxAttempts: 1 });
  const lc = new BedrockEmbeddings({ client, model: "amazon.titan-embed-text-v2:0" });
  const query = await lc.embedQuery("cat sat on the mat");
  const docs = await lc.embedDocuments(["a cat on a mat", "tax law"]);
  assert(query.length === 1024 && docs.length === 2, `shape ${query.length} ${docs.length}`);
  const cos = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0);
  assert(cos(query, docs[0]) > cos(query, docs[1]) + 0.3, "no lexical similarity");
  const again = await lc.embedQuery("cat sat on the mat");
  assert(again.every((x, i) => x === query[i]), "not deterministic");
  return { near: cos(query, docs[0]), far: cos(query, docs[1]) };
});

if (failed > 0) {
  process.exit(1);
}
