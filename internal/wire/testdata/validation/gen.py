import json, base64, zlib, struct, copy, os
HERE = os.path.dirname(os.path.abspath(__file__))
def png(w,h):
    def chunk(t,d): return struct.pack('>I',len(d))+t+d+struct.pack('>I',zlib.crc32(t+d)&0xffffffff)
    raw=b''.join(b'\x00'+b'\x00\x00\x00'*w for _ in range(h)) if w*h<=100 else b'\x00'
    return b'\x89PNG\r\n\x1a\n'+chunk(b'IHDR',struct.pack('>IIBBBBB',w,h,8,2,0,0,0))+chunk(b'IDAT',zlib.compress(raw))+chunk(b'IEND',b'')
PNG=base64.b64encode(png(1,1)).decode()
BIG=base64.b64encode(png(9000,10)).decode()
TWICE=base64.b64encode(base64.b64encode(png(1,1))).decode()
PDF=base64.b64encode(b'%PDF-1.4\n1 0 obj<</Type /Page>>endobj\n%%EOF').decode()
H='anthropic.claude-3-haiku-20240307-v1:0'
NOVA='amazon.nova-lite-v1:0'
def U(t='Hello'): return {"role":"user","content":[{"text":t}]}
def A(t='Hi'): return {"role":"assistant","content":[{"text":t}]}
TOOLS={"tools":[{"toolSpec":{"name":"get_weather","description":"Weather","inputSchema":{"json":{"type":"object"}}}}]}
def TU(id='t1',name='get_weather'): return {"toolUse":{"toolUseId":id,"name":name,"input":{"city":"Paris"}}}
def TR(id='t1',content=None): return {"toolResult":{"toolUseId":id,"content":content if content is not None else [{"json":{"temp":20}}]}}
def img(fmt='png',b=PNG): return {"image":{"format":fmt,"source":{"bytes":b}}}
def doc(name='Report',fmt='pdf',b=PDF): return {"document":{"format":fmt,"name":name,"source":{"bytes":b}}}
def base(**kw):
    d={"messages":[U()]}; d.update(kw); return d
inv=[]; val=[]
def bad(name,body,msg,exc='ValidationException',op='Converse',model=H,src='',raw=None):
    c={"name":name,"operation":op,"modelId":model,"exception":exc,"message":msg}
    if raw is not None: c["rawBody"]=raw
    else: c["body"]=body
    if src: c["source"]=src
    inv.append(c)
def good(name,body,op='Converse',model=H,src=''):
    c={"name":name,"operation":op,"modelId":model,"body":body}
    if src: c["source"]=src
    val.append(c)
CORAL='validation error detected'
# --- malformed JSON
for i,raw in enumerate(['{','{"messages": [}','[1,2]','{"messages": "hi"}','{"messages": [{"role": 1}]}','{"inferenceConfig": {"maxTokens": "many"}}','{"messages": []} x','{"messages":[{"role":"user","content":"hello"}]}','{"messages":[{"role":"user","content":[{"text":5}]}]}','{"messages":[{"role":"user","content":[{"image":{"format":"png","source":{"bytes":"***"}}}]}]}']):
    bad(f'serialization/{i}',None,'',exc='SerializationException',raw=raw)
# --- modelId
for i,m in enumerate(['','anthropic.claude v2','a'*2049,'anthropic.claude-v2:0:100k/x','model?id','claude 3']):
    bad(f'modelid/pattern/{i}',base(),"at 'modelId' failed to satisfy constraint",model=m)
for i,m in enumerate(['anthropic.claude-3-haiku-20240307-v9:0','anthropic.claude-opus-4-6-v1:0','us.anthropic.claude-fable-5','sonnet','claude-haiku-4-5','openai.gpt-5.5','eu.amazon.nova-ultra-v1:0','arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-x-v1:0']):
    bad(f'modelid/unknown/{i}',base(),'The provided model identifier is invalid.',model=m,src='cline #7673; sub2api #1714; forgecode #2644')
for i,m in enumerate(['','bad model','x'*257,'model?']):
    bad(f'counttokens/modelid/{i}',{"input":{"converse":{"messages":[U()]}}},"at 'modelId' failed to satisfy constraint",op='CountTokens',model=m)
bad('counttokens/input-missing',{},"Value null at 'input' failed to satisfy constraint: Member must not be null",op='CountTokens')
bad('counttokens/input-empty-union',{"input":{}},"at 'input' failed to satisfy constraint: Member must have exactly one",op='CountTokens')
bad('counttokens/input-two-members',{"input":{"converse":{"messages":[U()]},"invokeModel":{"body":"e30="}}},"found: [invokeModel, converse]",op='CountTokens')
bad('counttokens/blank-text',{"input":{"converse":{"messages":[U('  ')]}}},'is blank',op='CountTokens')
bad('counttokens/starts-with-assistant',{"input":{"converse":{"messages":[A()]}}},'must start with a user message',op='CountTokens')
# --- structural
S=[
 ('role-missing',{"messages":[{"content":[{"text":"x"}]}]},"Value null at 'messages.1.member.role' failed to satisfy constraint: Member must not be null"),
 ('role-bad',{"messages":[{"role":"human","content":[{"text":"x"}]}]},"Value 'human' at 'messages.1.member.role' failed to satisfy constraint: Member must satisfy enum value set: [user, assistant, system]"),
 ('role-uppercase',{"messages":[{"role":"User","content":[{"text":"x"}]}]},"Value 'User' at 'messages.1.member.role'"),
 ('content-missing',{"messages":[{"role":"user"}]},"Value null at 'messages.1.member.content' failed to satisfy constraint: Member must not be null"),
 ('content-empty-block',{"messages":[{"role":"user","content":[{}]}]},"at 'messages.1.member.content.1.member' failed to satisfy constraint: Member must have exactly one"),
 ('content-two-members',{"messages":[{"role":"user","content":[{"text":"a","cachePoint":{"type":"default"}}]}]},"found: [text, cachePoint]"),
 ('content-type-field',{"messages":[{"role":"user","content":[{"type":"text"}]}]},"Member must have exactly one"),
 ('second-message-role',{"messages":[U(),{"role":"bot","content":[{"text":"x"}]}]},"at 'messages.2.member.role'"),
 ('image-format-jpg',{"messages":[{"role":"user","content":[img('jpg'),{"text":"x"}]}]},"Value 'jpg' at 'messages.1.member.content.1.member.image.format' failed to satisfy constraint: Member must satisfy enum value set: [png, jpeg, gif, webp]"),
 ('image-format-upper',{"messages":[{"role":"user","content":[img('PNG'),{"text":"x"}]}]},"Value 'PNG' at 'messages.1.member.content.1.member.image.format'"),
 ('image-format-missing',{"messages":[{"role":"user","content":[{"image":{"source":{"bytes":PNG}}},{"text":"x"}]}]},"Value null at 'messages.1.member.content.1.member.image.format' failed to satisfy constraint: Member must not be null"),
 ('image-source-missing',{"messages":[{"role":"user","content":[{"image":{"format":"png"}},{"text":"x"}]}]},"Value null at 'messages.1.member.content.1.member.image.source' failed to satisfy constraint: Member must not be null"),
 ('image-source-empty',{"messages":[{"role":"user","content":[{"image":{"format":"png","source":{}}},{"text":"x"}]}]},"image.source' failed to satisfy constraint: Member must have exactly one"),
 ('image-s3-bad-uri',{"messages":[{"role":"user","content":[{"image":{"format":"png","source":{"s3Location":{"uri":"https://bucket/x.png"}}}},{"text":"x"}]}]},"Member must satisfy regular expression pattern: s3://"),
 ('image-s3-bad-owner',{"messages":[{"role":"user","content":[{"image":{"format":"png","source":{"s3Location":{"uri":"s3://my-bucket/x.png","bucketOwner":"12345"}}}},{"text":"x"}]}]},"Member must satisfy regular expression pattern: [0-9]{12}"),
 ('image-s3-uri-missing',{"messages":[{"role":"user","content":[{"image":{"format":"png","source":{"s3Location":{}}}},{"text":"x"}]}]},"s3Location.uri' failed to satisfy constraint: Member must have length greater than or equal to 1"),
 ('document-name-missing',{"messages":[{"role":"user","content":[{"document":{"format":"pdf","source":{"bytes":PDF}}},{"text":"x"}]}]},"document.name' failed to satisfy constraint: Member must have length greater than or equal to 1"),
 ('document-name-too-long',{"messages":[{"role":"user","content":[doc('a'*201),{"text":"x"}]}]},"document.name' failed to satisfy constraint: Member must have length less than or equal to 200"),
 ('document-format-bad',{"messages":[{"role":"user","content":[doc(fmt='pptx'),{"text":"x"}]}]},"Member must satisfy enum value set: [pdf, csv, doc, docx, xls, xlsx, html, txt, md]"),
 ('document-source-missing',{"messages":[{"role":"user","content":[{"document":{"format":"pdf","name":"R"}},{"text":"x"}]}]},"document.source' failed to satisfy constraint: Member must not be null"),
 ('document-citations-enabled-only',{"messages":[{"role":"user","content":[{"document":{"format":"txt","name":"R","source":{"text":"a","bytes":"YQ=="}}},{"text":"x"}]}]},"found: [bytes, text]"),
 ('video-format-bad',{"messages":[{"role":"user","content":[{"video":{"format":"avi","source":{"bytes":"AAAA"}}},{"text":"x"}]}]},"video.format"),
 ('audio-format-bad',{"messages":[{"role":"user","content":[{"audio":{"format":"aiff","source":{"bytes":"AAAA"}}},{"text":"x"}]}]},"audio.format"),
 ('tooluse-id-missing',{"messages":[U(),{"role":"assistant","content":[{"toolUse":{"name":"get_weather","input":{}}}]},U()],"toolConfig":TOOLS},"toolUse.toolUseId' failed to satisfy constraint: Member must have length greater than or equal to 1"),
 ('tooluse-name-pattern',{"messages":[U(),{"role":"assistant","content":[TU(name='工具名称')]},{"role":"user","content":[TR()]}],"toolConfig":TOOLS},"Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+"),
 ('tooluse-id-pattern',{"messages":[U(),{"role":"assistant","content":[TU(id='t 1')]},{"role":"user","content":[TR('t 1')]}],"toolConfig":TOOLS},"Member must satisfy regular expression pattern: [a-zA-Z0-9_.:-]+"),
 ('tooluse-id-too-long',{"messages":[U(),{"role":"assistant","content":[TU(id='a'*65)]},{"role":"user","content":[TR('a'*65)]}],"toolConfig":TOOLS},"Member must have length less than or equal to 64"),
 ('tooluse-input-missing',{"messages":[U(),{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"get_weather"}}]},{"role":"user","content":[TR()]}],"toolConfig":TOOLS},"toolUse.input' failed to satisfy constraint: Member must not be null"),
 ('tooluse-input-null',{"messages":[U(),{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"get_weather","input":None}}]},{"role":"user","content":[TR()]}],"toolConfig":TOOLS},"toolUse.input' failed to satisfy constraint: Member must not be null"),
 ('toolresult-content-missing',{"messages":[U(),{"role":"assistant","content":[TU()]},{"role":"user","content":[{"toolResult":{"toolUseId":"t1"}}]}],"toolConfig":TOOLS},"toolResult.content' failed to satisfy constraint: Member must not be null"),
 ('toolresult-status-bad',{"messages":[U(),{"role":"assistant","content":[TU()]},{"role":"user","content":[{"toolResult":{"toolUseId":"t1","status":"failed","content":[{"text":"x"}]}}]}],"toolConfig":TOOLS},"Member must satisfy enum value set: [success, error]"),
 ('toolresult-content-empty-block',{"messages":[U(),{"role":"assistant","content":[TU()]},{"role":"user","content":[TR(content=[{}])]}],"toolConfig":TOOLS},"toolResult.content.1.member' failed to satisfy constraint: Member must have exactly one"),
 ('cachepoint-type-missing',{"messages":[{"role":"user","content":[{"text":"x"},{"cachePoint":{}}]}]},"cachePoint.type' failed to satisfy constraint: Member must not be null"),
 ('cachepoint-type-bad',{"messages":[{"role":"user","content":[{"text":"x"},{"cachePoint":{"type":"ephemeral"}}]}]},"Member must satisfy enum value set: [default]"),
 ('cachepoint-ttl-bad',{"messages":[{"role":"user","content":[{"text":"x"},{"cachePoint":{"type":"default","ttl":"10m"}}]}]},"Member must satisfy enum value set: [5m, 1h]"),
 ('system-empty-text',{"messages":[U()],"system":[{"text":""}]},"Value '' at 'system.1.member.text' failed to satisfy constraint: Member must have length greater than or equal to 1"),
 ('system-empty-block',{"messages":[U()],"system":[{}]},"at 'system.1.member' failed to satisfy constraint: Member must have exactly one"),
 ('system-string',None,None),
 ('maxtokens-zero',{"messages":[U()],"inferenceConfig":{"maxTokens":0}},"Value '0' at 'inferenceConfig.maxTokens' failed to satisfy constraint: Member must have value greater than or equal to 1"),
 ('maxtokens-negative',{"messages":[U()],"inferenceConfig":{"maxTokens":-5}},"Value '-5' at 'inferenceConfig.maxTokens'"),
 ('temperature-high',{"messages":[U()],"inferenceConfig":{"temperature":1.5}},"Value '1.5' at 'inferenceConfig.temperature' failed to satisfy constraint: Member must have value less than or equal to 1"),
 ('temperature-2',{"messages":[U()],"inferenceConfig":{"temperature":2}},"at 'inferenceConfig.temperature' failed to satisfy constraint: Member must have value less than or equal to 1"),
 ('temperature-negative',{"messages":[U()],"inferenceConfig":{"temperature":-0.1}},"Member must have value greater than or equal to 0"),
 ('topp-high',{"messages":[U()],"inferenceConfig":{"topP":1.01}},"at 'inferenceConfig.topP' failed to satisfy constraint: Member must have value less than or equal to 1"),
 ('stopsequences-too-many',{"messages":[U()],"inferenceConfig":{"stopSequences":["x"]*2501}},"inferenceConfig.stopSequences' failed to satisfy constraint: Member must have length less than or equal to 2500"),
 ('tools-empty',{"messages":[U()],"toolConfig":{"tools":[]}},"Value '[]' at 'toolConfig.tools' failed to satisfy constraint: Member must have length greater than or equal to 1"),
 ('tools-missing',{"messages":[U()],"toolConfig":{"toolChoice":{"auto":{}}}},"Value null at 'toolConfig.tools' failed to satisfy constraint: Member must not be null"),
 ('tool-empty-union',{"messages":[U()],"toolConfig":{"tools":[{}]}},"at 'toolConfig.tools.1.member' failed to satisfy constraint: Member must have exactly one"),
 ('toolspec-name-missing',{"messages":[U()],"toolConfig":{"tools":[{"toolSpec":{"inputSchema":{"json":{}}}}]}},"toolSpec.name' failed to satisfy constraint: Member must have length greater than or equal to 1"),
 ('toolspec-name-chinese',{"messages":[U()],"toolConfig":{"tools":[{"toolSpec":{"name":"工具名称","description":"工具描述","inputSchema":{"json":{"type":"object"}}}}]}},"Value '工具名称' at 'toolConfig.tools.1.member.toolSpec.name' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+"),
 ('toolspec-name-empty',{"messages":[U()],"toolConfig":{"tools":[{"toolSpec":{"name":"","inputSchema":{"json":{"type":"object"}}}}]}},"2 validation errors detected: Value '' at 'toolConfig.tools.1.member.toolSpec.name' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+; Value '' at 'toolConfig.tools.1.member.toolSpec.name' failed to satisfy constraint: Member must have length greater than or equal to 1"),
 ('toolspec-name-dot',{"messages":[U()],"toolConfig":{"tools":[{"toolSpec":{"name":"weather.get","inputSchema":{"json":{}}}}]}},"Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+"),
 ('toolspec-name-65',{"messages":[U()],"toolConfig":{"tools":[{"toolSpec":{"name":"a"*65,"inputSchema":{"json":{}}}}]}},"Member must have length less than or equal to 64"),
 ('toolspec-schema-missing',{"messages":[U()],"toolConfig":{"tools":[{"toolSpec":{"name":"x"}}]}},"toolSpec.inputSchema' failed to satisfy constraint: Member must not be null"),
 ('toolspec-schema-empty',{"messages":[U()],"toolConfig":{"tools":[{"toolSpec":{"name":"x","inputSchema":{}}}]}},"toolSpec.inputSchema' failed to satisfy constraint: Member must have exactly one"),
 ('toolspec-description-empty',{"messages":[U()],"toolConfig":{"tools":[{"toolSpec":{"name":"x","description":"","inputSchema":{"json":{}}}}]}},None),
 ('toolchoice-empty',{"messages":[U()],"toolConfig":{"tools":TOOLS["tools"],"toolChoice":{}}},"toolConfig.toolChoice' failed to satisfy constraint: Member must have exactly one"),
 ('toolchoice-two',{"messages":[U()],"toolConfig":{"tools":TOOLS["tools"],"toolChoice":{"auto":{},"any":{}}}},"found: [auto, any]"),
 ('toolchoice-tool-name-missing',{"messages":[U()],"toolConfig":{"tools":TOOLS["tools"],"toolChoice":{"tool":{}}}},"toolChoice.tool.name' failed to satisfy constraint"),
 ('requestmetadata-empty',{"messages":[U()],"requestMetadata":{}},"at 'requestMetadata' failed to satisfy constraint: Member must have length greater than or equal to 1"),
 ('requestmetadata-too-many',{"messages":[U()],"requestMetadata":{f"k{i}":"v" for i in range(17)}},"at 'requestMetadata' failed to satisfy constraint: Member must have length less than or equal to 16"),
 ('requestmetadata-bad-key',{"messages":[U()],"requestMetadata":{"team!":"x"}},"Value at 'requestMetadata' failed to satisfy constraint: Map keys must satisfy constraint"),
 ('requestmetadata-bad-value',{"messages":[U()],"requestMetadata":{"team":"a|b"}},"Map value must satisfy constraint"),
 ('requestmetadata-long-value',{"messages":[U()],"requestMetadata":{"team":"a"*257}},"Member must have length less than or equal to 256]"),
 ('responsefieldpaths-too-many',{"messages":[U()],"additionalModelResponseFieldPaths":["/a"]*11},"at 'additionalModelResponseFieldPaths' failed to satisfy constraint: Member must have length less than or equal to 10"),
 ('responsefieldpaths-empty-item',{"messages":[U()],"additionalModelResponseFieldPaths":[""]},"at 'additionalModelResponseFieldPaths.1.member' failed to satisfy constraint: Member must have length greater than or equal to 1"),
 ('performance-bad',{"messages":[U()],"performanceConfig":{"latency":"fast"}},"Member must satisfy enum value set: [standard, optimized]"),
 ('servicetier-bad',{"messages":[U()],"serviceTier":{"type":"premium"}},"Member must satisfy enum value set: [priority, default, flex, reserved]"),
 ('servicetier-type-missing',{"messages":[U()],"serviceTier":{}},"Value null at 'serviceTier.type' failed to satisfy constraint: Member must not be null"),
 ('guardrail-trace-bad',{"messages":[U()],"guardrailConfig":{"guardrailIdentifier":"abc","guardrailVersion":"1","trace":"on"}},"Member must satisfy enum value set: [enabled, disabled, enabled_full]"),
 ('guardrail-version-bad',{"messages":[U()],"guardrailConfig":{"guardrailIdentifier":"abc","guardrailVersion":"v1"}},"at 'guardrailConfig.guardrailVersion' failed to satisfy constraint: Member must satisfy regular expression pattern"),
 ('guardrail-id-bad',{"messages":[U()],"guardrailConfig":{"guardrailIdentifier":"ABC_1","guardrailVersion":"1"}},"at 'guardrailConfig.guardrailIdentifier' failed to satisfy constraint"),
 ('outputconfig-effort-long',{"messages":[U()],"outputConfig":{"effort":"x"*17}},"at 'outputConfig.effort' failed to satisfy constraint: Member must have length less than or equal to 16"),
 ('outputformat-type-bad',{"messages":[U()],"outputConfig":{"textFormat":{"type":"json","structure":{"jsonSchema":{"schema":"{}"}}}}},"Member must satisfy enum value set: [json_schema]"),
 ('outputformat-structure-missing',{"messages":[U()],"outputConfig":{"textFormat":{"type":"json_schema"}}},"Value null at 'outputConfig.textFormat.structure' failed to satisfy constraint: Member must not be null"),
 ('outputformat-schema-missing',{"messages":[U()],"outputConfig":{"textFormat":{"type":"json_schema","structure":{"jsonSchema":{}}}}},"Value null at 'outputConfig.textFormat.structure.jsonSchema.schema' failed to satisfy constraint: Member must not be null"),
 ('guardcontent-text-missing',{"messages":[{"role":"user","content":[{"guardContent":{"text":{}}}]}]},"guardContent.text.text' failed to satisfy constraint: Member must not be null"),
 ('guardcontent-qualifier-bad',{"messages":[{"role":"user","content":[{"guardContent":{"text":{"text":"x","qualifiers":["context"]}}}]}]},"Member must satisfy enum value set: [grounding_source, query, guard_content]"),
 ('guardcontent-image-format',{"messages":[{"role":"user","content":[{"guardContent":{"image":{"format":"gif","source":{"bytes":PNG}}}},{"text":"x"}]}]},"Member must satisfy enum value set: [png, jpeg]"),
 ('searchresult-title-missing',{"messages":[{"role":"user","content":[{"searchResult":{"source":"s","content":[{"text":"x"}]}},{"text":"q"}]}]},"searchResult.title' failed to satisfy constraint: Member must not be null"),
 ('citation-location-negative',{"messages":[U(),{"role":"assistant","content":[{"citationsContent":{"content":[{"text":"x"}],"citations":[{"location":{"documentChar":{"documentIndex":-1,"start":0,"end":1}}}]}}]},U()]},"Member must have value greater than or equal to 0"),
 ('reasoning-text-missing',{"messages":[U(),{"role":"assistant","content":[{"reasoningContent":{"reasoningText":{"signature":"s"}}},{"text":"x"}]},U()]},"Value null at 'messages.2.member.content.1.member.reasoningContent.reasoningText.text' failed to satisfy constraint: Member must not be null"),
 ('reasoning-empty-union',{"messages":[U(),{"role":"assistant","content":[{"reasoningContent":{}},{"text":"x"}]},U()]},"reasoningContent' failed to satisfy constraint: Member must have exactly one"),
 ('tooladdition-tool-missing',{"messages":[U(),{"role":"system","content":[{"toolAddition":{}}]}]},"toolAddition.tool' failed to satisfy constraint: Member must not be null"),
 ('toolreference-name-long',{"messages":[U(),{"role":"system","content":[{"toolRemoval":{"tool":{"name":"a"*129}}}]}]},"Member must have length less than or equal to 128"),
 ('promptvariables-empty-union',{"messages":[U()],"promptVariables":{"topic":{}}},"at 'promptVariables.topic.member' failed to satisfy constraint: Member must have exactly one"),
 ('two-errors',{"messages":[{"role":"human","content":[{"text":"x"}]}],"inferenceConfig":{"maxTokens":0}},"2 validation errors detected: Value 'human'"),
]
for n,b,m in S:
    if b is None or m is None: continue
    bad('structural/'+n,b,m,src='API model constraint; Coral wording per continuedev/continue #1938')
bad('structural/system-string',None,'',exc='SerializationException',raw='{"messages":[{"role":"user","content":[{"text":"x"}]}],"system":"be terse"}')
# Real service (BerriAI/litellm #24668): an empty description is refused.
bad('structural/toolspec-description-empty',{"messages":[U()],"toolConfig":{"tools":[{"toolSpec":{"name":"x","description":"","inputSchema":{"json":{"type":"object"}}}}]}},"Value '' at 'toolConfig.tools.1.member.toolSpec.description' failed to satisfy constraint: Member must have length greater than or equal to 1",src='BerriAI/litellm #24668')
# --- semantic
SM=[
 ('empty-messages',{"messages":[]},'A conversation must start with a user message. Try again with a conversation that starts with a user message.','elastic/kibana #246393'),
 ('no-messages',{},'A conversation must start with a user message.',''),
 ('starts-with-assistant',{"messages":[A(),U()]},'A conversation must start with a user message.','kibana #246393; quarkus-langchain4j #1764'),
 ('only-assistant-prefill',{"messages":[A('{')]},'A conversation must start with a user message.',''),
 ('two-users',{"messages":[U(),U('again')]},'A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.','langchain-aws #130'),
 ('two-assistants',{"messages":[U(),A(),A('more')]},'A conversation must alternate between user and assistant roles.','Portkey #748'),
 ('three-users',{"messages":[U(),A(),U(),U()]},'messages.2 and messages.3 both have the role user',''),
 ('seed-toolresult-without-assistant',{"messages":[U('查询北京现在的天气情况'),{"role":"user","content":[TR('tooluse_abc')]}],"toolConfig":TOOLS},'append the assistant message that holds the toolUse blocks','seed 000 WeatherToolDemo'),
 ('content-empty',{"messages":[{"role":"user","content":[]}]},'The content field in the Message object at messages.0 is empty. Add a ContentBlock object to the content field and try again.','pi #3443'),
 ('content-empty-second',{"messages":[U(),{"role":"assistant","content":[]},U()]},'The content field in the Message object at messages.1 is empty.','llmgateway #3127'),
 ('blank-text',{"messages":[U('')]},'The text field in the ContentBlock object at messages.0.content.0 is blank. Add text to the text field, and try again.','amplify-backend #2977'),
 ('whitespace-text',{"messages":[U(' ')]},'The text field in the ContentBlock object at messages.0.content.0 is blank.','hermes-agent #41985'),
 ('newlines-text',{"messages":[U(),A('\n\n'),U()]},'The text field in the ContentBlock object at messages.1.content.0 is blank.','langchain-aws #403'),
 ('tab-text',{"messages":[{"role":"user","content":[{"text":"q"},{"text":"\t"}]}]},'messages.0.content.1 is blank',''),
 ('fullwidth-space-text',{"messages":[U('\u3000')]},'is blank',''),
 ('tooluse-without-toolconfig',{"messages":[U(),{"role":"assistant","content":[TU()]},{"role":"user","content":[TR()]}]},'The toolConfig field must be defined when using toolUse and toolResult content blocks.','dify #17545'),
 ('toolresult-only-without-toolconfig',{"messages":[U(),A(),{"role":"user","content":[TR()]}]},'The toolConfig field must be defined','pentagi #196'),
 ('toolresult-exceeds',{"messages":[U(),A(),{"role":"user","content":[TR()]}],"toolConfig":TOOLS},'The number of toolResult blocks at messages.2.content exceeds the number of toolUse blocks of previous turn.','Curie #16'),
 ('toolresult-two-for-one',{"messages":[U(),{"role":"assistant","content":[TU()]},{"role":"user","content":[TR(),TR('t2')]}],"toolConfig":TOOLS},'exceeds the number of toolUse blocks of previous turn','pydantic-ai #2327'),
 ('toolresult-wrong-id',{"messages":[U(),{"role":"assistant","content":[TU()]},{"role":"user","content":[TR('t9')]}],"toolConfig":TOOLS},'holds a toolResult for toolUseId "t9"',''),
 ('tooluse-unanswered',{"messages":[U(),{"role":"assistant","content":[TU()]},U('what now')],"toolConfig":TOOLS},'toolUseId "t1" that messages.2 does not answer',''),
 ('tooluse-partially-answered',{"messages":[U(),{"role":"assistant","content":[TU('a'),TU('b')]},{"role":"user","content":[TR('a')]}],"toolConfig":TOOLS},'toolUseId "b"',''),
 ('toolchoice-unknown-tool',{"messages":[U()],"toolConfig":{"tools":TOOLS["tools"],"toolChoice":{"tool":{"name":"get_time"}}}},'does not name a tool in toolConfig.tools',''),
 ('image-in-assistant',{"messages":[U(),{"role":"assistant","content":[img()]},U()]},'image blocks are only allowed in user messages',''),
 ('document-in-assistant',{"messages":[U(),{"role":"assistant","content":[doc(),{"text":"x"}]},U()]},'document blocks are only allowed in user messages',''),
 ('document-without-text',{"messages":[{"role":"user","content":[doc()]}]},'A text block must be included when using documents.','archestra #4220'),
 ('document-name-dot',{"messages":[{"role":"user","content":[doc('report.pdf'),{"text":"x"}]}]},'The document file name can only contain alphanumeric characters','simonw/llm-bedrock #8'),
 ('document-name-fullwidth-space',{"messages":[{"role":"user","content":[doc('年度\u3000报告'),{"text":"x"}]}]},'The document file name can only contain',''),
 ('document-name-fullwidth-ascii',{"messages":[{"role":"user","content":[doc('Report\u3000A'),{"text":"x"}]}]},'The document file name can only contain',''),
 ('document-name-double-space',{"messages":[{"role":"user","content":[doc('Report  Final'),{"text":"x"}]}]},"The name can't contain more than one consecutive whitespace character",'vercel/ai #20365'),
 ('document-name-apostrophe',{"messages":[{"role":"user","content":[doc("John's report"),{"text":"x"}]}]},'The document file name can only contain','vercel/ai #20365'),
 ('document-name-accent',{"messages":[{"role":"user","content":[doc('résumé'),{"text":"x"}]}]},'The document file name can only contain','vercel/ai #20365'),
 ('document-name-slash',{"messages":[{"role":"user","content":[doc('slack-file://F0X'),{"text":"x"}]}]},'The document file name can only contain','opencode #37191'),
 ('document-name-tab',{"messages":[{"role":"user","content":[doc('a\tb'),{"text":"x"}]}]},'The document file name can only contain','vercel/ai #20366'),
 ('document-duplicate-names',{"messages":[{"role":"user","content":[doc('document'),doc('document'),{"text":"x"}]}]},"Messages can't contain duplicate document names. Rename the document and retry your request.",'bifrost #7003'),
 ('too-many-images',{"messages":[{"role":"user","content":[img() for _ in range(21)]+[{"text":"x"}]}]},'a request can hold at most 20 images','API model doc of Message'),
 ('too-many-images-across-turns',{"messages":[{"role":"user","content":[img() for _ in range(12)]+[{"text":"x"}]},A(),{"role":"user","content":[img() for _ in range(9)]+[{"text":"x"}]}]},'at most 20 images',''),
 ('too-many-documents',{"messages":[{"role":"user","content":[doc(f'Doc {i}') for i in range(6)]+[{"text":"x"}]}]},'a request can hold at most 5 documents','API model doc of Message'),
 ('too-many-cachepoints',{"messages":[{"role":"user","content":[{"text":"a"},{"cachePoint":{"type":"default"}},{"text":"b"},{"cachePoint":{"type":"default"}},{"text":"c"},{"cachePoint":{"type":"default"}}]}],"system":[{"text":"s"},{"cachePoint":{"type":"default"}},{"text":"t"},{"cachePoint":{"type":"default"}}]},'at most 4 cachePoint blocks','digest §11.2'),
 ('cachepoint-ttl-order',{"messages":[{"role":"user","content":[{"text":"a"},{"cachePoint":{"type":"default","ttl":"1h"}}]}],"system":[{"text":"s"},{"cachePoint":{"type":"default"}}]},'must come before those with a 5-minute ttl','digest §11.2'),
 ('streamprocessingmode-on-converse',{"messages":[U()],"guardrailConfig":{"guardrailIdentifier":"abc","guardrailVersion":"1","streamProcessingMode":"async"}},'streamProcessingMode is only valid on ConverseStream','API model'),
 ('promptvariables-without-prompt',{"messages":[U()],"promptVariables":{"topic":{"text":"x"}}},'promptVariables can only be used','API model doc'),
 ('prompt-arn-with-system',{"system":[{"text":"x"}]},"can't be used with a prompt from Prompt management",'API model doc'),
]
for n,b,m,s in SM:
    model=H
    if n=='prompt-arn-with-system': model='arn:aws:bedrock:us-east-1:123456789012:prompt/ABCDEFGHIJ:1'
    bad('semantic/'+n,b,m,model=model,src=s)
# --- catalogue
C=[
 ('nova-tool-cachepoint',NOVA,{"messages":[U()],"toolConfig":{"tools":TOOLS["tools"]+[{"cachePoint":{"type":"default"}}]}},'Malformed input request: #/toolConfig/tools/1: extraneous key [cachePoint] is not permitted','LibreChat #13838; seed 002'),
 ('nova-toolchoice-any',NOVA,{"messages":[U()],"toolConfig":{"tools":TOOLS["tools"],"toolChoice":{"any":{}}}},"This model doesn't support the toolConfig.toolChoice.any field. Remove toolConfig.toolChoice.any and try again.",'bedrock-access-gateway #92'),
 ('nova-toolchoice-tool','us.amazon.nova-pro-v1:0',{"messages":[U()],"toolConfig":{"tools":TOOLS["tools"],"toolChoice":{"tool":{"name":"get_weather"}}}},"doesn't support the toolConfig.toolChoice.tool field",''),
 ('titan-tools','amazon.titan-text-express-v1',{"messages":[U()],"toolConfig":TOOLS},"This model doesn't support tool use.",''),
 ('titan-image','amazon.titan-text-express-v1',{"messages":[{"role":"user","content":[img(),{"text":"x"}]}]},"doesn't support the image content block",''),
 ('nova-micro-image','amazon.nova-micro-v1:0',{"messages":[{"role":"user","content":[img(),{"text":"x"}]}]},"doesn't support the image content block",''),
 ('claude-video',H,{"messages":[{"role":"user","content":[{"video":{"format":"mp4","source":{"s3Location":{"uri":"s3://my-bucket/v.mp4"}}}},{"text":"x"}]}]},"doesn't support the video content block",''),
 ('claude3-cache',H,{"messages":[{"role":"user","content":[{"text":"x"},{"cachePoint":{"type":"default"}}]}]},"doesn't support prompt caching",'digest §11.2'),
 ('ttl-1h-unsupported','anthropic.claude-3-7-sonnet-20250219-v1:0',{"messages":[{"role":"user","content":[{"text":"x"},{"cachePoint":{"type":"default","ttl":"1h"}}]}]},"doesn't support the 1h ttl",'digest §11.2'),
 ('maxtokens-over-limit',H,{"messages":[U()],"inferenceConfig":{"maxTokens":100000}},'The maximum tokens you requested exceeds the model limit of 4096.',''),
 ('llama-stream-tools','meta.llama3-1-70b-instruct-v1:0',{"messages":[U()],"toolConfig":TOOLS},"This model doesn't support tool use in streaming mode.",'pi #3739'),
 ('gptoss-stream','openai.gpt-oss-120b-1:0',{"messages":[U()]},'The model is unsupported for streaming.','bedrock-client-for-mac #112'),
 ('reasoning-unsupported',H,{"messages":[U(),{"role":"assistant","content":[{"reasoningContent":{"reasoningText":{"text":"hmm","signature":"s"}}},{"text":"x"}]},U()]},"doesn't support the reasoningContent block",''),
]
for n,m,b,msg,s in C:
    op='ConverseStream' if n in('llama-stream-tools','gptoss-stream') else 'Converse'
    bad('catalog/'+n,b,msg,model=m,op=op,src=s)
# --- media
M=[
 ('image-base64-twice',{"messages":[{"role":"user","content":[img('jpeg' if False else 'png',TWICE),{"text":"描述这张图片中的产品特点"}]}]},'look base64-encoded twice','seed 000 analyze_image_with_text'),
 ('image-format-mismatch',{"messages":[{"role":"user","content":[img('jpeg'),{"text":"x"}]}]},'not the declared format "jpeg"',''),
 ('image-not-image',{"messages":[{"role":"user","content":[img('png',base64.b64encode(b'hello world, not an image').decode()),{"text":"x"}]}]},'an unrecognised format',''),
 ('image-too-wide',{"messages":[{"role":"user","content":[img('png',BIG),{"text":"x"}]}]},'9000x10 pixels',''),
 ('pdf-not-pdf',{"messages":[{"role":"user","content":[doc('Report','pdf',PNG),{"text":"x"}]}]},'not the declared format "pdf"',''),
 ('pdf-base64-twice',{"messages":[{"role":"user","content":[doc('Report','pdf',base64.b64encode(base64.b64decode(PDF).__class__(base64.b64encode(base64.b64decode(PDF)))).decode()),{"text":"x"}]}]},'look base64-encoded twice',''),
 ('toolresult-image-twice',{"messages":[U(),{"role":"assistant","content":[TU()]},{"role":"user","content":[TR(content=[img('png',TWICE)])]}],"toolConfig":TOOLS},'toolResult.content.0.image.source.bytes look base64-encoded twice',''),
]
for n,b,msg,s in M:
    bad('media/'+n,b,msg,src=s)
# --- valid
good('plain',base())
good('toolresult-empty-text',{"messages":[U(),{"role":"assistant","content":[TU()]},{"role":"user","content":[TR(content=[{"text":""}])]}],"toolConfig":TOOLS})
good('toolresult-text-json',{"messages":[U(),{"role":"assistant","content":[TU()]},{"role":"user","content":[TR(content=[{"text":'{"temp": 20}'}])]}],"toolConfig":TOOLS},src='AI SDK sends tool results as text')
good('toolresult-empty-content',{"messages":[U(),{"role":"assistant","content":[TU()]},{"role":"user","content":[TR(content=[])]}],"toolConfig":TOOLS})
good('prefill-final-assistant',{"messages":[U(),A('{')]})
good('arn-foundation-model',base(),model='arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0')
good('arn-inference-profile',base(),model='arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0')
good('profile-us',base(),model='us.anthropic.claude-3-7-sonnet-20250219-v1:0')
good('profile-eu',base(),model='eu.anthropic.claude-sonnet-4-5-20250929-v1:0')
good('profile-global',base(),model='global.anthropic.claude-sonnet-4-5-20250929-v1:0')
good('profile-apac',base(),model='apac.amazon.nova-lite-v1:0')
good('opus-4-6-no-suffix',base(),model='anthropic.claude-opus-4-6-v1')
good('system-empty-list',{"messages":[U()],"system":[]},src='AI SDK sends "system": []')
good('system-null',{"messages":[U()],"system":None})
good('document-underscore',{"messages":[{"role":"user","content":[doc('my_report_2024'),{"text":"Summarise"}]}]},src='vercel/ai #20366; strands #3019')
good('document-name-allowed-chars',{"messages":[{"role":"user","content":[doc('Report (final) [v2] - Q3'),{"text":"Summarise"}]}]})
good('document-text-source',{"messages":[{"role":"user","content":[{"document":{"format":"txt","name":"My Document","source":{"text":"The grass is green."},"citations":{"enabled":True}}},{"text":"What colour?"}]}]},src='botocore #3525')
good('images-20',{"messages":[{"role":"user","content":[img() for _ in range(20)]+[{"text":"x"}]}]})
good('documents-5',{"messages":[{"role":"user","content":[doc(f'Doc {i}') for i in range(5)]+[{"text":"x"}]}]})
good('cachepoints-4',{"messages":[{"role":"user","content":[{"text":"a"},{"cachePoint":{"type":"default"}},{"text":"b"},{"cachePoint":{"type":"default"}}]}],"system":[{"text":"s"},{"cachePoint":{"type":"default"}}],"toolConfig":{"tools":TOOLS["tools"]+[{"cachePoint":{"type":"default"}}]}},model='anthropic.claude-3-7-sonnet-20250219-v1:0')
good('cachepoint-1h-first',{"messages":[{"role":"user","content":[{"text":"a"},{"cachePoint":{"type":"default"}}]}],"system":[{"text":"s"},{"cachePoint":{"type":"default","ttl":"1h"}}]},model='anthropic.claude-sonnet-4-5-20250929-v1:0')
good('nova-system-cache',{"messages":[U()],"system":[{"text":"s"},{"cachePoint":{"type":"default"}}],"toolConfig":TOOLS},model=NOVA,src='LibreChat-AI/agents #253')
good('tool-loop',{"messages":[U(),{"role":"assistant","content":[{"text":"Let me check."},TU('a'),TU('b')]},{"role":"user","content":[TR('b'),TR('a')]},A('Done')],"toolConfig":TOOLS})
good('toolchoice-any-claude',{"messages":[U()],"toolConfig":{"tools":TOOLS["tools"],"toolChoice":{"any":{}}}})
good('toolchoice-tool-claude',{"messages":[U()],"toolConfig":{"tools":TOOLS["tools"],"toolChoice":{"tool":{"name":"get_weather"}}}})
good('stream-guardrail-mode',{"messages":[U()],"guardrailConfig":{"guardrailIdentifier":"abc","guardrailVersion":"DRAFT","streamProcessingMode":"async"}},op='ConverseStream')
good('stream-tools-claude',{"messages":[U()],"toolConfig":TOOLS},op='ConverseStream')
good('inference-bounds',{"messages":[U()],"inferenceConfig":{"maxTokens":4096,"temperature":1,"topP":0,"stopSequences":["END"]}})
good('request-metadata',{"messages":[U()],"requestMetadata":{"team":"search","user id":"a@b.c"}})
good('image-jpeg-declared-png-ok',{"messages":[{"role":"user","content":[img('png'),{"text":"describe"}]}]})
good('image-s3',{"messages":[{"role":"user","content":[{"image":{"format":"png","source":{"s3Location":{"uri":"s3://my-bucket/a.png","bucketOwner":"123456789012"}}}},{"text":"x"}]}]})
good('prompt-arn-no-messages',{"promptVariables":{"topic":{"text":"cats"}}},model='arn:aws:bedrock:us-east-1:123456789012:prompt/ABCDEFGHIJ:1')
good('counttokens-converse',{"input":{"converse":{"messages":[U()],"system":[{"text":"s"}]}}},op='CountTokens')
good('counttokens-invoke',{"input":{"invokeModel":{"body":base64.b64encode(b'{"prompt":"hi"}').decode()}}},op='CountTokens')
good('empty-body-stream-prefill',{"messages":[U(),A('Sure')]},op='ConverseStream')
good('system-role-tooladdition',{"messages":[U(),A(),{"role":"system","content":[{"toolAddition":{"tool":{"name":"get_weather"}}}]},U()],"toolConfig":TOOLS})
good('reasoning-history',{"messages":[U(),{"role":"assistant","content":[{"reasoningContent":{"reasoningText":{"text":"hmm","signature":"sig"}}},{"text":"x"}]},U()]},model='anthropic.claude-3-7-sonnet-20250219-v1:0')
good('seed-weather-fixed',{"messages":[U('查询北京现在的天气情况'),{"role":"assistant","content":[{"toolUse":{"toolUseId":"tooluse_abc","name":"Weather_Tool","input":{"latitude":39.9,"longitude":116.4}}}]},{"role":"user","content":[TR('tooluse_abc')]}],"system":[{"text":"你是一个天气助手"}],"toolConfig":{"tools":[{"toolSpec":{"name":"Weather_Tool","description":"获取指定位置的当前天气信息","inputSchema":{"json":{"type":"object"}}}}]}},model='anthropic.claude-3-sonnet-20240229-v1:0',src='seed 000, with the assistant turn appended')
# --- JSON documents that must be objects, tool input schemas
def TS(schema,extra=None):
    t=[{"toolSpec":{"name":"get_weather","inputSchema":{"json":schema}}}]
    return {"messages":[U()],"toolConfig":{"tools":(extra or [])+t}}
JSONOBJ='Provide a json object for the field and try again.'
for n,v in [('array',[]),('string','{"type":"object"}'),('number',42),('boolean',True),('null',None)]:
    bad('schema/json-'+n,TS(v),'The format of the value at toolConfig.tools.0.toolSpec.inputSchema.json is invalid. '+JSONOBJ,src='aws/aws-sdk-net #3377')
bad('schema/json-second-tool',TS([1],[TOOLS["tools"][0]]),'The format of the value at toolConfig.tools.1.toolSpec.inputSchema.json is invalid.',src='aws/aws-sdk-net #3377')
bad('schema/type-missing',TS({"properties":{"city":{"type":"string"}}}),'The value at toolConfig.tools.0.toolSpec.inputSchema.json.type must be one of the following: object.',src='earendil-works/pi #8279')
bad('schema/type-missing-anyof',TS({"anyOf":[{"type":"object"},{"type":"object"}]}),'The value at toolConfig.tools.0.toolSpec.inputSchema.json.type must be one of the following: object.',src='code-yeongyu/senpi #1947')
bad('schema/type-string',TS({"type":"string"}),'inputSchema.json.type must be one of the following: object.',src='ToolInputSchema doc: top level type must be object')
bad('schema/type-empty-object',TS({}),'inputSchema.json.type must be one of the following: object.',src='earendil-works/pi #8279')
bad('schema/properties-null',TS({"type":"object","properties":None}),'The json schema definition at toolConfig.tools.0.toolSpec.inputSchema is invalid. Fix the following errors and try again: $.properties: null found, object expected',src='aws/aws-sdk-net #3731')
bad('schema/properties-array',TS({"type":"object","properties":[],"required":[]}),'The json schema definition at toolConfig.tools.0.toolSpec.inputSchema is invalid. Fix the following errors and try again: $.properties: array found, object expected',src='aws/aws-sdk-php #2962')
bad('schema/required-string',TS({"type":"object","properties":{},"required":"city"}),'$.required: string found, array expected',src='by analogy with aws-sdk-net #3731')
bad('schema/counttokens-array',{"input":{"converse":{"messages":[U()],"toolConfig":{"tools":[{"toolSpec":{"name":"x","inputSchema":{"json":[]}}}]}}}},'The format of the value at toolConfig.tools.0.toolSpec.inputSchema.json is invalid.',op='CountTokens',src='aws/aws-sdk-net #3377')
bad('schema/stream-string',TS("x"),'inputSchema.json is invalid. '+JSONOBJ,op='ConverseStream',src='aws/aws-sdk-net #3377')
for n,v in [('array',[]),('string','foo'),('number',123),('true',True),('null',None)]:
    bad('toolresult/json-'+n,{"messages":[U(),{"role":"assistant","content":[TU()]},{"role":"user","content":[TR(content=[{"json":v}])]}],"toolConfig":TOOLS},'The format of the value at messages.2.content.0.toolResult.content.0.json is invalid. '+JSONOBJ,src='aws/aws-sdk-js-v3 #7330')
bad('toolresult/json-second-block',{"messages":[U(),{"role":"assistant","content":[TU('a'),TU('b')]},{"role":"user","content":[TR('a'),TR('b',content=[{"text":"ok"},{"json":[1,2]}])]}],"toolConfig":TOOLS},'The format of the value at messages.2.content.1.toolResult.content.1.json is invalid.',src='aws/aws-sdk-js-v3 #7330')
PALMYRA='writer.palmyra-x5-v1:0'
STATUS_TURNS=lambda st:{"messages":[U(),{"role":"assistant","content":[TU()]},{"role":"user","content":[{"toolResult":{"toolUseId":"t1","status":st,"content":[{"text":"20C"}]}}]}],"toolConfig":TOOLS}
bad('catalog/palmyra-status-success',STATUS_TURNS('success'),"This model doesn't support the status field. Remove status and try again.",model=PALMYRA,src='strands-agents/harness-sdk #393')
bad('catalog/palmyra-status-error',STATUS_TURNS('error'),"This model doesn't support the status field.",model='us.'+PALMYRA,src='strands-agents/harness-sdk #554')
bad('catalog/palmyra-stream-tools',{"messages":[U()],"toolConfig":TOOLS},"This model doesn't support tool use in streaming mode.",model='us.'+PALMYRA,op='ConverseStream',src='strands-agents/harness-sdk #393')
bad('catalog/claude-schema-oneof',TS({"type":"object","oneOf":[{"required":["a"]},{"required":["b"]}]}),'The model returned the following errors: tools.0.custom.input_schema: input_schema does not support oneOf, allOf, or anyOf at the top level',model='anthropic.claude-sonnet-4-5-20250929-v1:0',src='code-yeongyu/senpi #1947')
bad('catalog/claude-schema-allof-after-cachepoint',{"messages":[U()],"toolConfig":{"tools":[TOOLS["tools"][0],{"cachePoint":{"type":"default"}},{"toolSpec":{"name":"t2","inputSchema":{"json":{"type":"object","allOf":[{}]}}}}]}},'tools.1.custom.input_schema: input_schema does not support oneOf, allOf, or anyOf at the top level',model='anthropic.claude-sonnet-4-5-20250929-v1:0',src='code-yeongyu/senpi #1947 (cachePoint entries are not Anthropic tools)')
good('schema-empty-properties-required',TS({"type":"object","properties":{},"required":[]}),src='aws/aws-sdk-php #2962 (the fix: an empty object for properties)')
good('schema-nested-anyof',TS({"type":"object","properties":{"unit":{"anyOf":[{"type":"string"},{"type":"null"}]}}}))
good('schema-dialect-marker',TS({"$schema":"http://json-schema.org/draft-07/schema#","type":"object","additionalProperties":False}))
good('schema-oneof-nova',TS({"type":"object","oneOf":[{"required":["a"]},{"required":["b"]}]}),model=NOVA,src='code-yeongyu/senpi #1947: non-Anthropic models accept it')
good('toolresult-json-object',{"messages":[U(),{"role":"assistant","content":[TU()]},{"role":"user","content":[TR(content=[{"json":{}}])]}],"toolConfig":TOOLS},src='aws/aws-sdk-js-v3 #7330: an object succeeds')
good('toolresult-status-claude',STATUS_TURNS('error'),src='API reference ToolResultBlock.status')
good('toolresult-status-llama',STATUS_TURNS('success'),model='meta.llama3-1-70b-instruct-v1:0',src='langchain-aws #146')
good('toolresult-status-mistral',STATUS_TURNS('error'),model='mistral.mistral-large-2407-v1:0',src='langchain-aws #146')
good('palmyra-no-status',{"messages":[U(),{"role":"assistant","content":[TU()]},{"role":"user","content":[TR(content=[{"text":"20C"}])]}],"toolConfig":TOOLS},model=PALMYRA,src='strands-agents/harness-sdk #686 (status removed)')
# --- issue 16: requests the real service refuses that converse had answered
F=[
 ('placement/tooluse-in-user',{"messages":[{"role":"user","content":[{"text":"x"},TU()]}],"toolConfig":TOOLS},'messages.0.content.1 holds a toolUse block in a message with the role user','ours; ToolUseBlock doc (the model requests tools)'),
 ('placement/toolresult-in-assistant',{"messages":[U(),{"role":"assistant","content":[{"text":"ok"},TR()]},U()],"toolConfig":TOOLS},'messages.1.content.1 holds a toolResult block in a message with the role assistant','ours; ToolResultBlock doc'),
 ('placement/duplicate-tooluse-ids',{"messages":[U(),{"role":"assistant","content":[TU('a'),TU('a')]},{"role":"user","content":[TR('a')]}],"toolConfig":TOOLS},'The toolUse blocks in messages.1 contain duplicate Ids','issue 16 (real service: "...contain duplicate Ids")'),
 ('tools/duplicate-names',{"messages":[U()],"toolConfig":{"tools":TOOLS["tools"]*2}},'The model returned the following errors: tools: Tool names must be unique.','tailcallhq/forgecode #892; ding113/claude-code-hub #367'),
 ('tooluse/input-string',{"messages":[U(),{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"get_weather","input":'{"city":"Paris"}'}}]},{"role":"user","content":[TR()]}],"toolConfig":TOOLS},'The format of the value at messages.1.content.0.toolUse.input is invalid. Provide a json object for the field and try again.','wording of aws/aws-sdk-js-v3 #7330 for document members'),
 ('tooluse/input-array',{"messages":[U(),{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"get_weather","input":[1]}}]},{"role":"user","content":[TR()]}],"toolConfig":TOOLS},'messages.1.content.0.toolUse.input is invalid','aws/aws-sdk-js-v3 #7330'),
 ('fields/additional-request-fields-array',{"messages":[U()],"additionalModelRequestFields":[{"top_k":5}]},'The format of the value at additionalModelRequestFields is invalid. Provide a json object','API model doc; wording of aws-sdk-js-v3 #7330'),
 ('fields/additional-request-fields-string',{"messages":[U()],"additionalModelRequestFields":'{"top_k":5}'},'The format of the value at additionalModelRequestFields is invalid.',''),
 ('fields/response-field-paths-no-slash',{"messages":[U()],"additionalModelResponseFieldPaths":["stop_sequence"]},'additionalModelResponseFieldPaths.0 ("stop_sequence") is not a JSON Pointer: it must start with /','API model doc (JSON Pointer); digest §3.1'),
 ('fields/response-field-paths-bad-escape',{"messages":[U()],"additionalModelResponseFieldPaths":["/stop_sequence","/a~2b"]},'additionalModelResponseFieldPaths.1 ("/a~2b") is not a JSON Pointer','RFC 6901'),
 ('fields/unknown-top-level-member',{"messages":[U()],"temperature":0.5},'The request body has members the Converse API does not define: "temperature"','decision: docs/fields.md'),
 ('fields/unknown-top-level-snake-case',{"messages":[U()],"inference_config":{"maxTokens":5},"tool_config":{}},'members the Converse API does not define: "inference_config", "tool_config"','decision: docs/fields.md'),
]
for n,b,m,s in F:
    bad(n,b,m,src=s)
bad('fields/unknown-top-level-stream',{"messages":[U()],"stream":True},'members the Converse API does not define: "stream"',op='ConverseStream',src='decision: docs/fields.md')
S46='anthropic.claude-sonnet-4-5-20250929-v1:0'
bad('catalog/claude-extraneous-key',{"messages":[U()],"additionalModelRequestFields":{"chat_id":"abc"}},'The model returned the following errors: Malformed input request: #: extraneous key [chat_id] is not permitted, please reformat your input and try again.',model=S46,src='BerriAI/litellm #7416')
bad('catalog/claude-extraneous-key-stream',{"messages":[U()],"additionalModelRequestFields":{"top_k":5,"response_mime_type":"x"}},'extraneous key [response_mime_type] is not permitted',model='us.'+S46,op='ConverseStream',src='pingcap/autoflow #574')
bad('catalog/claude-system-conflict',{"messages":[U()],"system":[{"text":"be terse"}],"additionalModelRequestFields":{"system":"be terse"}},'The additional field system conflicts with an existing field.',model=S46,src='danny-avila/LibreChat #14246')
bad('catalog/claude-prefill-trailing-space',{"messages":[U(),A('The answer is ')]},'The model returned the following errors: messages: final assistant content cannot end with trailing whitespace',src='langchain-ai/langchain-aws #532, #599')
bad('catalog/claude-prefill-trailing-newline',{"messages":[U(),A('{\n')]},'final assistant content cannot end with trailing whitespace',op='ConverseStream',model=S46,src='langchain-ai/langchain-aws #532')
bad('catalog/context-window',{"messages":[U('hello '*6000)]},'The model returned the following errors: Input is too long for requested model.',model='amazon.titan-text-lite-v1',src='continuedev/continue #9592, #6005; aws-samples/bedrock-chat #95; window from the model card')
bad('catalog/context-window-stream',{"messages":[U('word '*5000),A('ok'),U('more '*5000)]},'Input is too long for requested model.',model='meta.llama3-8b-instruct-v1:0',op='ConverseStream',src='continuedev/continue #6005')
good('claude-known-request-fields',{"messages":[U()],"additionalModelRequestFields":{"top_k":50,"anthropic_beta":["interleaved-thinking-2025-05-14"]}},model=S46,src='AWS Claude Messages parameters')
good('claude-prefill-no-trailing-space',{"messages":[U(),A('The answer is')]},src='langchain-aws #599 (the fix: strip)')
good('nova-request-fields',{"messages":[U()],"additionalModelRequestFields":{"inferenceConfig":{"topK":20}}},model=NOVA,src='extraneous-key rule is Claude-only')
good('response-field-paths',{"messages":[U()],"additionalModelResponseFieldPaths":["/stop_sequence","/a~1b~0c"]},src='RFC 6901')
good('request-fields-null',{"messages":[U()],"additionalModelRequestFields":None})
good('project-identifier',{"messages":[U()],"projectIdentifier":"default"},src='bedrockruntime v1.64.0')
good('context-window-fits',{"messages":[U('hello '*3000)]},model='amazon.titan-text-lite-v1')
hdr={"format":"Each case: name; operation (Converse, ConverseStream or CountTokens); modelId (path member); body (the JSON request body exactly as an SDK sends it, without modelId) or rawBody (bytes as a string, for malformed JSON); for invalid cases exception (the exception type) and message (a substring of the message); source (where the rule or wording comes from, when known). Replay: POST /model/{modelId}/converse|converse-stream|count-tokens with the body.","generatedBy":"internal/wire/testdata/validation/gen.py"}
json.dump(dict(hdr,cases=inv),open(os.path.join(HERE,'invalid.json'),'w'),ensure_ascii=False,indent=1)
json.dump(dict(hdr,cases=val),open(os.path.join(HERE,'valid.json'),'w'),ensure_ascii=False,indent=1)
print(len(inv),len(val))
