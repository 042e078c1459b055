package upstream

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/conversekit/converse/internal/wire"
)

// StatusOverloaded is the de-facto "overloaded" status (Anthropic's 529).
const StatusOverloaded = 529

// ExceptionForStatus is the one mapping from a backend's HTTP error status
// to the Bedrock exception a client gets, decided from what each exception
// means in the Bedrock Runtime API model (Converse and ConverseStream throw
// exactly these; descriptions quoted):
//
//   - 400, 409, 413, 415, 422 and every other 4xx not below:
//     ValidationException, "the input fails to satisfy the constraints":
//     the backend refused what the caller sent.
//   - 401, 402, 403, 407: ServiceUnavailableException. The backend refused
//     this server's own credentials or account, which the caller can
//     neither see nor fix; Bedrock's AccessDeniedException would tell them
//     their permissions are wrong. Unavailable (rather than
//     InternalServerException) lets the router try a fallback backend.
//     StatusError also logs it for the operator.
//   - 404: ResourceNotFoundException, the model does not exist there.
//   - 408 and 504: ModelTimeoutException, "processing time exceeded the
//     model timeout length": the backend (or a gateway in front of it)
//     gave up waiting for the model.
//   - 424 and 5xx not named here: ModelErrorException, "an error while
//     processing the model", with the model's status as
//     originalStatusCode (what Bedrock answers when a model behind it
//     fails).
//   - 429: ThrottlingException.
//   - 502, 503, 529: ServiceUnavailableException, "the service isn't
//     currently available": retried by the SDKs, fallbacks apply.
//   - anything else that is not 2xx (1xx, 3xx): ServiceUnavailableException:
//     the backend answered with no answer at all.
func ExceptionForStatus(status int) string {
	switch {
	case CredentialStatus(status):
		return wire.ServiceUnavailableException
	case status == http.StatusNotFound:
		return wire.ResourceNotFoundException
	case status == http.StatusRequestTimeout || status == http.StatusGatewayTimeout:
		return wire.ModelTimeoutException
	case status == http.StatusTooManyRequests:
		return wire.ThrottlingException
	case status == http.StatusFailedDependency:
		return wire.ModelErrorException
	case status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == StatusOverloaded:
		return wire.ServiceUnavailableException
	case status >= 400 && status < 500:
		return wire.ValidationException
	case status >= 500 && status < 600:
		return wire.ModelErrorException
	}
	return wire.ServiceUnavailableException
}

// CredentialStatus reports whether status says the backend refused the
// credentials or account this server calls it with.
func CredentialStatus(status int) bool {
	switch status {
	case http.StatusUnauthorized, http.StatusPaymentRequired, http.StatusForbidden, http.StatusProxyAuthRequired:
		return true
	}
	return false
}

// statusText is the reason phrase of status, with the de-facto ones.
func statusText(status int) string {
	if status == StatusOverloaded {
		return "Overloaded"
	}
	if t := http.StatusText(status); t != "" {
		return t
	}
	return fmt.Sprintf("status %d", status)
}

// StatusError maps an error answer of the backend (HTTP status, the
// backend's own error type if it named one, its message) to the exception
// of ExceptionForStatus. The message names the backend, the status and the
// type, and carries the upstream message cleaned by Clean; a
// ModelErrorException for a 5xx carries the status as originalStatusCode.
// Refused credentials go through CredentialsRefused.
func (b *Backend) StatusError(ctx context.Context, status int, kind, msg string) *wire.Exception {
	msg = b.Clean(msg)
	if CredentialStatus(status) {
		return b.CredentialsRefused(ctx, status, kind, msg)
	}
	if msg == "" {
		msg = statusText(status)
	}
	var text string
	if kind != "" {
		text = fmt.Sprintf("Backend %q returned HTTP %d (%s): %s", b.Name, status, kind, msg)
	} else {
		text = fmt.Sprintf("Backend %q returned HTTP %d: %s", b.Name, status, msg)
	}
	ex := &wire.Exception{Type: ExceptionForStatus(status), Message: text}
	if ex.Type == wire.ModelErrorException && status >= 500 {
		ex.OriginalStatusCode = status
	}
	return ex
}

// CredentialsRefused is the answer when the backend refused this server's
// own credentials (an HTTP 401/403, or AWS's InvalidSignatureException,
// UnrecognizedClientException, AccessDeniedException on the bedrock hop):
// not the caller's fault, so a ServiceUnavailableException that says so
// without the upstream's details, and a warning for the operator naming
// the backend, the upstream status and error type, and its message.
func (b *Backend) CredentialsRefused(ctx context.Context, status int, kind, msg string) *wire.Exception {
	b.logger().LogAttrs(ctx, slog.LevelWarn, "backend refused this server's credentials; check the backend's key or AWS credentials",
		slog.String("backend", b.Name), slog.Int("status", status), slog.String("error", kind), slog.String("message", b.Clean(msg)))
	return wire.Errorf(wire.ServiceUnavailableException, "Backend %q is unavailable: it refused this server's credentials (HTTP %d). This is a server configuration problem, not a problem with your request.", b.Name, status)
}

// NoCredentials is the answer when this server could not obtain its own
// credentials for the backend (an AWS credential chain failing): a
// ServiceUnavailableException without the cause, which goes to the log.
func (b *Backend) NoCredentials(ctx context.Context, err error) *wire.Exception {
	b.logger().LogAttrs(ctx, slog.LevelWarn, "no usable credentials for backend",
		slog.String("backend", b.Name), slog.String("cause", err.Error()))
	return wire.Errorf(wire.ServiceUnavailableException, "Backend %q is unavailable: this server has no usable credentials for it.", b.Name)
}

// StreamError maps an error the backend reported inside a stream it had
// already answered with 200, given the HTTP status the same error would
// have had (0 when unknown: an internal error of the model, 500). The
// exception is one a stream can carry: throttling, unavailability and
// validation keep their type; a model failure or timeout is a
// ModelStreamErrorException with that status as originalStatusCode and the
// upstream message as originalMessage.
func (b *Backend) StreamError(ctx context.Context, status int, kind, msg string) *wire.Exception {
	msg = b.Clean(msg)
	if status == 0 {
		status = http.StatusInternalServerError
	}
	if CredentialStatus(status) {
		return b.CredentialsRefused(ctx, status, kind, msg)
	}
	if msg == "" {
		msg = "unknown error"
	}
	var text string
	if kind != "" {
		text = fmt.Sprintf("Backend %q failed mid-stream (%s): %s", b.Name, kind, msg)
	} else {
		text = fmt.Sprintf("Backend %q failed mid-stream: %s", b.Name, msg)
	}
	switch typ := ExceptionForStatus(status); typ {
	case wire.ModelErrorException, wire.ModelTimeoutException:
		return &wire.Exception{Type: wire.ModelStreamErrorException, Message: text, OriginalStatusCode: status, OriginalMessage: msg}
	default:
		return &wire.Exception{Type: typ, Message: text}
	}
}
