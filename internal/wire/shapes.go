// Code bootstrapped from the Bedrock Runtime API model (2023-09-30) and maintained by hand.
// wire_model_test.go checks it against testdata/bedrock-runtime.service-2.json.

package wire

import "encoding/json"

// Document is a JSON value carried verbatim (the model's document type).
type Document = json.RawMessage

// ConverseRequest is the API model shape of the same name.
type ConverseRequest struct {
	ModelID         string                  `json:"-"` // from the URI path
	Messages        []Message               `json:"messages,omitempty"`
	System          []SystemContentBlock    `json:"system,omitempty"`
	InferenceConfig *InferenceConfiguration `json:"inferenceConfig,omitempty"`
	ToolConfig      *ToolConfiguration      `json:"toolConfig,omitempty"`
	// GuardrailConfig is the stream variant (a superset of GuardrailConfiguration)
	// so that one type carries both operations; Validate rejects
	// streamProcessingMode on Converse.
	GuardrailConfig                   *GuardrailStreamConfiguration   `json:"guardrailConfig,omitempty"`
	AdditionalModelRequestFields      Document                        `json:"additionalModelRequestFields,omitempty"`
	PromptVariables                   map[string]PromptVariableValues `json:"promptVariables,omitempty"`
	AdditionalModelResponseFieldPaths []string                        `json:"additionalModelResponseFieldPaths,omitempty"`
	RequestMetadata                   map[string]string               `json:"requestMetadata,omitempty"`
	PerformanceConfig                 *PerformanceConfiguration       `json:"performanceConfig,omitempty"`
	ServiceTier                       *ServiceTier                    `json:"serviceTier,omitempty"`
	OutputConfig                      *OutputConfig                   `json:"outputConfig,omitempty"`
	ProjectIdentifier                 string                          `json:"projectIdentifier,omitempty"`
}

// Message is the API model shape of the same name.
type Message struct {
	Role    ConversationRole `json:"role"`
	Content []ContentBlock   `json:"content"`
}

// ContentBlock is the API model shape of the same name (union: exactly one member is set).
type ContentBlock struct {
	Text             *string                        `json:"text,omitempty"`
	Image            *ImageBlock                    `json:"image,omitempty"`
	Document         *DocumentBlock                 `json:"document,omitempty"`
	Video            *VideoBlock                    `json:"video,omitempty"`
	Audio            *AudioBlock                    `json:"audio,omitempty"`
	ToolUse          *ToolUseBlock                  `json:"toolUse,omitempty"`
	ToolResult       *ToolResultBlock               `json:"toolResult,omitempty"`
	GuardContent     *GuardrailConverseContentBlock `json:"guardContent,omitempty"`
	CachePoint       *CachePointBlock               `json:"cachePoint,omitempty"`
	ReasoningContent *ReasoningContentBlock         `json:"reasoningContent,omitempty"`
	CitationsContent *CitationsContentBlock         `json:"citationsContent,omitempty"`
	SearchResult     *SearchResultBlock             `json:"searchResult,omitempty"`
	ToolAddition     *ToolAdditionBlock             `json:"toolAddition,omitempty"`
	ToolRemoval      *ToolRemovalBlock              `json:"toolRemoval,omitempty"`
}

// ImageBlock is the API model shape of the same name.
type ImageBlock struct {
	Format ImageFormat  `json:"format"`
	Source *ImageSource `json:"source,omitempty"`
	Error  *ErrorBlock  `json:"error,omitempty"`
}

// ImageSource is the API model shape of the same name (union: exactly one member is set).
type ImageSource struct {
	Bytes      []byte      `json:"bytes,omitempty"`
	S3Location *S3Location `json:"s3Location,omitempty"`
}

// S3Location is the API model shape of the same name.
type S3Location struct {
	URI         string `json:"uri"`
	BucketOwner string `json:"bucketOwner,omitempty"`
}

// ErrorBlock is the API model shape of the same name.
type ErrorBlock struct {
	Message string `json:"message,omitempty"`
}

// DocumentBlock is the API model shape of the same name.
type DocumentBlock struct {
	Format    DocumentFormat   `json:"format,omitempty"`
	Name      string           `json:"name"`
	Source    *DocumentSource  `json:"source,omitempty"`
	Context   string           `json:"context,omitempty"`
	Citations *CitationsConfig `json:"citations,omitempty"`
}

// DocumentSource is the API model shape of the same name (union: exactly one member is set).
type DocumentSource struct {
	Bytes      []byte                 `json:"bytes,omitempty"`
	S3Location *S3Location            `json:"s3Location,omitempty"`
	Text       *string                `json:"text,omitempty"`
	Content    []DocumentContentBlock `json:"content,omitempty"`
}

// DocumentContentBlock is the API model shape of the same name (union: exactly one member is set).
type DocumentContentBlock struct {
	Text *string `json:"text,omitempty"`
}

// CitationsConfig is the API model shape of the same name.
type CitationsConfig struct {
	Enabled bool `json:"enabled"`
}

// VideoBlock is the API model shape of the same name.
type VideoBlock struct {
	Format VideoFormat  `json:"format"`
	Source *VideoSource `json:"source,omitempty"`
}

// VideoSource is the API model shape of the same name (union: exactly one member is set).
type VideoSource struct {
	Bytes      []byte      `json:"bytes,omitempty"`
	S3Location *S3Location `json:"s3Location,omitempty"`
}

// AudioBlock is the API model shape of the same name.
type AudioBlock struct {
	Format AudioFormat  `json:"format"`
	Source *AudioSource `json:"source,omitempty"`
	Error  *ErrorBlock  `json:"error,omitempty"`
}

// AudioSource is the API model shape of the same name (union: exactly one member is set).
type AudioSource struct {
	Bytes      []byte      `json:"bytes,omitempty"`
	S3Location *S3Location `json:"s3Location,omitempty"`
}

// ToolUseBlock is the API model shape of the same name.
type ToolUseBlock struct {
	ToolUseID string      `json:"toolUseId"`
	Name      string      `json:"name"`
	Input     Document    `json:"input,omitempty"`
	Type      ToolUseType `json:"type,omitempty"`
}

// ToolResultBlock is the API model shape of the same name.
type ToolResultBlock struct {
	ToolUseID string                   `json:"toolUseId"`
	Content   []ToolResultContentBlock `json:"content"`
	Status    ToolResultStatus         `json:"status,omitempty"`
	Type      string                   `json:"type,omitempty"`
}

// ToolResultContentBlock is the API model shape of the same name (union: exactly one member is set).
type ToolResultContentBlock struct {
	JSON         Document           `json:"json,omitempty"`
	Text         *string            `json:"text,omitempty"`
	Image        *ImageBlock        `json:"image,omitempty"`
	Document     *DocumentBlock     `json:"document,omitempty"`
	Video        *VideoBlock        `json:"video,omitempty"`
	SearchResult *SearchResultBlock `json:"searchResult,omitempty"`
}

// SearchResultBlock is the API model shape of the same name.
type SearchResultBlock struct {
	Source    string                     `json:"source"`
	Title     string                     `json:"title"`
	Content   []SearchResultContentBlock `json:"content"`
	Citations *CitationsConfig           `json:"citations,omitempty"`
}

// SearchResultContentBlock is the API model shape of the same name.
type SearchResultContentBlock struct {
	Text string `json:"text"`
}

// GuardrailConverseContentBlock is the API model shape of the same name (union: exactly one member is set).
type GuardrailConverseContentBlock struct {
	Text  *GuardrailConverseTextBlock  `json:"text,omitempty"`
	Image *GuardrailConverseImageBlock `json:"image,omitempty"`
}

// GuardrailConverseTextBlock is the API model shape of the same name.
type GuardrailConverseTextBlock struct {
	Text       string                              `json:"text"`
	Qualifiers []GuardrailConverseContentQualifier `json:"qualifiers,omitempty"`
}

// GuardrailConverseImageBlock is the API model shape of the same name.
type GuardrailConverseImageBlock struct {
	Format GuardrailConverseImageFormat  `json:"format"`
	Source *GuardrailConverseImageSource `json:"source,omitempty"`
}

// GuardrailConverseImageSource is the API model shape of the same name (union: exactly one member is set).
type GuardrailConverseImageSource struct {
	Bytes []byte `json:"bytes,omitempty"`
}

// CachePointBlock is the API model shape of the same name.
type CachePointBlock struct {
	Type CachePointType `json:"type"`
	TTL  CacheTTL       `json:"ttl,omitempty"`
}

// ReasoningContentBlock is the API model shape of the same name (union: exactly one member is set).
type ReasoningContentBlock struct {
	ReasoningText   *ReasoningTextBlock `json:"reasoningText,omitempty"`
	RedactedContent []byte              `json:"redactedContent,omitempty"`
}

// ReasoningTextBlock is the API model shape of the same name.
type ReasoningTextBlock struct {
	Text      string `json:"text"`
	Signature string `json:"signature,omitempty"`
}

// CitationsContentBlock is the API model shape of the same name.
type CitationsContentBlock struct {
	Content   []CitationGeneratedContent `json:"content,omitempty"`
	Citations []Citation                 `json:"citations,omitempty"`
}

// CitationGeneratedContent is the API model shape of the same name (union: exactly one member is set).
type CitationGeneratedContent struct {
	Text *string `json:"text,omitempty"`
}

// Citation is the API model shape of the same name.
type Citation struct {
	Title         string                  `json:"title,omitempty"`
	Source        string                  `json:"source,omitempty"`
	SourceContent []CitationSourceContent `json:"sourceContent,omitempty"`
	Location      *CitationLocation       `json:"location,omitempty"`
}

// CitationSourceContent is the API model shape of the same name (union: exactly one member is set).
type CitationSourceContent struct {
	Text *string `json:"text,omitempty"`
}

// CitationLocation is the API model shape of the same name (union: exactly one member is set).
type CitationLocation struct {
	Web                  *WebLocation           `json:"web,omitempty"`
	DocumentChar         *DocumentCharLocation  `json:"documentChar,omitempty"`
	DocumentPage         *DocumentPageLocation  `json:"documentPage,omitempty"`
	DocumentChunk        *DocumentChunkLocation `json:"documentChunk,omitempty"`
	SearchResultLocation *SearchResultLocation  `json:"searchResultLocation,omitempty"`
}

// WebLocation is the API model shape of the same name.
type WebLocation struct {
	URL    string `json:"url,omitempty"`
	Domain string `json:"domain,omitempty"`
}

// DocumentCharLocation is the API model shape of the same name.
type DocumentCharLocation struct {
	DocumentIndex *int `json:"documentIndex,omitempty"`
	Start         *int `json:"start,omitempty"`
	End           *int `json:"end,omitempty"`
}

// DocumentPageLocation is the API model shape of the same name.
type DocumentPageLocation struct {
	DocumentIndex *int `json:"documentIndex,omitempty"`
	Start         *int `json:"start,omitempty"`
	End           *int `json:"end,omitempty"`
}

// DocumentChunkLocation is the API model shape of the same name.
type DocumentChunkLocation struct {
	DocumentIndex *int `json:"documentIndex,omitempty"`
	Start         *int `json:"start,omitempty"`
	End           *int `json:"end,omitempty"`
}

// SearchResultLocation is the API model shape of the same name.
type SearchResultLocation struct {
	SearchResultIndex *int `json:"searchResultIndex,omitempty"`
	Start             *int `json:"start,omitempty"`
	End               *int `json:"end,omitempty"`
}

// ToolAdditionBlock is the API model shape of the same name.
type ToolAdditionBlock struct {
	Tool *ToolReference `json:"tool,omitempty"`
}

// ToolReference is the API model shape of the same name.
type ToolReference struct {
	Type       string `json:"type,omitempty"`
	Name       string `json:"name,omitempty"`
	ServerName string `json:"serverName,omitempty"`
}

// ToolRemovalBlock is the API model shape of the same name.
type ToolRemovalBlock struct {
	Tool *ToolReference `json:"tool,omitempty"`
}

// SystemContentBlock is the API model shape of the same name (union: exactly one member is set).
type SystemContentBlock struct {
	Text         *string                        `json:"text,omitempty"`
	GuardContent *GuardrailConverseContentBlock `json:"guardContent,omitempty"`
	CachePoint   *CachePointBlock               `json:"cachePoint,omitempty"`
}

// InferenceConfiguration is the API model shape of the same name.
type InferenceConfiguration struct {
	MaxTokens     *int     `json:"maxTokens,omitempty"`
	Temperature   *float32 `json:"temperature,omitempty"`
	TopP          *float32 `json:"topP,omitempty"`
	StopSequences []string `json:"stopSequences,omitempty"`
}

// ToolConfiguration is the API model shape of the same name.
type ToolConfiguration struct {
	Tools      []Tool      `json:"tools"`
	ToolChoice *ToolChoice `json:"toolChoice,omitempty"`
}

// Tool is the API model shape of the same name (union: exactly one member is set).
type Tool struct {
	ToolSpec   *ToolSpecification `json:"toolSpec,omitempty"`
	SystemTool *SystemTool        `json:"systemTool,omitempty"`
	CachePoint *CachePointBlock   `json:"cachePoint,omitempty"`
}

// ToolSpecification is the API model shape of the same name.
type ToolSpecification struct {
	Name        string           `json:"name"`
	Description *string          `json:"description,omitempty"`
	InputSchema *ToolInputSchema `json:"inputSchema,omitempty"`
	Strict      *bool            `json:"strict,omitempty"`
}

// ToolInputSchema is the API model shape of the same name (union: exactly one member is set).
type ToolInputSchema struct {
	JSON Document `json:"json,omitempty"`
}

// SystemTool is the API model shape of the same name.
type SystemTool struct {
	Name string `json:"name"`
}

// ToolChoice is the API model shape of the same name (union: exactly one member is set).
type ToolChoice struct {
	Auto *AutoToolChoice     `json:"auto,omitempty"`
	Any  *AnyToolChoice      `json:"any,omitempty"`
	Tool *SpecificToolChoice `json:"tool,omitempty"`
}

// AutoToolChoice is the API model shape of the same name.
type AutoToolChoice struct {
}

// AnyToolChoice is the API model shape of the same name.
type AnyToolChoice struct {
}

// SpecificToolChoice is the API model shape of the same name.
type SpecificToolChoice struct {
	Name string `json:"name"`
}

// GuardrailConfiguration is the API model shape of the same name.
type GuardrailConfiguration struct {
	GuardrailIdentifier string         `json:"guardrailIdentifier,omitempty"`
	GuardrailVersion    string         `json:"guardrailVersion,omitempty"`
	Trace               GuardrailTrace `json:"trace,omitempty"`
}

// PromptVariableValues is the API model shape of the same name (union: exactly one member is set).
type PromptVariableValues struct {
	Text *string `json:"text,omitempty"`
}

// PerformanceConfiguration is the API model shape of the same name.
type PerformanceConfiguration struct {
	Latency PerformanceConfigLatency `json:"latency,omitempty"`
}

// ServiceTier is the API model shape of the same name.
type ServiceTier struct {
	Type ServiceTierType `json:"type"`
}

// OutputConfig is the API model shape of the same name.
type OutputConfig struct {
	TextFormat *OutputFormat `json:"textFormat,omitempty"`
	Effort     string        `json:"effort,omitempty"`
}

// OutputFormat is the API model shape of the same name.
type OutputFormat struct {
	Type      OutputFormatType       `json:"type"`
	Structure *OutputFormatStructure `json:"structure,omitempty"`
}

// OutputFormatStructure is the API model shape of the same name (union: exactly one member is set).
type OutputFormatStructure struct {
	JSONSchema *JsonSchemaDefinition `json:"jsonSchema,omitempty"`
}

// JsonSchemaDefinition is the API model shape of the same name.
type JsonSchemaDefinition struct {
	Schema      string `json:"schema"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
}

// ConverseResponse is the API model shape of the same name.
type ConverseResponse struct {
	Output                        *ConverseOutput           `json:"output,omitempty"`
	StopReason                    StopReason                `json:"stopReason"`
	Usage                         *TokenUsage               `json:"usage,omitempty"`
	Metrics                       *ConverseMetrics          `json:"metrics,omitempty"`
	AdditionalModelResponseFields Document                  `json:"additionalModelResponseFields,omitempty"`
	Trace                         *ConverseTrace            `json:"trace,omitempty"`
	PerformanceConfig             *PerformanceConfiguration `json:"performanceConfig,omitempty"`
	ServiceTier                   *ServiceTier              `json:"serviceTier,omitempty"`
}

// ConverseOutput is the API model shape of the same name (union: exactly one member is set).
type ConverseOutput struct {
	Message *Message `json:"message,omitempty"`
}

// TokenUsage is the API model shape of the same name.
type TokenUsage struct {
	InputTokens           int           `json:"inputTokens"`
	OutputTokens          int           `json:"outputTokens"`
	TotalTokens           int           `json:"totalTokens"`
	CacheReadInputTokens  *int          `json:"cacheReadInputTokens,omitempty"`
	CacheWriteInputTokens *int          `json:"cacheWriteInputTokens,omitempty"`
	CacheDetails          []CacheDetail `json:"cacheDetails,omitempty"`
}

// CacheDetail is the API model shape of the same name.
type CacheDetail struct {
	TTL         CacheTTL `json:"ttl"`
	InputTokens int      `json:"inputTokens"`
}

// ConverseMetrics is the API model shape of the same name.
type ConverseMetrics struct {
	LatencyMs int64 `json:"latencyMs"`
}

// ConverseTrace is the API model shape of the same name.
type ConverseTrace struct {
	Guardrail    *GuardrailTraceAssessment `json:"guardrail,omitempty"`
	PromptRouter *PromptRouterTrace        `json:"promptRouter,omitempty"`
}

// GuardrailTraceAssessment is the API model shape of the same name.
type GuardrailTraceAssessment struct {
	ModelOutput       []string                         `json:"modelOutput,omitzero"` // [] when traced with nothing to show, as Bedrock sends it
	InputAssessment   map[string]GuardrailAssessment   `json:"inputAssessment,omitempty"`
	OutputAssessments map[string][]GuardrailAssessment `json:"outputAssessments,omitempty"`
	ActionReason      string                           `json:"actionReason,omitempty"`
}

// GuardrailAssessment is the API model shape of the same name.
type GuardrailAssessment struct {
	TopicPolicy                *GuardrailTopicPolicyAssessment                `json:"topicPolicy,omitempty"`
	ContentPolicy              *GuardrailContentPolicyAssessment              `json:"contentPolicy,omitempty"`
	WordPolicy                 *GuardrailWordPolicyAssessment                 `json:"wordPolicy,omitempty"`
	SensitiveInformationPolicy *GuardrailSensitiveInformationPolicyAssessment `json:"sensitiveInformationPolicy,omitempty"`
	ContextualGroundingPolicy  *GuardrailContextualGroundingPolicyAssessment  `json:"contextualGroundingPolicy,omitempty"`
	AutomatedReasoningPolicy   *GuardrailAutomatedReasoningPolicyAssessment   `json:"automatedReasoningPolicy,omitempty"`
	InvocationMetrics          *GuardrailInvocationMetrics                    `json:"invocationMetrics,omitempty"`
	AppliedGuardrailDetails    *AppliedGuardrailDetails                       `json:"appliedGuardrailDetails,omitempty"`
}

// GuardrailTopicPolicyAssessment is the API model shape of the same name.
type GuardrailTopicPolicyAssessment struct {
	Topics []GuardrailTopic `json:"topics"`
}

// GuardrailTopic is the API model shape of the same name.
type GuardrailTopic struct {
	Name     string                     `json:"name"`
	Type     GuardrailTopicType         `json:"type"`
	Action   GuardrailTopicPolicyAction `json:"action"`
	Detected *bool                      `json:"detected,omitempty"`
}

// GuardrailContentPolicyAssessment is the API model shape of the same name.
type GuardrailContentPolicyAssessment struct {
	Filters []GuardrailContentFilter `json:"filters"`
}

// GuardrailContentFilter is the API model shape of the same name.
type GuardrailContentFilter struct {
	Type           GuardrailContentFilterType       `json:"type"`
	Confidence     GuardrailContentFilterConfidence `json:"confidence"`
	FilterStrength GuardrailContentFilterStrength   `json:"filterStrength,omitempty"`
	Action         GuardrailContentPolicyAction     `json:"action"`
	Detected       *bool                            `json:"detected,omitempty"`
}

// GuardrailWordPolicyAssessment is the API model shape of the same name.
type GuardrailWordPolicyAssessment struct {
	CustomWords      []GuardrailCustomWord  `json:"customWords"`
	ManagedWordLists []GuardrailManagedWord `json:"managedWordLists"`
}

// GuardrailCustomWord is the API model shape of the same name.
type GuardrailCustomWord struct {
	Match    string                    `json:"match"`
	Action   GuardrailWordPolicyAction `json:"action"`
	Detected *bool                     `json:"detected,omitempty"`
}

// GuardrailManagedWord is the API model shape of the same name.
type GuardrailManagedWord struct {
	Match    string                    `json:"match"`
	Type     GuardrailManagedWordType  `json:"type"`
	Action   GuardrailWordPolicyAction `json:"action"`
	Detected *bool                     `json:"detected,omitempty"`
}

// GuardrailSensitiveInformationPolicyAssessment is the API model shape of the same name.
type GuardrailSensitiveInformationPolicyAssessment struct {
	PIIEntities []GuardrailPiiEntityFilter `json:"piiEntities"`
	Regexes     []GuardrailRegexFilter     `json:"regexes"`
}

// GuardrailPiiEntityFilter is the API model shape of the same name.
type GuardrailPiiEntityFilter struct {
	Match    string                                    `json:"match"`
	Type     GuardrailPiiEntityType                    `json:"type"`
	Action   GuardrailSensitiveInformationPolicyAction `json:"action"`
	Detected *bool                                     `json:"detected,omitempty"`
}

// GuardrailRegexFilter is the API model shape of the same name.
type GuardrailRegexFilter struct {
	Name     string                                    `json:"name,omitempty"`
	Match    string                                    `json:"match,omitempty"`
	Regex    string                                    `json:"regex,omitempty"`
	Action   GuardrailSensitiveInformationPolicyAction `json:"action"`
	Detected *bool                                     `json:"detected,omitempty"`
}

// GuardrailContextualGroundingPolicyAssessment is the API model shape of the same name.
type GuardrailContextualGroundingPolicyAssessment struct {
	Filters []GuardrailContextualGroundingFilter `json:"filters,omitempty"`
}

// GuardrailContextualGroundingFilter is the API model shape of the same name.
type GuardrailContextualGroundingFilter struct {
	Type      GuardrailContextualGroundingFilterType   `json:"type"`
	Threshold float64                                  `json:"threshold"`
	Score     float64                                  `json:"score"`
	Action    GuardrailContextualGroundingPolicyAction `json:"action"`
	Detected  *bool                                    `json:"detected,omitempty"`
}

// GuardrailAutomatedReasoningPolicyAssessment is the API model shape of the same name.
type GuardrailAutomatedReasoningPolicyAssessment struct {
	Findings []GuardrailAutomatedReasoningFinding `json:"findings,omitempty"`
}

// GuardrailAutomatedReasoningFinding is the API model shape of the same name (union: exactly one member is set).
type GuardrailAutomatedReasoningFinding struct {
	Valid                *GuardrailAutomatedReasoningValidFinding                `json:"valid,omitempty"`
	Invalid              *GuardrailAutomatedReasoningInvalidFinding              `json:"invalid,omitempty"`
	Satisfiable          *GuardrailAutomatedReasoningSatisfiableFinding          `json:"satisfiable,omitempty"`
	Impossible           *GuardrailAutomatedReasoningImpossibleFinding           `json:"impossible,omitempty"`
	TranslationAmbiguous *GuardrailAutomatedReasoningTranslationAmbiguousFinding `json:"translationAmbiguous,omitempty"`
	TooComplex           *GuardrailAutomatedReasoningTooComplexFinding           `json:"tooComplex,omitempty"`
	NoTranslations       *GuardrailAutomatedReasoningNoTranslationsFinding       `json:"noTranslations,omitempty"`
}

// GuardrailAutomatedReasoningValidFinding is the API model shape of the same name.
type GuardrailAutomatedReasoningValidFinding struct {
	Translation        *GuardrailAutomatedReasoningTranslation  `json:"translation,omitempty"`
	ClaimsTrueScenario *GuardrailAutomatedReasoningScenario     `json:"claimsTrueScenario,omitempty"`
	SupportingRules    []GuardrailAutomatedReasoningRule        `json:"supportingRules,omitempty"`
	LogicWarning       *GuardrailAutomatedReasoningLogicWarning `json:"logicWarning,omitempty"`
}

// GuardrailAutomatedReasoningTranslation is the API model shape of the same name.
type GuardrailAutomatedReasoningTranslation struct {
	Premises             []GuardrailAutomatedReasoningStatement          `json:"premises,omitempty"`
	Claims               []GuardrailAutomatedReasoningStatement          `json:"claims,omitempty"`
	UntranslatedPremises []GuardrailAutomatedReasoningInputTextReference `json:"untranslatedPremises,omitempty"`
	UntranslatedClaims   []GuardrailAutomatedReasoningInputTextReference `json:"untranslatedClaims,omitempty"`
	Confidence           *float64                                        `json:"confidence,omitempty"`
}

// GuardrailAutomatedReasoningStatement is the API model shape of the same name.
type GuardrailAutomatedReasoningStatement struct {
	Logic           string `json:"logic,omitempty"`
	NaturalLanguage string `json:"naturalLanguage,omitempty"`
}

// GuardrailAutomatedReasoningInputTextReference is the API model shape of the same name.
type GuardrailAutomatedReasoningInputTextReference struct {
	Text string `json:"text,omitempty"`
}

// GuardrailAutomatedReasoningScenario is the API model shape of the same name.
type GuardrailAutomatedReasoningScenario struct {
	Statements []GuardrailAutomatedReasoningStatement `json:"statements,omitempty"`
}

// GuardrailAutomatedReasoningRule is the API model shape of the same name.
type GuardrailAutomatedReasoningRule struct {
	Identifier       string `json:"identifier,omitempty"`
	PolicyVersionARN string `json:"policyVersionArn,omitempty"`
}

// GuardrailAutomatedReasoningLogicWarning is the API model shape of the same name.
type GuardrailAutomatedReasoningLogicWarning struct {
	Type     GuardrailAutomatedReasoningLogicWarningType `json:"type,omitempty"`
	Premises []GuardrailAutomatedReasoningStatement      `json:"premises,omitempty"`
	Claims   []GuardrailAutomatedReasoningStatement      `json:"claims,omitempty"`
}

// GuardrailAutomatedReasoningInvalidFinding is the API model shape of the same name.
type GuardrailAutomatedReasoningInvalidFinding struct {
	Translation        *GuardrailAutomatedReasoningTranslation  `json:"translation,omitempty"`
	ContradictingRules []GuardrailAutomatedReasoningRule        `json:"contradictingRules,omitempty"`
	LogicWarning       *GuardrailAutomatedReasoningLogicWarning `json:"logicWarning,omitempty"`
}

// GuardrailAutomatedReasoningSatisfiableFinding is the API model shape of the same name.
type GuardrailAutomatedReasoningSatisfiableFinding struct {
	Translation         *GuardrailAutomatedReasoningTranslation  `json:"translation,omitempty"`
	ClaimsTrueScenario  *GuardrailAutomatedReasoningScenario     `json:"claimsTrueScenario,omitempty"`
	ClaimsFalseScenario *GuardrailAutomatedReasoningScenario     `json:"claimsFalseScenario,omitempty"`
	LogicWarning        *GuardrailAutomatedReasoningLogicWarning `json:"logicWarning,omitempty"`
}

// GuardrailAutomatedReasoningImpossibleFinding is the API model shape of the same name.
type GuardrailAutomatedReasoningImpossibleFinding struct {
	Translation        *GuardrailAutomatedReasoningTranslation  `json:"translation,omitempty"`
	ContradictingRules []GuardrailAutomatedReasoningRule        `json:"contradictingRules,omitempty"`
	LogicWarning       *GuardrailAutomatedReasoningLogicWarning `json:"logicWarning,omitempty"`
}

// GuardrailAutomatedReasoningTranslationAmbiguousFinding is the API model shape of the same name.
type GuardrailAutomatedReasoningTranslationAmbiguousFinding struct {
	Options             []GuardrailAutomatedReasoningTranslationOption `json:"options,omitempty"`
	DifferenceScenarios []GuardrailAutomatedReasoningScenario          `json:"differenceScenarios,omitempty"`
}

// GuardrailAutomatedReasoningTranslationOption is the API model shape of the same name.
type GuardrailAutomatedReasoningTranslationOption struct {
	Translations []GuardrailAutomatedReasoningTranslation `json:"translations,omitempty"`
}

// GuardrailAutomatedReasoningTooComplexFinding is the API model shape of the same name.
type GuardrailAutomatedReasoningTooComplexFinding struct {
}

// GuardrailAutomatedReasoningNoTranslationsFinding is the API model shape of the same name.
type GuardrailAutomatedReasoningNoTranslationsFinding struct {
}

// GuardrailInvocationMetrics is the API model shape of the same name.
type GuardrailInvocationMetrics struct {
	GuardrailProcessingLatency *int64             `json:"guardrailProcessingLatency,omitempty"`
	Usage                      *GuardrailUsage    `json:"usage,omitempty"`
	GuardrailCoverage          *GuardrailCoverage `json:"guardrailCoverage,omitempty"`
}

// GuardrailUsage is the API model shape of the same name.
type GuardrailUsage struct {
	TopicPolicyUnits                    int  `json:"topicPolicyUnits"`
	ContentPolicyUnits                  int  `json:"contentPolicyUnits"`
	WordPolicyUnits                     int  `json:"wordPolicyUnits"`
	SensitiveInformationPolicyUnits     int  `json:"sensitiveInformationPolicyUnits"`
	SensitiveInformationPolicyFreeUnits int  `json:"sensitiveInformationPolicyFreeUnits"`
	ContextualGroundingPolicyUnits      int  `json:"contextualGroundingPolicyUnits"`
	ContentPolicyImageUnits             *int `json:"contentPolicyImageUnits,omitempty"`
	AutomatedReasoningPolicyUnits       *int `json:"automatedReasoningPolicyUnits,omitempty"`
	AutomatedReasoningPolicies          *int `json:"automatedReasoningPolicies,omitempty"`
}

// GuardrailCoverage is the API model shape of the same name.
type GuardrailCoverage struct {
	TextCharacters *GuardrailTextCharactersCoverage `json:"textCharacters,omitempty"`
	Images         *GuardrailImageCoverage          `json:"images,omitempty"`
}

// GuardrailTextCharactersCoverage is the API model shape of the same name.
type GuardrailTextCharactersCoverage struct {
	Guarded *int `json:"guarded,omitempty"`
	Total   *int `json:"total,omitempty"`
}

// GuardrailImageCoverage is the API model shape of the same name.
type GuardrailImageCoverage struct {
	Guarded *int `json:"guarded,omitempty"`
	Total   *int `json:"total,omitempty"`
}

// AppliedGuardrailDetails is the API model shape of the same name.
type AppliedGuardrailDetails struct {
	GuardrailID        string             `json:"guardrailId,omitempty"`
	GuardrailVersion   string             `json:"guardrailVersion,omitempty"`
	GuardrailARN       string             `json:"guardrailArn,omitempty"`
	GuardrailOrigin    []GuardrailOrigin  `json:"guardrailOrigin,omitempty"`
	GuardrailOwnership GuardrailOwnership `json:"guardrailOwnership,omitempty"`
}

// PromptRouterTrace is the API model shape of the same name.
type PromptRouterTrace struct {
	InvokedModelID string `json:"invokedModelId,omitempty"`
}

// ConverseStreamRequest is identical to ConverseRequest on the wire except for
// the guardrail configuration, which ConverseRequest already carries in its
// stream form.
type ConverseStreamRequest = ConverseRequest

// GuardrailStreamConfiguration is the API model shape of the same name.
type GuardrailStreamConfiguration struct {
	GuardrailIdentifier  string                        `json:"guardrailIdentifier,omitempty"`
	GuardrailVersion     string                        `json:"guardrailVersion,omitempty"`
	Trace                GuardrailTrace                `json:"trace,omitempty"`
	StreamProcessingMode GuardrailStreamProcessingMode `json:"streamProcessingMode,omitempty"`
}

// ConverseStreamResponse is the API model shape of the same name.
type ConverseStreamResponse struct {
	Stream *ConverseStreamOutput `json:"stream,omitempty"`
}

// ConverseStreamOutput is the API model shape of the same name (union: exactly one member is set).
type ConverseStreamOutput struct {
	MessageStart                *MessageStartEvent           `json:"messageStart,omitempty"`
	ContentBlockStart           *ContentBlockStartEvent      `json:"contentBlockStart,omitempty"`
	ContentBlockDelta           *ContentBlockDeltaEvent      `json:"contentBlockDelta,omitempty"`
	ContentBlockStop            *ContentBlockStopEvent       `json:"contentBlockStop,omitempty"`
	MessageStop                 *MessageStopEvent            `json:"messageStop,omitempty"`
	Metadata                    *ConverseStreamMetadataEvent `json:"metadata,omitempty"`
	InternalServerException     *Exception                   `json:"internalServerException,omitempty"`
	ModelStreamErrorException   *Exception                   `json:"modelStreamErrorException,omitempty"`
	ValidationException         *Exception                   `json:"validationException,omitempty"`
	ThrottlingException         *Exception                   `json:"throttlingException,omitempty"`
	ServiceUnavailableException *Exception                   `json:"serviceUnavailableException,omitempty"`
}

// MessageStartEvent is the API model shape of the same name.
type MessageStartEvent struct {
	Role ConversationRole `json:"role"`
}

// ContentBlockStartEvent is the API model shape of the same name.
type ContentBlockStartEvent struct {
	Start             *ContentBlockStart `json:"start,omitempty"`
	ContentBlockIndex int                `json:"contentBlockIndex"`
}

// ContentBlockStart is the API model shape of the same name (union: exactly one member is set).
type ContentBlockStart struct {
	ToolUse    *ToolUseBlockStart    `json:"toolUse,omitempty"`
	ToolResult *ToolResultBlockStart `json:"toolResult,omitempty"`
	Image      *ImageBlockStart      `json:"image,omitempty"`
}

// ToolUseBlockStart is the API model shape of the same name.
type ToolUseBlockStart struct {
	ToolUseID string      `json:"toolUseId"`
	Name      string      `json:"name"`
	Type      ToolUseType `json:"type,omitempty"`
}

// ToolResultBlockStart is the API model shape of the same name.
type ToolResultBlockStart struct {
	ToolUseID string           `json:"toolUseId"`
	Type      string           `json:"type,omitempty"`
	Status    ToolResultStatus `json:"status,omitempty"`
}

// ImageBlockStart is the API model shape of the same name.
type ImageBlockStart struct {
	Format ImageFormat `json:"format"`
}

// ContentBlockDeltaEvent is the API model shape of the same name.
type ContentBlockDeltaEvent struct {
	Delta             *ContentBlockDelta `json:"delta,omitempty"`
	ContentBlockIndex int                `json:"contentBlockIndex"`
}

// ContentBlockDelta is the API model shape of the same name (union: exactly one member is set).
type ContentBlockDelta struct {
	Text             *string                     `json:"text,omitempty"`
	ToolUse          *ToolUseBlockDelta          `json:"toolUse,omitempty"`
	ToolResult       []ToolResultBlockDelta      `json:"toolResult,omitempty"`
	ReasoningContent *ReasoningContentBlockDelta `json:"reasoningContent,omitempty"`
	Citation         *CitationsDelta             `json:"citation,omitempty"`
	Image            *ImageBlockDelta            `json:"image,omitempty"`
}

// ToolUseBlockDelta is the API model shape of the same name.
type ToolUseBlockDelta struct {
	Input string `json:"input"`
}

// ToolResultBlockDelta is the API model shape of the same name (union: exactly one member is set).
type ToolResultBlockDelta struct {
	Text *string  `json:"text,omitempty"`
	JSON Document `json:"json,omitempty"`
}

// ReasoningContentBlockDelta is the API model shape of the same name (union: exactly one member is set).
type ReasoningContentBlockDelta struct {
	Text            *string `json:"text,omitempty"`
	RedactedContent []byte  `json:"redactedContent,omitempty"`
	Signature       *string `json:"signature,omitempty"`
}

// CitationsDelta is the API model shape of the same name.
type CitationsDelta struct {
	Title         string                       `json:"title,omitempty"`
	Source        string                       `json:"source,omitempty"`
	SourceContent []CitationSourceContentDelta `json:"sourceContent,omitempty"`
	Location      *CitationLocation            `json:"location,omitempty"`
}

// CitationSourceContentDelta is the API model shape of the same name.
type CitationSourceContentDelta struct {
	Text string `json:"text,omitempty"`
}

// ImageBlockDelta is the API model shape of the same name.
type ImageBlockDelta struct {
	Source *ImageSource `json:"source,omitempty"`
	Error  *ErrorBlock  `json:"error,omitempty"`
}

// ContentBlockStopEvent is the API model shape of the same name.
type ContentBlockStopEvent struct {
	ContentBlockIndex int `json:"contentBlockIndex"`
}

// MessageStopEvent is the API model shape of the same name.
type MessageStopEvent struct {
	StopReason                    StopReason `json:"stopReason"`
	AdditionalModelResponseFields Document   `json:"additionalModelResponseFields,omitempty"`
}

// ConverseStreamMetadataEvent is the API model shape of the same name.
type ConverseStreamMetadataEvent struct {
	Usage             *TokenUsage               `json:"usage,omitempty"`
	Metrics           *ConverseStreamMetrics    `json:"metrics,omitempty"`
	Trace             *ConverseStreamTrace      `json:"trace,omitempty"`
	PerformanceConfig *PerformanceConfiguration `json:"performanceConfig,omitempty"`
	ServiceTier       *ServiceTier              `json:"serviceTier,omitempty"`
}

// ConverseStreamMetrics is the API model shape of the same name.
type ConverseStreamMetrics struct {
	LatencyMs int64 `json:"latencyMs"`
}

// ConverseStreamTrace is the API model shape of the same name.
type ConverseStreamTrace struct {
	Guardrail    *GuardrailTraceAssessment `json:"guardrail,omitempty"`
	PromptRouter *PromptRouterTrace        `json:"promptRouter,omitempty"`
}

// CountTokensRequest is the API model shape of the same name.
type CountTokensRequest struct {
	ModelID string            `json:"-"` // from the URI path
	Input   *CountTokensInput `json:"input,omitempty"`
}

// CountTokensInput is the API model shape of the same name (union: exactly one member is set).
type CountTokensInput struct {
	InvokeModel *InvokeModelTokensRequest `json:"invokeModel,omitempty"`
	Converse    *ConverseTokensRequest    `json:"converse,omitempty"`
}

// InvokeModelTokensRequest is the API model shape of the same name.
type InvokeModelTokensRequest struct {
	Body []byte `json:"body"`
}

// ConverseTokensRequest is the API model shape of the same name.
type ConverseTokensRequest struct {
	Messages                     []Message            `json:"messages,omitempty"`
	System                       []SystemContentBlock `json:"system,omitempty"`
	ToolConfig                   *ToolConfiguration   `json:"toolConfig,omitempty"`
	AdditionalModelRequestFields Document             `json:"additionalModelRequestFields,omitempty"`
}

// CountTokensResponse is the API model shape of the same name.
type CountTokensResponse struct {
	InputTokens int `json:"inputTokens"`
}

// ConversationRole is the API model enum of the same name.
type ConversationRole string

const (
	ConversationRoleUser      ConversationRole = "user"
	ConversationRoleAssistant ConversationRole = "assistant"
	ConversationRoleSystem    ConversationRole = "system"
)

// Values lists every value the API model defines for ConversationRole.
func (ConversationRole) Values() []ConversationRole {
	return []ConversationRole{"user", "assistant", "system"}
}

// ImageFormat is the API model enum of the same name.
type ImageFormat string

const (
	ImageFormatPng  ImageFormat = "png"
	ImageFormatJpeg ImageFormat = "jpeg"
	ImageFormatGif  ImageFormat = "gif"
	ImageFormatWebp ImageFormat = "webp"
)

// Values lists every value the API model defines for ImageFormat.
func (ImageFormat) Values() []ImageFormat {
	return []ImageFormat{"png", "jpeg", "gif", "webp"}
}

// DocumentFormat is the API model enum of the same name.
type DocumentFormat string

const (
	DocumentFormatPdf  DocumentFormat = "pdf"
	DocumentFormatCsv  DocumentFormat = "csv"
	DocumentFormatDoc  DocumentFormat = "doc"
	DocumentFormatDocx DocumentFormat = "docx"
	DocumentFormatXls  DocumentFormat = "xls"
	DocumentFormatXlsx DocumentFormat = "xlsx"
	DocumentFormatHtml DocumentFormat = "html"
	DocumentFormatTxt  DocumentFormat = "txt"
	DocumentFormatMd   DocumentFormat = "md"
)

// Values lists every value the API model defines for DocumentFormat.
func (DocumentFormat) Values() []DocumentFormat {
	return []DocumentFormat{"pdf", "csv", "doc", "docx", "xls", "xlsx", "html", "txt", "md"}
}

// VideoFormat is the API model enum of the same name.
type VideoFormat string

const (
	VideoFormatMkv     VideoFormat = "mkv"
	VideoFormatMov     VideoFormat = "mov"
	VideoFormatMp4     VideoFormat = "mp4"
	VideoFormatWebm    VideoFormat = "webm"
	VideoFormatFlv     VideoFormat = "flv"
	VideoFormatMpeg    VideoFormat = "mpeg"
	VideoFormatMpg     VideoFormat = "mpg"
	VideoFormatWmv     VideoFormat = "wmv"
	VideoFormatThreeGp VideoFormat = "three_gp"
)

// Values lists every value the API model defines for VideoFormat.
func (VideoFormat) Values() []VideoFormat {
	return []VideoFormat{"mkv", "mov", "mp4", "webm", "flv", "mpeg", "mpg", "wmv", "three_gp"}
}

// AudioFormat is the API model enum of the same name.
type AudioFormat string

const (
	AudioFormatMp3  AudioFormat = "mp3"
	AudioFormatOpus AudioFormat = "opus"
	AudioFormatWav  AudioFormat = "wav"
	AudioFormatAac  AudioFormat = "aac"
	AudioFormatFlac AudioFormat = "flac"
	AudioFormatMp4  AudioFormat = "mp4"
	AudioFormatOgg  AudioFormat = "ogg"
	AudioFormatMkv  AudioFormat = "mkv"
	AudioFormatMka  AudioFormat = "mka"
	AudioFormatXAac AudioFormat = "x-aac"
	AudioFormatM4a  AudioFormat = "m4a"
	AudioFormatMpeg AudioFormat = "mpeg"
	AudioFormatMpga AudioFormat = "mpga"
	AudioFormatPcm  AudioFormat = "pcm"
	AudioFormatWebm AudioFormat = "webm"
)

// Values lists every value the API model defines for AudioFormat.
func (AudioFormat) Values() []AudioFormat {
	return []AudioFormat{"mp3", "opus", "wav", "aac", "flac", "mp4", "ogg", "mkv", "mka", "x-aac", "m4a", "mpeg", "mpga", "pcm", "webm"}
}

// ToolUseType is the API model enum of the same name.
type ToolUseType string

const (
	ToolUseTypeServerToolUse ToolUseType = "server_tool_use"
)

// Values lists every value the API model defines for ToolUseType.
func (ToolUseType) Values() []ToolUseType {
	return []ToolUseType{"server_tool_use"}
}

// ToolResultStatus is the API model enum of the same name.
type ToolResultStatus string

const (
	ToolResultStatusSuccess ToolResultStatus = "success"
	ToolResultStatusError   ToolResultStatus = "error"
)

// Values lists every value the API model defines for ToolResultStatus.
func (ToolResultStatus) Values() []ToolResultStatus {
	return []ToolResultStatus{"success", "error"}
}

// GuardrailConverseContentQualifier is the API model enum of the same name.
type GuardrailConverseContentQualifier string

const (
	GuardrailConverseContentQualifierGroundingSource GuardrailConverseContentQualifier = "grounding_source"
	GuardrailConverseContentQualifierQuery           GuardrailConverseContentQualifier = "query"
	GuardrailConverseContentQualifierGuardContent    GuardrailConverseContentQualifier = "guard_content"
)

// Values lists every value the API model defines for GuardrailConverseContentQualifier.
func (GuardrailConverseContentQualifier) Values() []GuardrailConverseContentQualifier {
	return []GuardrailConverseContentQualifier{"grounding_source", "query", "guard_content"}
}

// GuardrailConverseImageFormat is the API model enum of the same name.
type GuardrailConverseImageFormat string

const (
	GuardrailConverseImageFormatPng  GuardrailConverseImageFormat = "png"
	GuardrailConverseImageFormatJpeg GuardrailConverseImageFormat = "jpeg"
)

// Values lists every value the API model defines for GuardrailConverseImageFormat.
func (GuardrailConverseImageFormat) Values() []GuardrailConverseImageFormat {
	return []GuardrailConverseImageFormat{"png", "jpeg"}
}

// CachePointType is the API model enum of the same name.
type CachePointType string

const (
	CachePointTypeDefault CachePointType = "default"
)

// Values lists every value the API model defines for CachePointType.
func (CachePointType) Values() []CachePointType {
	return []CachePointType{"default"}
}

// CacheTTL is the API model enum of the same name.
type CacheTTL string

const (
	CacheTTL5m CacheTTL = "5m"
	CacheTTL1h CacheTTL = "1h"
)

// Values lists every value the API model defines for CacheTTL.
func (CacheTTL) Values() []CacheTTL {
	return []CacheTTL{"5m", "1h"}
}

// GuardrailTrace is the API model enum of the same name.
type GuardrailTrace string

const (
	GuardrailTraceEnabled     GuardrailTrace = "enabled"
	GuardrailTraceDisabled    GuardrailTrace = "disabled"
	GuardrailTraceEnabledFull GuardrailTrace = "enabled_full"
)

// Values lists every value the API model defines for GuardrailTrace.
func (GuardrailTrace) Values() []GuardrailTrace {
	return []GuardrailTrace{"enabled", "disabled", "enabled_full"}
}

// PerformanceConfigLatency is the API model enum of the same name.
type PerformanceConfigLatency string

const (
	PerformanceConfigLatencyStandard  PerformanceConfigLatency = "standard"
	PerformanceConfigLatencyOptimized PerformanceConfigLatency = "optimized"
)

// Values lists every value the API model defines for PerformanceConfigLatency.
func (PerformanceConfigLatency) Values() []PerformanceConfigLatency {
	return []PerformanceConfigLatency{"standard", "optimized"}
}

// ServiceTierType is the API model enum of the same name.
type ServiceTierType string

const (
	ServiceTierTypePriority ServiceTierType = "priority"
	ServiceTierTypeDefault  ServiceTierType = "default"
	ServiceTierTypeFlex     ServiceTierType = "flex"
	ServiceTierTypeReserved ServiceTierType = "reserved"
)

// Values lists every value the API model defines for ServiceTierType.
func (ServiceTierType) Values() []ServiceTierType {
	return []ServiceTierType{"priority", "default", "flex", "reserved"}
}

// OutputFormatType is the API model enum of the same name.
type OutputFormatType string

const (
	OutputFormatTypeJSONSchema OutputFormatType = "json_schema"
)

// Values lists every value the API model defines for OutputFormatType.
func (OutputFormatType) Values() []OutputFormatType {
	return []OutputFormatType{"json_schema"}
}

// StopReason is the API model enum of the same name.
type StopReason string

const (
	StopReasonEndTurn                    StopReason = "end_turn"
	StopReasonToolUse                    StopReason = "tool_use"
	StopReasonMaxTokens                  StopReason = "max_tokens"
	StopReasonStopSequence               StopReason = "stop_sequence"
	StopReasonGuardrailIntervened        StopReason = "guardrail_intervened"
	StopReasonContentFiltered            StopReason = "content_filtered"
	StopReasonMalformedModelOutput       StopReason = "malformed_model_output"
	StopReasonMalformedToolUse           StopReason = "malformed_tool_use"
	StopReasonModelContextWindowExceeded StopReason = "model_context_window_exceeded"
)

// Values lists every value the API model defines for StopReason.
func (StopReason) Values() []StopReason {
	return []StopReason{"end_turn", "tool_use", "max_tokens", "stop_sequence", "guardrail_intervened", "content_filtered", "malformed_model_output", "malformed_tool_use", "model_context_window_exceeded"}
}

// GuardrailTopicType is the API model enum of the same name.
type GuardrailTopicType string

const (
	GuardrailTopicTypeDENY GuardrailTopicType = "DENY"
)

// Values lists every value the API model defines for GuardrailTopicType.
func (GuardrailTopicType) Values() []GuardrailTopicType {
	return []GuardrailTopicType{"DENY"}
}

// GuardrailTopicPolicyAction is the API model enum of the same name.
type GuardrailTopicPolicyAction string

const (
	GuardrailTopicPolicyActionBLOCKED GuardrailTopicPolicyAction = "BLOCKED"
	GuardrailTopicPolicyActionNONE    GuardrailTopicPolicyAction = "NONE"
)

// Values lists every value the API model defines for GuardrailTopicPolicyAction.
func (GuardrailTopicPolicyAction) Values() []GuardrailTopicPolicyAction {
	return []GuardrailTopicPolicyAction{"BLOCKED", "NONE"}
}

// GuardrailContentFilterType is the API model enum of the same name.
type GuardrailContentFilterType string

const (
	GuardrailContentFilterTypeINSULTS      GuardrailContentFilterType = "INSULTS"
	GuardrailContentFilterTypeHATE         GuardrailContentFilterType = "HATE"
	GuardrailContentFilterTypeSEXUAL       GuardrailContentFilterType = "SEXUAL"
	GuardrailContentFilterTypeVIOLENCE     GuardrailContentFilterType = "VIOLENCE"
	GuardrailContentFilterTypeMISCONDUCT   GuardrailContentFilterType = "MISCONDUCT"
	GuardrailContentFilterTypePROMPTATTACK GuardrailContentFilterType = "PROMPT_ATTACK"
)

// Values lists every value the API model defines for GuardrailContentFilterType.
func (GuardrailContentFilterType) Values() []GuardrailContentFilterType {
	return []GuardrailContentFilterType{"INSULTS", "HATE", "SEXUAL", "VIOLENCE", "MISCONDUCT", "PROMPT_ATTACK"}
}

// GuardrailContentFilterConfidence is the API model enum of the same name.
type GuardrailContentFilterConfidence string

const (
	GuardrailContentFilterConfidenceNONE   GuardrailContentFilterConfidence = "NONE"
	GuardrailContentFilterConfidenceLOW    GuardrailContentFilterConfidence = "LOW"
	GuardrailContentFilterConfidenceMEDIUM GuardrailContentFilterConfidence = "MEDIUM"
	GuardrailContentFilterConfidenceHIGH   GuardrailContentFilterConfidence = "HIGH"
)

// Values lists every value the API model defines for GuardrailContentFilterConfidence.
func (GuardrailContentFilterConfidence) Values() []GuardrailContentFilterConfidence {
	return []GuardrailContentFilterConfidence{"NONE", "LOW", "MEDIUM", "HIGH"}
}

// GuardrailContentFilterStrength is the API model enum of the same name.
type GuardrailContentFilterStrength string

const (
	GuardrailContentFilterStrengthNONE   GuardrailContentFilterStrength = "NONE"
	GuardrailContentFilterStrengthLOW    GuardrailContentFilterStrength = "LOW"
	GuardrailContentFilterStrengthMEDIUM GuardrailContentFilterStrength = "MEDIUM"
	GuardrailContentFilterStrengthHIGH   GuardrailContentFilterStrength = "HIGH"
)

// Values lists every value the API model defines for GuardrailContentFilterStrength.
func (GuardrailContentFilterStrength) Values() []GuardrailContentFilterStrength {
	return []GuardrailContentFilterStrength{"NONE", "LOW", "MEDIUM", "HIGH"}
}

// GuardrailContentPolicyAction is the API model enum of the same name.
type GuardrailContentPolicyAction string

const (
	GuardrailContentPolicyActionBLOCKED GuardrailContentPolicyAction = "BLOCKED"
	GuardrailContentPolicyActionNONE    GuardrailContentPolicyAction = "NONE"
)

// Values lists every value the API model defines for GuardrailContentPolicyAction.
func (GuardrailContentPolicyAction) Values() []GuardrailContentPolicyAction {
	return []GuardrailContentPolicyAction{"BLOCKED", "NONE"}
}

// GuardrailWordPolicyAction is the API model enum of the same name.
type GuardrailWordPolicyAction string

const (
	GuardrailWordPolicyActionBLOCKED GuardrailWordPolicyAction = "BLOCKED"
	GuardrailWordPolicyActionNONE    GuardrailWordPolicyAction = "NONE"
)

// Values lists every value the API model defines for GuardrailWordPolicyAction.
func (GuardrailWordPolicyAction) Values() []GuardrailWordPolicyAction {
	return []GuardrailWordPolicyAction{"BLOCKED", "NONE"}
}

// GuardrailManagedWordType is the API model enum of the same name.
type GuardrailManagedWordType string

const (
	GuardrailManagedWordTypePROFANITY GuardrailManagedWordType = "PROFANITY"
)

// Values lists every value the API model defines for GuardrailManagedWordType.
func (GuardrailManagedWordType) Values() []GuardrailManagedWordType {
	return []GuardrailManagedWordType{"PROFANITY"}
}

// GuardrailPiiEntityType is the API model enum of the same name.
type GuardrailPiiEntityType string

const (
	GuardrailPiiEntityTypeADDRESS                             GuardrailPiiEntityType = "ADDRESS"
	GuardrailPiiEntityTypeAGE                                 GuardrailPiiEntityType = "AGE"
	GuardrailPiiEntityTypeAWSACCESSKEY                        GuardrailPiiEntityType = "AWS_ACCESS_KEY"
	GuardrailPiiEntityTypeAWSSECRETKEY                        GuardrailPiiEntityType = "AWS_SECRET_KEY"
	GuardrailPiiEntityTypeCAHEALTHNUMBER                      GuardrailPiiEntityType = "CA_HEALTH_NUMBER"
	GuardrailPiiEntityTypeCASOCIALINSURANCENUMBER             GuardrailPiiEntityType = "CA_SOCIAL_INSURANCE_NUMBER"
	GuardrailPiiEntityTypeCREDITDEBITCARDCVV                  GuardrailPiiEntityType = "CREDIT_DEBIT_CARD_CVV"
	GuardrailPiiEntityTypeCREDITDEBITCARDEXPIRY               GuardrailPiiEntityType = "CREDIT_DEBIT_CARD_EXPIRY"
	GuardrailPiiEntityTypeCREDITDEBITCARDNUMBER               GuardrailPiiEntityType = "CREDIT_DEBIT_CARD_NUMBER"
	GuardrailPiiEntityTypeDRIVERID                            GuardrailPiiEntityType = "DRIVER_ID"
	GuardrailPiiEntityTypeEMAIL                               GuardrailPiiEntityType = "EMAIL"
	GuardrailPiiEntityTypeINTERNATIONALBANKACCOUNTNUMBER      GuardrailPiiEntityType = "INTERNATIONAL_BANK_ACCOUNT_NUMBER"
	GuardrailPiiEntityTypeIPADDRESS                           GuardrailPiiEntityType = "IP_ADDRESS"
	GuardrailPiiEntityTypeLICENSEPLATE                        GuardrailPiiEntityType = "LICENSE_PLATE"
	GuardrailPiiEntityTypeMACADDRESS                          GuardrailPiiEntityType = "MAC_ADDRESS"
	GuardrailPiiEntityTypeNAME                                GuardrailPiiEntityType = "NAME"
	GuardrailPiiEntityTypePASSWORD                            GuardrailPiiEntityType = "PASSWORD"
	GuardrailPiiEntityTypePHONE                               GuardrailPiiEntityType = "PHONE"
	GuardrailPiiEntityTypePIN                                 GuardrailPiiEntityType = "PIN"
	GuardrailPiiEntityTypeSWIFTCODE                           GuardrailPiiEntityType = "SWIFT_CODE"
	GuardrailPiiEntityTypeUKNATIONALHEALTHSERVICENUMBER       GuardrailPiiEntityType = "UK_NATIONAL_HEALTH_SERVICE_NUMBER"
	GuardrailPiiEntityTypeUKNATIONALINSURANCENUMBER           GuardrailPiiEntityType = "UK_NATIONAL_INSURANCE_NUMBER"
	GuardrailPiiEntityTypeUKUNIQUETAXPAYERREFERENCENUMBER     GuardrailPiiEntityType = "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER"
	GuardrailPiiEntityTypeURL                                 GuardrailPiiEntityType = "URL"
	GuardrailPiiEntityTypeUSERNAME                            GuardrailPiiEntityType = "USERNAME"
	GuardrailPiiEntityTypeUSBANKACCOUNTNUMBER                 GuardrailPiiEntityType = "US_BANK_ACCOUNT_NUMBER"
	GuardrailPiiEntityTypeUSBANKROUTINGNUMBER                 GuardrailPiiEntityType = "US_BANK_ROUTING_NUMBER"
	GuardrailPiiEntityTypeUSINDIVIDUALTAXIDENTIFICATIONNUMBER GuardrailPiiEntityType = "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER"
	GuardrailPiiEntityTypeUSPASSPORTNUMBER                    GuardrailPiiEntityType = "US_PASSPORT_NUMBER"
	GuardrailPiiEntityTypeUSSOCIALSECURITYNUMBER              GuardrailPiiEntityType = "US_SOCIAL_SECURITY_NUMBER"
	GuardrailPiiEntityTypeVEHICLEIDENTIFICATIONNUMBER         GuardrailPiiEntityType = "VEHICLE_IDENTIFICATION_NUMBER"
)

// Values lists every value the API model defines for GuardrailPiiEntityType.
func (GuardrailPiiEntityType) Values() []GuardrailPiiEntityType {
	return []GuardrailPiiEntityType{"ADDRESS", "AGE", "AWS_ACCESS_KEY", "AWS_SECRET_KEY", "CA_HEALTH_NUMBER", "CA_SOCIAL_INSURANCE_NUMBER", "CREDIT_DEBIT_CARD_CVV", "CREDIT_DEBIT_CARD_EXPIRY", "CREDIT_DEBIT_CARD_NUMBER", "DRIVER_ID", "EMAIL", "INTERNATIONAL_BANK_ACCOUNT_NUMBER", "IP_ADDRESS", "LICENSE_PLATE", "MAC_ADDRESS", "NAME", "PASSWORD", "PHONE", "PIN", "SWIFT_CODE", "UK_NATIONAL_HEALTH_SERVICE_NUMBER", "UK_NATIONAL_INSURANCE_NUMBER", "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER", "URL", "USERNAME", "US_BANK_ACCOUNT_NUMBER", "US_BANK_ROUTING_NUMBER", "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", "US_PASSPORT_NUMBER", "US_SOCIAL_SECURITY_NUMBER", "VEHICLE_IDENTIFICATION_NUMBER"}
}

// GuardrailSensitiveInformationPolicyAction is the API model enum of the same name.
type GuardrailSensitiveInformationPolicyAction string

const (
	GuardrailSensitiveInformationPolicyActionANONYMIZED GuardrailSensitiveInformationPolicyAction = "ANONYMIZED"
	GuardrailSensitiveInformationPolicyActionBLOCKED    GuardrailSensitiveInformationPolicyAction = "BLOCKED"
	GuardrailSensitiveInformationPolicyActionNONE       GuardrailSensitiveInformationPolicyAction = "NONE"
)

// Values lists every value the API model defines for GuardrailSensitiveInformationPolicyAction.
func (GuardrailSensitiveInformationPolicyAction) Values() []GuardrailSensitiveInformationPolicyAction {
	return []GuardrailSensitiveInformationPolicyAction{"ANONYMIZED", "BLOCKED", "NONE"}
}

// GuardrailContextualGroundingFilterType is the API model enum of the same name.
type GuardrailContextualGroundingFilterType string

const (
	GuardrailContextualGroundingFilterTypeGROUNDING GuardrailContextualGroundingFilterType = "GROUNDING"
	GuardrailContextualGroundingFilterTypeRELEVANCE GuardrailContextualGroundingFilterType = "RELEVANCE"
)

// Values lists every value the API model defines for GuardrailContextualGroundingFilterType.
func (GuardrailContextualGroundingFilterType) Values() []GuardrailContextualGroundingFilterType {
	return []GuardrailContextualGroundingFilterType{"GROUNDING", "RELEVANCE"}
}

// GuardrailContextualGroundingPolicyAction is the API model enum of the same name.
type GuardrailContextualGroundingPolicyAction string

const (
	GuardrailContextualGroundingPolicyActionBLOCKED GuardrailContextualGroundingPolicyAction = "BLOCKED"
	GuardrailContextualGroundingPolicyActionNONE    GuardrailContextualGroundingPolicyAction = "NONE"
)

// Values lists every value the API model defines for GuardrailContextualGroundingPolicyAction.
func (GuardrailContextualGroundingPolicyAction) Values() []GuardrailContextualGroundingPolicyAction {
	return []GuardrailContextualGroundingPolicyAction{"BLOCKED", "NONE"}
}

// GuardrailAutomatedReasoningLogicWarningType is the API model enum of the same name.
type GuardrailAutomatedReasoningLogicWarningType string

const (
	GuardrailAutomatedReasoningLogicWarningTypeALWAYSFALSE GuardrailAutomatedReasoningLogicWarningType = "ALWAYS_FALSE"
	GuardrailAutomatedReasoningLogicWarningTypeALWAYSTRUE  GuardrailAutomatedReasoningLogicWarningType = "ALWAYS_TRUE"
)

// Values lists every value the API model defines for GuardrailAutomatedReasoningLogicWarningType.
func (GuardrailAutomatedReasoningLogicWarningType) Values() []GuardrailAutomatedReasoningLogicWarningType {
	return []GuardrailAutomatedReasoningLogicWarningType{"ALWAYS_FALSE", "ALWAYS_TRUE"}
}

// GuardrailOrigin is the API model enum of the same name.
type GuardrailOrigin string

const (
	GuardrailOriginREQUEST              GuardrailOrigin = "REQUEST"
	GuardrailOriginACCOUNTENFORCED      GuardrailOrigin = "ACCOUNT_ENFORCED"
	GuardrailOriginORGANIZATIONENFORCED GuardrailOrigin = "ORGANIZATION_ENFORCED"
)

// Values lists every value the API model defines for GuardrailOrigin.
func (GuardrailOrigin) Values() []GuardrailOrigin {
	return []GuardrailOrigin{"REQUEST", "ACCOUNT_ENFORCED", "ORGANIZATION_ENFORCED"}
}

// GuardrailOwnership is the API model enum of the same name.
type GuardrailOwnership string

const (
	GuardrailOwnershipSELF         GuardrailOwnership = "SELF"
	GuardrailOwnershipCROSSACCOUNT GuardrailOwnership = "CROSS_ACCOUNT"
)

// Values lists every value the API model defines for GuardrailOwnership.
func (GuardrailOwnership) Values() []GuardrailOwnership {
	return []GuardrailOwnership{"SELF", "CROSS_ACCOUNT"}
}

// GuardrailStreamProcessingMode is the API model enum of the same name.
type GuardrailStreamProcessingMode string

const (
	GuardrailStreamProcessingModeSync  GuardrailStreamProcessingMode = "sync"
	GuardrailStreamProcessingModeAsync GuardrailStreamProcessingMode = "async"
)

// Values lists every value the API model defines for GuardrailStreamProcessingMode.
func (GuardrailStreamProcessingMode) Values() []GuardrailStreamProcessingMode {
	return []GuardrailStreamProcessingMode{"sync", "async"}
}
