package wire

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Exception names, exactly as the API model's shape names. The SDKs type an
// error by this name (X-Amzn-ErrorType header or __type in the body).
const (
	ValidationException           = "ValidationException"
	AccessDeniedException         = "AccessDeniedException"
	ResourceNotFoundException     = "ResourceNotFoundException"
	ModelTimeoutException         = "ModelTimeoutException"
	ThrottlingException           = "ThrottlingException"
	ModelNotReadyException        = "ModelNotReadyException"
	ModelErrorException           = "ModelErrorException"
	ModelStreamErrorException     = "ModelStreamErrorException"
	ServiceQuotaExceededException = "ServiceQuotaExceededException"
	InternalServerException       = "InternalServerException"
	ServiceUnavailableException   = "ServiceUnavailableException"
	ConflictException             = "ConflictException"

	// Not in the API model: the generic errors every restJson1 AWS service
	// returns before an operation is chosen or its input parsed.
	SerializationException    = "SerializationException"
	UnknownOperationException = "UnknownOperationException"
	// Authentication failures of the AWS front end (not modelled either).
	UnrecognizedClientException  = "UnrecognizedClientException"
	InvalidSignatureException    = "InvalidSignatureException"
	IncompleteSignatureException = "IncompleteSignatureException"
	MissingAuthenticationToken   = "MissingAuthenticationTokenException"
)

// exceptionStatus is the HTTP status of each exception: the modelled ones from
// the API model's error traits (checked by TestExceptionStatusesMatchModel),
// the others as AWS front ends send them.
var exceptionStatus = map[string]int{
	ValidationException:           http.StatusBadRequest,
	AccessDeniedException:         http.StatusForbidden,
	ResourceNotFoundException:     http.StatusNotFound,
	ModelTimeoutException:         http.StatusRequestTimeout,
	ThrottlingException:           http.StatusTooManyRequests,
	ModelNotReadyException:        http.StatusTooManyRequests,
	ModelErrorException:           http.StatusFailedDependency,
	ModelStreamErrorException:     http.StatusFailedDependency,
	ServiceQuotaExceededException: http.StatusBadRequest,
	InternalServerException:       http.StatusInternalServerError,
	ServiceUnavailableException:   http.StatusServiceUnavailable,
	ConflictException:             http.StatusBadRequest,
	SerializationException:        http.StatusBadRequest,
	UnknownOperationException:     http.StatusNotFound,
	UnrecognizedClientException:   http.StatusForbidden,
	InvalidSignatureException:     http.StatusForbidden,
	IncompleteSignatureException:  http.StatusForbidden,
	MissingAuthenticationToken:    http.StatusForbidden,
}

// streamMember maps the exceptions ConverseStream may send after the stream
// started to their ConverseStreamOutput member names (lower camel case, as
// botocore and the JS SDK look them up).
var streamMember = map[string]string{
	InternalServerException:     "internalServerException",
	ModelStreamErrorException:   "modelStreamErrorException",
	ValidationException:         "validationException",
	ThrottlingException:         "throttlingException",
	ServiceUnavailableException: "serviceUnavailableException",
}

// Exception is every error that leaves the server: one Bedrock exception with
// its type name, a message that is safe to show the caller, and the extra
// members of the 424 shapes.
type Exception struct {
	Type               string `json:"-"`
	Message            string `json:"message"`
	OriginalStatusCode int    `json:"originalStatusCode,omitempty"`
	OriginalMessage    string `json:"originalMessage,omitempty"`
	ResourceName       string `json:"resourceName,omitempty"`
	// RetryAfter, when positive, tells a throttled caller when to retry;
	// the server sends it as Retry-After and x-amz-retry-after headers,
	// which the SDKs' standard retryers read. Not part of the body.
	RetryAfter time.Duration `json:"-"`
}

// Errorf returns an exception of the given type with a formatted message.
func Errorf(typ, format string, args ...any) *Exception {
	return &Exception{Type: typ, Message: fmt.Sprintf(format, args...)}
}

func (e *Exception) Error() string { return e.Type + ": " + e.Message }

// HTTPStatus is the status the real service sends with this exception.
func (e *Exception) HTTPStatus() int {
	if s, ok := exceptionStatus[e.Type]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// StreamMember is the ConverseStreamOutput member that carries this exception
// inside an event stream. Exceptions the stream cannot carry travel as
// internalServerException, except model failures, which are
// modelStreamErrorException as on the real service.
func (e *Exception) StreamMember() (member string, ex *Exception) {
	if m, ok := streamMember[e.Type]; ok {
		return m, e
	}
	switch e.Type {
	case ModelErrorException, ModelTimeoutException, ModelNotReadyException:
		return streamMember[ModelStreamErrorException], &Exception{
			Type: ModelStreamErrorException, Message: e.Message,
			OriginalStatusCode: e.OriginalStatusCode, OriginalMessage: e.OriginalMessage,
		}
	case AccessDeniedException, ResourceNotFoundException, ServiceQuotaExceededException:
		return streamMember[ValidationException], &Exception{Type: ValidationException, Message: e.Message}
	}
	return streamMember[InternalServerException], &Exception{Type: InternalServerException, Message: e.Message}
}

// internalMessage is all a caller learns about a failure we did not classify.
const internalMessage = "The server encountered an internal error while processing the request."

// AsException classifies err: a wrapped *Exception is returned as is;
// anything else becomes an InternalServerException whose message reveals
// nothing about the cause.
func AsException(err error) *Exception {
	var ex *Exception
	if errors.As(err, &ex) {
		return ex
	}
	return &Exception{Type: InternalServerException, Message: internalMessage}
}
