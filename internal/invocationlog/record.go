package invocationlog

import (
	"encoding/json"
	"time"
)

// Schema names written in every record. The field names follow Amazon
// Bedrock's model invocation logs where the two overlap (schemaType,
// requestId, operation, modelId, input.inputBodyJson,
// input.inputTokenCount, output.outputBodyJson, errorCode …), so queries
// written for those logs work on these; what only a gateway knows (the
// principal, the backend, timings, the outcome) has names of its own.
const (
	SchemaType    = "ModelInvocationLog"
	SchemaVersion = "1.0"
)

// Record is one line of the log: one Converse or ConverseStream call.
type Record struct {
	SchemaType    string    `json:"schemaType"`
	SchemaVersion string    `json:"schemaVersion"`
	Timestamp     time.Time `json:"timestamp"`
	RequestID     string    `json:"requestId"`
	Operation     string    `json:"operation"`
	ModelID       string    `json:"modelId"`
	Identity      Identity  `json:"identity"`
	// Backend and UpstreamModelID say who answered, after routing and
	// fallbacks; empty when the call ended before reaching a backend.
	Backend         string `json:"backend,omitempty"`
	UpstreamModelID string `json:"upstreamModelId,omitempty"`
	// Outcome is "ok", the Bedrock exception type the client received, or
	// "cancelled" when the client went away first. ErrorCode repeats a
	// failure's exception type under Bedrock's name for it.
	Outcome    string `json:"outcome"`
	ErrorCode  string `json:"errorCode,omitempty"`
	HTTPStatus int    `json:"httpStatus,omitempty"`
	Timing     Timing `json:"timing"`
	// RequestMetadata is the request's requestMetadata, the key-value pairs
	// Bedrock's invocation logs keep for filtering; ProjectIdentifier the
	// request's projectIdentifier (absent: the default project).
	RequestMetadata   map[string]string `json:"requestMetadata,omitempty"`
	ProjectIdentifier string            `json:"projectIdentifier,omitempty"`
	Input             Input             `json:"input"`
	Output            Output            `json:"output"`
	// UsageEstimated marks token counts converse counted offline because
	// the backend reported none.
	UsageEstimated bool `json:"usageEstimated,omitempty"`
}

// Identity is who called. It never holds credentials.
type Identity struct {
	Principal string `json:"principal,omitempty"`
}

// Timing is measured by the server from the request's arrival.
type Timing struct {
	// TotalMs runs until the last byte of the answer was written.
	TotalMs float64 `json:"totalMs"`
	// TimeToFirstTokenMs is, for streams, the time until the first
	// content delta was written; absent for Converse and for streams that
	// produced none.
	TimeToFirstTokenMs *float64 `json:"timeToFirstTokenMs,omitempty"`
}

// Input is the request side: its body (when bodies are logged) and the
// input token counts the answer reported.
type Input struct {
	InputContentType string `json:"inputContentType"`
	// InputBodyJSON is the request body with media bytes redacted; when it
	// would exceed the configured size, InputBodyTruncated holds its
	// beginning instead and InputBodyBytes its full size.
	InputBodyJSON             json.RawMessage `json:"inputBodyJson,omitempty"`
	InputBodyTruncated        string          `json:"inputBodyTruncated,omitempty"`
	InputBodyBytes            int             `json:"inputBodyBytes,omitempty"`
	InputTokenCount           int             `json:"inputTokenCount"`
	CacheReadInputTokenCount  int             `json:"cacheReadInputTokenCount"`
	CacheWriteInputTokenCount int             `json:"cacheWriteInputTokenCount"`
}

// Output is the answer: for Converse the response body, for ConverseStream
// the array of events as sent, and the output token count.
type Output struct {
	OutputContentType   string          `json:"outputContentType,omitempty"`
	OutputBodyJSON      json.RawMessage `json:"outputBodyJson,omitempty"`
	OutputBodyTruncated string          `json:"outputBodyTruncated,omitempty"`
	OutputBodyBytes     int             `json:"outputBodyBytes,omitempty"`
	OutputTokenCount    int             `json:"outputTokenCount"`
}
