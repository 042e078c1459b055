package telemetry_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"go.opentelemetry.io/otel/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/conversekit/converse/internal/sdktest"
	"github.com/conversekit/converse/internal/server"
	"github.com/conversekit/converse/internal/servertest"
	"github.com/conversekit/converse/internal/telemetry"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const model = "anthropic.claude-3-haiku-20240307-v1:0"

// otelEnv lists every variable these tests set, so the machine's own
// settings cannot leak in.
var otelEnv = []string{
	"OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER", "OTEL_PROPAGATORS", "OTEL_SERVICE_NAME",
	"OTEL_RESOURCE_ATTRIBUTES", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG",
	"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
	"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
}

func clearEnv(t *testing.T) {
	for _, k := range otelEnv {
		t.Setenv(k, "")
	}
}

// collected is what a collector stand-in received.
type collected struct {
	service []string
	spans   []*tracepb.Span
}

func (c *collected) add(req *coltracepb.ExportTraceServiceRequest) {
	for _, rs := range req.GetResourceSpans() {
		for _, kv := range rs.GetResource().GetAttributes() {
			if kv.GetKey() == "service.name" {
				c.service = append(c.service, kv.GetValue().GetStringValue())
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			c.spans = append(c.spans, ss.GetSpans()...)
		}
	}
}

// httpCollector is an OTLP/HTTP receiver: POST /v1/traces, protobuf.
func httpCollector(t *testing.T) (url string, got func() collected) {
	t.Helper()
	reqs := make(chan *coltracepb.ExportTraceServiceRequest, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
			http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusNotFound)
			return
		}
		body, err := io.ReadAll(r.Body)
		req := &coltracepb.ExportTraceServiceRequest{}
		if err == nil {
			err = proto.Unmarshal(body, req)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		reqs <- req
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() collected { return drain(reqs) }
}

func drain(reqs chan *coltracepb.ExportTraceServiceRequest) collected {
	var c collected
	for {
		select {
		case r := <-reqs:
			c.add(r)
		default:
			return c
		}
	}
}

type grpcReceiver struct {
	coltracepb.UnimplementedTraceServiceServer
	reqs chan *coltracepb.ExportTraceServiceRequest
}

func (g *grpcReceiver) Export(_ context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	g.reqs <- req
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

// grpcCollector is an OTLP/gRPC receiver.
func grpcCollector(t *testing.T) (addr string, got func() collected) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rcv := &grpcReceiver{reqs: make(chan *coltracepb.ExportTraceServiceRequest, 100)}
	s := grpc.NewServer()
	coltracepb.RegisterTraceServiceServer(s, rcv)
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(s.Stop)
	return ln.Addr().String(), func() collected { return drain(rcv.reqs) }
}

func spanNames(c collected) []string {
	var out []string
	for _, s := range c.spans {
		out = append(out, s.GetKind().String()+" "+s.GetName())
	}
	slices.Sort(out)
	return out
}

// converse makes one call through the official SDK against a traced server.
func converse(t *testing.T, tel *telemetry.Telemetry) {
	t.Helper()
	endpoint := servertest.Start(t, servertest.Options{
		Tracing:       server.Tracing{TracerProvider: tel.TracerProvider, Propagator: tel.Propagator},
		ProviderNames: map[string]string{"builtin": "converse"},
	})
	client := sdktest.Client(t, endpoint, sdktest.Options{})
	_, err := client.Converse(t.Context(), &bedrockruntime.ConverseInput{
		ModelId:  aws.String(model),
		Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "Hello"}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func shutdown(t *testing.T, tel *telemetry.Telemetry) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := tel.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

// Configured by the standard OTEL_* variables alone, the real OTLP/HTTP
// exporter delivers a request's server and client spans to a collector.
func TestOTLPHTTPFromEnvironment(t *testing.T) {
	clearEnv(t)
	url, got := httpCollector(t)
	t.Setenv("OTEL_TRACES_EXPORTER", "otlp")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", url)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	t.Setenv("OTEL_SERVICE_NAME", "converse-test")
	tel, err := telemetry.New(t.Context(), telemetry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !tel.Enabled() {
		t.Fatal("OTEL_TRACES_EXPORTER=otlp did not turn tracing on")
	}
	converse(t, tel)
	shutdown(t, tel) // exports what is buffered
	c := got()
	want := []string{"SPAN_KIND_CLIENT chat " + model, "SPAN_KIND_SERVER chat " + model}
	if g := spanNames(c); !slices.Equal(g, want) {
		t.Errorf("spans %q, want %q", g, want)
	}
	if len(c.service) == 0 || c.service[0] != "converse-test" {
		t.Errorf("service.name %q, want converse-test", c.service)
	}
}

// Configured by Options (the YAML), the OTLP/gRPC exporter delivers spans
// to a gRPC collector; the options win over the environment.
func TestOTLPGRPCFromOptions(t *testing.T) {
	clearEnv(t)
	addr, got := grpcCollector(t)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf") // overridden
	t.Setenv("OTEL_SERVICE_NAME", "from-env")                // overridden
	on := true
	tel, err := telemetry.New(t.Context(), telemetry.Options{
		Enabled: &on, Protocol: telemetry.ProtocolGRPC, Endpoint: "http://" + addr, ServiceName: "from-yaml",
	})
	if err != nil {
		t.Fatal(err)
	}
	converse(t, tel)
	shutdown(t, tel)
	c := got()
	want := []string{"SPAN_KIND_CLIENT chat " + model, "SPAN_KIND_SERVER chat " + model}
	if g := spanNames(c); !slices.Equal(g, want) {
		t.Errorf("spans %q, want %q", g, want)
	}
	if len(c.service) == 0 || c.service[0] != "from-yaml" {
		t.Errorf("service.name %q, want from-yaml", c.service)
	}
}

// Whether tracing is on, and which settings are refused.
func TestEnabled(t *testing.T) {
	on, off := true, false
	for _, tc := range []struct {
		name    string
		env     map[string]string
		opts    telemetry.Options
		enabled bool
		err     string
	}{
		{name: "off by default"},
		{name: "endpoint alone does not turn it on", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"}},
		{name: "OTEL_TRACES_EXPORTER=otlp", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, enabled: true},
		{name: "config on", opts: telemetry.Options{Enabled: &on}, enabled: true},
		{name: "config off beats env", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, opts: telemetry.Options{Enabled: &off}},
		{name: "OTEL_TRACES_EXPORTER=none", env: map[string]string{"OTEL_TRACES_EXPORTER": "none"}},
		{name: "OTEL_SDK_DISABLED beats config", env: map[string]string{"OTEL_SDK_DISABLED": "true"}, opts: telemetry.Options{Enabled: &on}},
		{name: "unsupported exporter", env: map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, err: "otlp only"},
		{name: "http/json", opts: telemetry.Options{Enabled: &on, Protocol: "http/json"}, err: "http/json is not supported"},
		{name: "env protocol checked too", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "thrift"}, err: `"thrift"`},
		{name: "b3 propagator", env: map[string]string{"OTEL_PROPAGATORS": "b3"}, opts: telemetry.Options{Enabled: &on}, err: "tracecontext, baggage and none"},
		{name: "endpoint not a URL", opts: telemetry.Options{Enabled: &on, Endpoint: "collector:4318"}, err: "http:// or https://"},
		{name: "ratio above 1", opts: telemetry.Options{Enabled: &on, SampleRatio: aws.Float64(1.5)}, err: "from 0 to 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			tel, err := telemetry.New(t.Context(), tc.opts)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer shutdown(t, tel)
			if tel.Enabled() != tc.enabled || (tel.TracerProvider == nil) == tc.enabled || (tel.Propagator == nil) == tc.enabled {
				t.Errorf("enabled %v (provider %v, propagator %v), want %v", tel.Enabled(), tel.TracerProvider, tel.Propagator, tc.enabled)
			}
		})
	}
}

// The configured ratio reaches the sampler: 0 samples no new trace, but a
// caller's sampled decision is followed.
func TestSampleRatio(t *testing.T) {
	clearEnv(t)
	on := true
	tel, err := telemetry.New(t.Context(), telemetry.Options{Enabled: &on, Endpoint: "http://127.0.0.1:1", SampleRatio: aws.Float64(0)})
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown(t, tel)
	tracer := tel.TracerProvider.Tracer("test")
	_, root := tracer.Start(t.Context(), "root")
	root.End()
	if root.SpanContext().IsSampled() {
		t.Error("a new trace was sampled at ratio 0")
	}
	parent := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}, TraceFlags: trace.FlagsSampled, Remote: true,
	})
	_, child := tracer.Start(trace.ContextWithRemoteSpanContext(t.Context(), parent), "child")
	child.End()
	if !child.SpanContext().IsSampled() {
		t.Error("the caller's sampled decision was not followed")
	}
}
