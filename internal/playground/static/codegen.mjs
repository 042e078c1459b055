// Code that makes the same call as a playground turn, with boto3, the AWS
// SDK for Go v2 and the AWS SDK for JavaScript v3. The request is the
// exact Converse JSON the page sent; media bytes (base64 in JSON, raw bytes
// in the SDKs) are decoded inline when small, read from a file otherwise.

const INLINE_MEDIA = 4096; // base64 characters kept inline

function mediaName(block, kind) {
  if (kind === 'document' && block.name) return `${block.name}.${block.format}`;
  return `${kind}.${block.format}`;
}

// mediaSources lists the bytes members of a request with a file name for
// each, so the generators can replace them.
function walkMedia(body, fn) {
  for (const msg of body.messages || []) {
    for (const c of msg.content || []) {
      for (const kind of ['image', 'document', 'video', 'audio']) {
        if (c[kind] && c[kind].source && typeof c[kind].source.bytes === 'string') fn(c[kind], kind);
      }
    }
  }
}

// --- Python (boto3) ---

function py(v, ind = '') {
  const next = ind + '    ';
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (v && v.__code) return v.__code;
  if (Array.isArray(v)) {
    if (!v.length) return '[]';
    return '[\n' + v.map((x) => next + py(x, next)).join(',\n') + ',\n' + ind + ']';
  }
  const keys = Object.keys(v);
  if (!keys.length) return '{}';
  return '{\n' + keys.map((k) => next + JSON.stringify(k) + ': ' + py(v[k], next)).join(',\n') + ',\n' + ind + '}';
}

function withCode(body, code) {
  const copy = structuredClone(body);
  walkMedia(copy, (block, kind) => {
    block.source.bytes = { __code: code(block.source.bytes, mediaName(block, kind)) };
  });
  return copy;
}

export function boto3({ modelId, body, stream, endpoint, region }) {
  const b = withCode(body, (b64, name) =>
    b64.length <= INLINE_MEDIA ? `base64.b64decode(${JSON.stringify(b64)})` : `open(${JSON.stringify(name)}, "rb").read()`);
  const args = [`    modelId=${JSON.stringify(modelId)},`];
  for (const [k, v] of Object.entries(b)) args.push(`    ${k}=${py(v, '    ')},`);
  const call = stream ? 'converse_stream' : 'converse';
  const lines = [
    'import base64',
    'import json',
    '',
    'import boto3',
    '',
    '# Credentials come from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY or AWS_BEARER_TOKEN_BEDROCK).',
    `client = boto3.client("bedrock-runtime", region_name=${JSON.stringify(region)}, endpoint_url=${JSON.stringify(endpoint)})`,
    `response = client.${call}(`,
    ...args,
    ')',
  ];
  if (stream) {
    lines.push(
      'for event in response["stream"]:',
      '    if "contentBlockDelta" in event:',
      '        print(event["contentBlockDelta"]["delta"].get("text", ""), end="", flush=True)',
      '    elif "metadata" in event:',
      '        print()',
      '        print(json.dumps(event["metadata"]["usage"]))',
    );
  } else {
    lines.push(
      'for block in response["output"]["message"]["content"]:',
      '    if "text" in block:',
      '        print(block["text"])',
      'print(json.dumps(response["usage"]))',
    );
  }
  return lines.join('\n') + '\n';
}

// --- JavaScript (AWS SDK v3) ---

function js(v, ind = '') {
  const next = ind + '  ';
  if (v === null || v === undefined) return 'undefined';
  if (typeof v !== 'object') return JSON.stringify(v);
  if (v.__code) return v.__code;
  if (Array.isArray(v)) {
    if (!v.length) return '[]';
    return '[\n' + v.map((x) => next + js(x, next)).join(',\n') + ',\n' + ind + ']';
  }
  const keys = Object.keys(v);
  if (!keys.length) return '{}';
  const key = (k) => (/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k));
  return '{\n' + keys.map((k) => next + key(k) + ': ' + js(v[k], next)).join(',\n') + ',\n' + ind + '}';
}

export function javascript({ modelId, body, stream, endpoint, region }) {
  const b = withCode(body, (b64, name) =>
    b64.length <= INLINE_MEDIA ? `Buffer.from(${JSON.stringify(b64)}, "base64")` : `readFileSync(${JSON.stringify(name)})`);
  const cmd = stream ? 'ConverseStreamCommand' : 'ConverseCommand';
  const input = js({ modelId, ...b }, '');
  const lines = [
    `import { BedrockRuntimeClient, ${cmd} } from "@aws-sdk/client-bedrock-runtime";`,
    'import { readFileSync } from "node:fs";',
    '',
    '// Credentials come from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY or AWS_BEARER_TOKEN_BEDROCK).',
    `const client = new BedrockRuntimeClient({ region: ${JSON.stringify(region)}, endpoint: ${JSON.stringify(endpoint)} });`,
    `const response = await client.send(new ${cmd}(${input}));`,
  ];
  if (stream) {
    lines.push(
      'for await (const event of response.stream) {',
      '  if (event.contentBlockDelta?.delta?.text) process.stdout.write(event.contentBlockDelta.delta.text);',
      '  if (event.metadata) console.log("\\n" + JSON.stringify(event.metadata.usage));',
      '}',
    );
  } else {
    lines.push(
      'for (const block of response.output.message.content) if (block.text) console.log(block.text);',
      'console.log(JSON.stringify(response.usage));',
    );
  }
  return lines.join('\n') + '\n';
}

// --- Go (AWS SDK for Go v2) ---

const goStr = (s) => (s.includes('`') || s.length < 60 ? JSON.stringify(s) : '`' + s + '`');
const goDoc = (v) => `doc(${goStr(JSON.stringify(v))})`;

function cachePoint(cp) {
  const ttl = cp.ttl ? `, Ttl: types.CacheTTL(${JSON.stringify(cp.ttl)})` : '';
  return `types.CachePointBlock{Type: types.CachePointType(${JSON.stringify(cp.type || 'default')})${ttl}}`;
}

function goBytes(b64, name) {
  return b64.length <= INLINE_MEDIA ? `b64(${JSON.stringify(b64)})` : `file(${JSON.stringify(name)})`;
}

function goToolResultContent(c) {
  if ('text' in c) return `&types.ToolResultContentBlockMemberText{Value: ${JSON.stringify(c.text)}}`;
  if ('json' in c) return `&types.ToolResultContentBlockMemberJson{Value: ${goDoc(c.json)}}`;
  if (c.image) return `&types.ToolResultContentBlockMemberImage{Value: types.ImageBlock{Format: types.ImageFormat(${JSON.stringify(c.image.format)}), Source: &types.ImageSourceMemberBytes{Value: ${goBytes(c.image.source.bytes, 'image.' + c.image.format)}}}}`;
  return `/* unsupported tool result content ${JSON.stringify(Object.keys(c))} */ nil`;
}

function goBlock(c, ind) {
  if ('text' in c) return `&types.ContentBlockMemberText{Value: ${goStr(c.text)}}`;
  if (c.image) {
    return `&types.ContentBlockMemberImage{Value: types.ImageBlock{Format: types.ImageFormat(${JSON.stringify(c.image.format)}), Source: &types.ImageSourceMemberBytes{Value: ${goBytes(c.image.source.bytes, mediaName(c.image, 'image'))}}}}`;
  }
  if (c.document) {
    const d = c.document;
    return `&types.ContentBlockMemberDocument{Value: types.DocumentBlock{Format: types.DocumentFormat(${JSON.stringify(d.format)}), Name: aws.String(${JSON.stringify(d.name)}), Source: &types.DocumentSourceMemberBytes{Value: ${goBytes(d.source.bytes, mediaName(d, 'document'))}}}}`;
  }
  if (c.toolUse) {
    const t = c.toolUse;
    return `&types.ContentBlockMemberToolUse{Value: types.ToolUseBlock{ToolUseId: aws.String(${JSON.stringify(t.toolUseId)}), Name: aws.String(${JSON.stringify(t.name)}), Input: ${goDoc(t.input)}}}`;
  }
  if (c.toolResult) {
    const t = c.toolResult;
    const status = t.status ? `, Status: types.ToolResultStatus(${JSON.stringify(t.status)})` : '';
    const inner = (t.content || []).map((x) => `${ind}\t\t${goToolResultContent(x)},\n`).join('');
    return `&types.ContentBlockMemberToolResult{Value: types.ToolResultBlock{ToolUseId: aws.String(${JSON.stringify(t.toolUseId)})${status}, Content: []types.ToolResultContentBlock{\n${inner}${ind}\t}}}`;
  }
  if (c.reasoningContent && c.reasoningContent.reasoningText) {
    const r = c.reasoningContent.reasoningText;
    const sig = r.signature ? `, Signature: aws.String(${JSON.stringify(r.signature)})` : '';
    return `&types.ContentBlockMemberReasoningContent{Value: &types.ReasoningContentBlockMemberReasoningText{Value: types.ReasoningTextBlock{Text: aws.String(${goStr(r.text)})${sig}}}}`;
  }
  if (c.cachePoint) return `&types.ContentBlockMemberCachePoint{Value: ${cachePoint(c.cachePoint)}}`;
  return `/* unsupported block ${JSON.stringify(Object.keys(c))} */ nil`;
}

export function golang({ modelId, body, stream, endpoint, region }) {
  const input = stream ? 'ConverseStreamInput' : 'ConverseInput';
  const f = [];
  f.push(`\t\tModelId: aws.String(${JSON.stringify(modelId)}),`);
  if (body.system && body.system.length) {
    f.push('\t\tSystem: []types.SystemContentBlock{');
    for (const s of body.system) {
      if ('text' in s) f.push(`\t\t\t&types.SystemContentBlockMemberText{Value: ${goStr(s.text)}},`);
      else if (s.cachePoint) f.push(`\t\t\t&types.SystemContentBlockMemberCachePoint{Value: ${cachePoint(s.cachePoint)}},`);
    }
    f.push('\t\t},');
  }
  f.push('\t\tMessages: []types.Message{');
  for (const m of body.messages || []) {
    const role = m.role === 'assistant' ? 'types.ConversationRoleAssistant' : 'types.ConversationRoleUser';
    f.push(`\t\t\t{Role: ${role}, Content: []types.ContentBlock{`);
    for (const c of m.content) f.push(`\t\t\t\t${goBlock(c, '\t\t\t\t')},`);
    f.push('\t\t\t}},');
  }
  f.push('\t\t},');
  const ic = body.inferenceConfig;
  if (ic) {
    const parts = [];
    if (ic.maxTokens != null) parts.push(`MaxTokens: aws.Int32(${ic.maxTokens})`);
    if (ic.temperature != null) parts.push(`Temperature: aws.Float32(${ic.temperature})`);
    if (ic.topP != null) parts.push(`TopP: aws.Float32(${ic.topP})`);
    if (ic.stopSequences && ic.stopSequences.length) parts.push(`StopSequences: []string{${ic.stopSequences.map((s) => JSON.stringify(s)).join(', ')}}`);
    f.push(`\t\tInferenceConfig: &types.InferenceConfiguration{${parts.join(', ')}},`);
  }
  if (body.toolConfig) {
    f.push('\t\tToolConfig: &types.ToolConfiguration{Tools: []types.Tool{');
    for (const t of body.toolConfig.tools) {
      if (t.toolSpec) {
        const s = t.toolSpec;
        const desc = s.description ? `, Description: aws.String(${JSON.stringify(s.description)})` : '';
        f.push(`\t\t\t&types.ToolMemberToolSpec{Value: types.ToolSpecification{Name: aws.String(${JSON.stringify(s.name)})${desc}, InputSchema: &types.ToolInputSchemaMemberJson{Value: ${goDoc(s.inputSchema.json)}}}},`);
      } else if (t.cachePoint) {
        f.push(`\t\t\t&types.ToolMemberCachePoint{Value: ${cachePoint(t.cachePoint)}},`);
      }
    }
    f.push('\t\t}},');
  }
  if (body.additionalModelRequestFields) f.push(`\t\tAdditionalModelRequestFields: ${goDoc(body.additionalModelRequestFields)},`);

  const lines = [
    'package main',
    '',
    'import (',
    '\t"context"',
    '\t"encoding/base64"',
    '\t"encoding/json"',
    '\t"fmt"',
    '\t"log"',
    '\t"os"',
    '',
    '\t"github.com/aws/aws-sdk-go-v2/aws"',
    '\t"github.com/aws/aws-sdk-go-v2/config"',
    '\t"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"',
    '\t"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"',
    '\t"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"',
    ')',
    '',
    'func main() {',
    '\tctx := context.Background()',
    '\t// Credentials come from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY or AWS_BEARER_TOKEN_BEDROCK).',
    `\tcfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(${JSON.stringify(region)}))`,
    '\tif err != nil {',
    '\t\tlog.Fatal(err)',
    '\t}',
    '\tclient := bedrockruntime.NewFromConfig(cfg, func(o *bedrockruntime.Options) {',
    `\t\to.BaseEndpoint = aws.String(${JSON.stringify(endpoint)})`,
    '\t})',
    `\tout, err := client.${stream ? 'ConverseStream' : 'Converse'}(ctx, &bedrockruntime.${input}{`,
    ...f,
    '\t})',
    '\tif err != nil {',
    '\t\tlog.Fatal(err)',
    '\t}',
  ];
  if (stream) {
    lines.push(
      '\tstream := out.GetStream()',
      '\tdefer stream.Close()',
      '\tfor ev := range stream.Events() {',
      '\t\tswitch e := ev.(type) {',
      '\t\tcase *types.ConverseStreamOutputMemberContentBlockDelta:',
      '\t\t\tif t, ok := e.Value.Delta.(*types.ContentBlockDeltaMemberText); ok {',
      '\t\t\t\tfmt.Print(t.Value)',
      '\t\t\t}',
      '\t\tcase *types.ConverseStreamOutputMemberMetadata:',
      '\t\t\tu := e.Value.Usage',
      '\t\t\tfmt.Printf("\\ninput %d, output %d tokens\\n", aws.ToInt32(u.InputTokens), aws.ToInt32(u.OutputTokens))',
      '\t\t}',
      '\t}',
      '\tif err := stream.Err(); err != nil {',
      '\t\tlog.Fatal(err)',
      '\t}',
    );
  } else {
    lines.push(
      '\tif msg, ok := out.Output.(*types.ConverseOutputMemberMessage); ok {',
      '\t\tfor _, c := range msg.Value.Content {',
      '\t\t\tif t, ok := c.(*types.ContentBlockMemberText); ok {',
      '\t\t\t\tfmt.Println(t.Value)',
      '\t\t\t}',
      '\t\t}',
      '\t}',
      '\tfmt.Printf("input %d, output %d tokens\\n", aws.ToInt32(out.Usage.InputTokens), aws.ToInt32(out.Usage.OutputTokens))',
    );
  }
  lines.push(
    '}',
    '',
    '// doc turns JSON into the SDK\'s document type.',
    'func doc(s string) document.Interface {',
    '\tvar v any',
    '\tif err := json.Unmarshal([]byte(s), &v); err != nil {',
    '\t\tpanic(err)',
    '\t}',
    '\treturn document.NewLazyDocument(v)',
    '}',
    '',
    'func b64(s string) []byte {',
    '\tb, err := base64.StdEncoding.DecodeString(s)',
    '\tif err != nil {',
    '\t\tpanic(err)',
    '\t}',
    '\treturn b',
    '}',
    '',
    'func file(name string) []byte {',
    '\tb, err := os.ReadFile(name)',
    '\tif err != nil {',
    '\t\tlog.Fatal(err)',
    '\t}',
    '\treturn b',
    '}',
  );
  return lines.join('\n') + '\n';
}
