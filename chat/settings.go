package chat

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Connection defaults, as Spring AI's spring.ai.bedrock.aws.* properties.
const (
	DefaultRegion                       = "us-east-1"
	DefaultTimeout                      = 5 * time.Minute
	DefaultConnectionTimeout            = 5 * time.Second
	DefaultConnectionAcquisitionTimeout = 30 * time.Second
	DefaultStreamReadTimeout            = 30 * time.Second
	DefaultMaxConnections               = 50
)

// Settings say how to reach Bedrock (or a converse server). The zero value
// means every default; [SettingsFromEnv] fills it from the environment.
//
// Each field mirrors a spring.ai.bedrock.aws.* property; the environment
// variable is the property's tail, upper-cased, behind CONVERSE_.
type Settings struct {
	// Region is the AWS region (CONVERSE_REGION; default us-east-1, or what
	// the AWS configuration chain finds, e.g. AWS_REGION).
	Region string
	// Timeout bounds a whole model call, retries included; for a stream,
	// until its last event (CONVERSE_TIMEOUT, default 5m).
	Timeout time.Duration
	// ConnectionTimeout bounds establishing a TCP connection
	// (CONVERSE_CONNECTION_TIMEOUT, default 5s).
	ConnectionTimeout time.Duration
	// ConnectionAcquisitionTimeout bounds the wait for a connection from the
	// pool, dialling included (CONVERSE_CONNECTION_ACQUISITION_TIMEOUT,
	// default 30s).
	ConnectionAcquisitionTimeout time.Duration
	// StreamReadTimeout bounds each read of a response body: a stream that
	// sends nothing for this long fails (CONVERSE_ASYNC_READ_TIMEOUT,
	// default 30s).
	StreamReadTimeout time.Duration
	// MaxConnections bounds the connection pool per host
	// (CONVERSE_MAX_CONNECTIONS, default 50).
	MaxConnections int

	// AccessKey, SecretKey and SessionToken are static credentials
	// (CONVERSE_ACCESS_KEY, CONVERSE_SECRET_KEY, CONVERSE_SESSION_TOKEN).
	// When empty, the AWS default chain applies (AWS_ACCESS_KEY_ID,
	// profiles, SSO, instance roles…).
	AccessKey, SecretKey, SessionToken string
	// ProfileName selects a shared-config profile (CONVERSE_PROFILE_NAME).
	ProfileName string
	// APIKey is a Bedrock API key (CONVERSE_API_KEY, else the SDK's own
	// AWS_BEARER_TOKEN_BEDROCK). When set, requests carry it as
	// "Authorization: Bearer" instead of a SigV4 signature; the Go SDK
	// sends bearer tokens over HTTPS only.
	APIKey string
	// CredentialsPath and ConfigurationPath replace the shared credentials
	// and config file locations (CONVERSE_PROFILE_CREDENTIALS_PATH,
	// CONVERSE_PROFILE_CONFIGURATION_PATH).
	CredentialsPath, ConfigurationPath string
	// Endpoint overrides the service URL, e.g. http://localhost:8080 for
	// converse serve (CONVERSE_ENDPOINT).
	Endpoint string
	// CABundle is the certificate authorities to trust, in PEM, e.g. the
	// development certificate of a converse server over HTTPS. As with the
	// SDK's AWS_CA_BUNDLE (which applies when this is empty), it replaces
	// the system roots. CONVERSE_CA_BUNDLE names a PEM file. Ignored with
	// WithHTTPClient, whose transport is the caller's.
	CABundle []byte
}

// String describes the settings without secrets.
func (s Settings) String() string {
	return fmt.Sprintf("{Region:%s Timeout:%s ConnectionTimeout:%s ConnectionAcquisitionTimeout:%s StreamReadTimeout:%s MaxConnections:%d AccessKey:%s SecretKey:%s SessionToken:%s APIKey:%s ProfileName:%s CredentialsPath:%s ConfigurationPath:%s Endpoint:%s CABundle:%d bytes}",
		s.Region, s.Timeout, s.ConnectionTimeout, s.ConnectionAcquisitionTimeout, s.StreamReadTimeout, s.MaxConnections,
		redact(s.AccessKey), redact(s.SecretKey), redact(s.SessionToken), redact(s.APIKey), s.ProfileName,
		s.CredentialsPath, s.ConfigurationPath, s.Endpoint, len(s.CABundle))
}

// LogValue keeps secrets out of logs.
func (s Settings) LogValue() slog.Value { return slog.StringValue(s.String()) }

func redact(v string) string {
	if v == "" {
		return ""
	}
	return "REDACTED"
}

// withDefaults fills unset fields.
func (s Settings) withDefaults() Settings {
	if s.Timeout == 0 {
		s.Timeout = DefaultTimeout
	}
	if s.ConnectionTimeout == 0 {
		s.ConnectionTimeout = DefaultConnectionTimeout
	}
	if s.ConnectionAcquisitionTimeout == 0 {
		s.ConnectionAcquisitionTimeout = DefaultConnectionAcquisitionTimeout
	}
	if s.StreamReadTimeout == 0 {
		s.StreamReadTimeout = DefaultStreamReadTimeout
	}
	if s.MaxConnections == 0 {
		s.MaxConnections = DefaultMaxConnections
	}
	return s
}

// Environment variable names read by [SettingsFromEnv] and
// [OptionsFromEnv].
const (
	EnvRegion                       = "CONVERSE_REGION"
	EnvTimeout                      = "CONVERSE_TIMEOUT"
	EnvConnectionTimeout            = "CONVERSE_CONNECTION_TIMEOUT"
	EnvConnectionAcquisitionTimeout = "CONVERSE_CONNECTION_ACQUISITION_TIMEOUT"
	EnvStreamReadTimeout            = "CONVERSE_ASYNC_READ_TIMEOUT"
	EnvMaxConnections               = "CONVERSE_MAX_CONNECTIONS"
	EnvAccessKey                    = "CONVERSE_ACCESS_KEY"
	EnvSecretKey                    = "CONVERSE_SECRET_KEY"
	EnvSessionToken                 = "CONVERSE_SESSION_TOKEN"
	EnvProfileName                  = "CONVERSE_PROFILE_NAME"
	EnvCredentialsPath              = "CONVERSE_PROFILE_CREDENTIALS_PATH"
	EnvConfigurationPath            = "CONVERSE_PROFILE_CONFIGURATION_PATH"
	EnvEndpoint                     = "CONVERSE_ENDPOINT"
	EnvAPIKey                       = "CONVERSE_API_KEY"
	EnvCABundle                     = "CONVERSE_CA_BUNDLE"
	// EnvBearerToken is the SDK's own variable for a Bedrock API key,
	// read when CONVERSE_API_KEY is unset.
	EnvBearerToken = "AWS_BEARER_TOKEN_BEDROCK"

	EnvModel       = "CONVERSE_CHAT_OPTIONS_MODEL"
	EnvTemperature = "CONVERSE_CHAT_OPTIONS_TEMPERATURE"
	EnvTopP        = "CONVERSE_CHAT_OPTIONS_TOP_P"
	EnvTopK        = "CONVERSE_CHAT_OPTIONS_TOP_K"
	EnvMaxTokens   = "CONVERSE_CHAT_OPTIONS_MAX_TOKENS"
)

// SettingsFromEnv reads Settings from the process environment. Durations
// are Go durations ("10m", "500ms"). Unset variables keep their defaults;
// the AWS variables (AWS_REGION, AWS_PROFILE, AWS_ACCESS_KEY_ID…) still
// apply through the AWS configuration chain.
func SettingsFromEnv() (Settings, error) { return SettingsFromLookup(os.LookupEnv) }

// SettingsFromLookup is [SettingsFromEnv] over any lookup function.
func SettingsFromLookup(lookup func(string) (string, bool)) (Settings, error) {
	var s Settings
	str := func(name string, dst *string) {
		if v, ok := lookup(name); ok {
			*dst = v
		}
	}
	str(EnvRegion, &s.Region)
	str(EnvAccessKey, &s.AccessKey)
	str(EnvSecretKey, &s.SecretKey)
	str(EnvSessionToken, &s.SessionToken)
	str(EnvProfileName, &s.ProfileName)
	str(EnvCredentialsPath, &s.CredentialsPath)
	str(EnvConfigurationPath, &s.ConfigurationPath)
	str(EnvEndpoint, &s.Endpoint)
	for _, name := range []string{EnvAPIKey, EnvBearerToken} {
		if v, ok := lookup(name); ok && v != "" {
			s.APIKey = v
			break
		}
	}
	if v, ok := lookup(EnvCABundle); ok && v != "" {
		pem, err := os.ReadFile(v)
		if err != nil {
			return Settings{}, fmt.Errorf("%s: %w", EnvCABundle, err)
		}
		s.CABundle = pem
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{
		{EnvTimeout, &s.Timeout},
		{EnvConnectionTimeout, &s.ConnectionTimeout},
		{EnvConnectionAcquisitionTimeout, &s.ConnectionAcquisitionTimeout},
		{EnvStreamReadTimeout, &s.StreamReadTimeout},
	} {
		v, ok := lookup(d.name)
		if !ok || v == "" {
			continue
		}
		dur, err := time.ParseDuration(v)
		if err != nil || dur < 0 {
			return Settings{}, fmt.Errorf("%s: %q is not a duration like 30s or 5m", d.name, v)
		}
		*d.dst = dur
	}
	if v, ok := lookup(EnvMaxConnections); ok && v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return Settings{}, fmt.Errorf("%s: %q is not a positive integer", EnvMaxConnections, v)
		}
		s.MaxConnections = n
	}
	return s, nil
}

// OptionsFromEnv reads default call Options from the process environment
// (the spring.ai.bedrock.converse.chat.options.* properties).
func OptionsFromEnv() (Options, error) { return OptionsFromLookup(os.LookupEnv) }

// OptionsFromLookup is [OptionsFromEnv] over any lookup function.
func OptionsFromLookup(lookup func(string) (string, bool)) (Options, error) {
	var o Options
	if v, ok := lookup(EnvModel); ok {
		o.Model = v
	}
	float := func(name string) (*float32, error) {
		v, ok := lookup(name)
		if !ok || v == "" {
			return nil, nil
		}
		f, err := strconv.ParseFloat(v, 32)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a number", name, v)
		}
		return Ptr(float32(f)), nil
	}
	integer := func(name string) (*int, error) {
		v, ok := lookup(name)
		if !ok || v == "" {
			return nil, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not an integer", name, v)
		}
		return &n, nil
	}
	var err error
	if o.Temperature, err = float(EnvTemperature); err != nil {
		return Options{}, err
	}
	if o.TopP, err = float(EnvTopP); err != nil {
		return Options{}, err
	}
	if o.TopK, err = integer(EnvTopK); err != nil {
		return Options{}, err
	}
	if o.MaxTokens, err = integer(EnvMaxTokens); err != nil {
		return Options{}, err
	}
	return o, nil
}

// awsConfig maps Settings onto aws-sdk-go-v2/config, with our transport.
// The SDK builds its own HTTP client while loading, to apply a custom CA
// bundle (AWS_CA_BUNDLE, ca_bundle) to its transport; hc, when not nil,
// receives that TLS configuration and replaces it.
func (s Settings) awsConfig(ctx context.Context, hc aws.HTTPClient, tr *http.Transport, rt aws.Retryer) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{
		// The retry policy is the client's (retry.go), not AWS_RETRY_MODE
		// or AWS_MAX_ATTEMPTS: one retryer, so one quota, per client.
		config.WithRetryer(func() aws.Retryer { return rt }),
	}
	if s.Region != "" {
		opts = append(opts, config.WithRegion(s.Region))
	}
	if s.ProfileName != "" {
		opts = append(opts, config.WithSharedConfigProfile(s.ProfileName))
	}
	if s.CredentialsPath != "" {
		opts = append(opts, config.WithSharedCredentialsFiles([]string{s.CredentialsPath}))
	}
	if s.ConfigurationPath != "" {
		opts = append(opts, config.WithSharedConfigFiles([]string{s.ConfigurationPath}))
	}
	if s.APIKey != "" && strings.HasPrefix(strings.ToLower(s.Endpoint), "http://") {
		// The SDK would refuse at the first call; say so while building.
		return aws.Config{}, fmt.Errorf("chat settings: an API key is sent over HTTPS only, and the endpoint is %s", s.Endpoint)
	}
	if len(s.CABundle) > 0 {
		if !x509.NewCertPool().AppendCertsFromPEM(s.CABundle) {
			return aws.Config{}, fmt.Errorf("chat settings: CA bundle holds no PEM certificate")
		}
		opts = append(opts, config.WithCustomCABundle(bytes.NewReader(s.CABundle)))
	}
	if s.AccessKey != "" || s.SecretKey != "" {
		if s.AccessKey == "" || s.SecretKey == "" {
			return aws.Config{}, fmt.Errorf("chat settings: access key and secret key must be set together")
		}
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, s.SessionToken)))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load aws config: %w", err)
	}
	if hc != nil {
		if bc, ok := cfg.HTTPClient.(*awshttp.BuildableClient); ok && tr != nil {
			if tls := bc.GetTransport().TLSClientConfig; tls != nil {
				tr.TLSClientConfig = tls.Clone()
			}
		}
		cfg.HTTPClient = hc
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	return cfg, nil
}
