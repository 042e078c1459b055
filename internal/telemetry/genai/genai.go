// Package genai names spans and attributes after the OpenTelemetry GenAI
// semantic conventions (semconv 1.41, the last release that carries the
// gen_ai namespace): span names, gen_ai.* request, response and usage
// attributes, and the closed set of error.type values converse reports.
// The server and the router use it; it knows nothing of either.
package genai

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"

	"github.com/conversekit/converse/internal/wire"
)

// SchemaURL is the semantic-conventions version the attributes follow.
const SchemaURL = semconv.SchemaURL

// OperationChat is gen_ai.operation.name for Converse and ConverseStream.
const OperationChat = "chat"

// Well-known gen_ai.provider.name values, and converse's own for the
// built-in model (the conventions allow a custom value where none applies).
const (
	ProviderBedrock   = "aws.bedrock"
	ProviderOpenAI    = "openai"
	ProviderAnthropic = "anthropic"
	ProviderConverse  = "converse"
	// ProviderUnknown labels a backend whose kind nobody told us.
	ProviderUnknown = "unknown"
)

// SpanName is "{gen_ai.operation.name} {gen_ai.request.model}".
func SpanName(model string) string {
	if model == "" {
		return OperationChat
	}
	return OperationChat + " " + model
}

// Chat returns the attributes a chat span carries from its start, which
// samplers may look at: operation, provider and requested model.
func Chat(provider, model string) []attribute.KeyValue {
	return []attribute.KeyValue{
		semconv.GenAIOperationNameChat,
		semconv.GenAIProviderNameKey.String(provider),
		semconv.GenAIRequestModel(model),
	}
}

// Request returns the request's sampling parameters and whether it streams.
func Request(req *wire.ConverseRequest, stream bool) []attribute.KeyValue {
	var out []attribute.KeyValue
	if stream {
		out = append(out, semconv.GenAIRequestStream(true))
	}
	if req == nil || req.InferenceConfig == nil {
		return out
	}
	ic := req.InferenceConfig
	if ic.MaxTokens != nil {
		out = append(out, semconv.GenAIRequestMaxTokens(*ic.MaxTokens))
	}
	if ic.Temperature != nil {
		out = append(out, semconv.GenAIRequestTemperature(float64(*ic.Temperature)))
	}
	if ic.TopP != nil {
		out = append(out, semconv.GenAIRequestTopP(float64(*ic.TopP)))
	}
	if len(ic.StopSequences) > 0 {
		out = append(out, semconv.GenAIRequestStopSequences(ic.StopSequences...))
	}
	return out
}

// Response returns the usage, finish reason and answering model of a
// finished call; u may be nil and stop or model empty.
//
// Bedrock reports cache reads and writes beside inputTokens; the
// conventions count them inside gen_ai.usage.input_tokens, so they are
// added to it and also reported on their own.
func Response(u *wire.TokenUsage, stop wire.StopReason, model string) []attribute.KeyValue {
	out := make([]attribute.KeyValue, 0, 5)
	if model != "" {
		out = append(out, semconv.GenAIResponseModel(model))
	}
	if stop != "" {
		out = append(out, semconv.GenAIResponseFinishReasons(string(stop)))
	}
	if u == nil {
		return out
	}
	in := u.InputTokens
	if u.CacheReadInputTokens != nil {
		in += *u.CacheReadInputTokens
		out = append(out, semconv.GenAIUsageCacheReadInputTokens(*u.CacheReadInputTokens))
	}
	if u.CacheWriteInputTokens != nil {
		in += *u.CacheWriteInputTokens
		out = append(out, semconv.GenAIUsageCacheCreationInputTokens(*u.CacheWriteInputTokens))
	}
	return append(out, semconv.GenAIUsageInputTokens(in), semconv.GenAIUsageOutputTokens(u.OutputTokens))
}

// ErrorCancelled is error.type when the client went away first.
const ErrorCancelled = "cancelled"

// ErrorType is the error.type of a failed call: "" on success, "cancelled"
// when the caller gave up, else the Bedrock exception type the client
// receives. The set is closed (a backend could forward any type name), so
// anything else is the conventions' fallback "_OTHER".
func ErrorType(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.Canceled):
		return ErrorCancelled
	}
	var ex *wire.Exception
	if !errors.As(err, &ex) {
		if errors.Is(err, context.DeadlineExceeded) {
			return wire.ModelTimeoutException
		}
		return wire.InternalServerException
	}
	return ExceptionType(ex.Type)
}

// ExceptionType maps an exception type name onto the closed set.
func ExceptionType(t string) string {
	switch t {
	case wire.ValidationException, wire.AccessDeniedException, wire.ResourceNotFoundException,
		wire.ModelTimeoutException, wire.ThrottlingException, wire.ModelNotReadyException,
		wire.ModelErrorException, wire.ModelStreamErrorException, wire.ServiceQuotaExceededException,
		wire.InternalServerException, wire.ServiceUnavailableException, wire.ConflictException,
		wire.SerializationException, wire.UnknownOperationException,
		wire.UnrecognizedClientException, wire.InvalidSignatureException,
		wire.IncompleteSignatureException, wire.MissingAuthenticationToken:
		return t
	}
	return "_OTHER"
}

// Error returns the error.type attribute of err (see ErrorType).
func Error(err error) attribute.KeyValue {
	return semconv.ErrorTypeKey.String(ErrorType(err))
}
