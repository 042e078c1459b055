// Package otlptest is an OpenTelemetry collector stand-in for tests: it
// receives OTLP metric exports over HTTP (POST /v1/metrics, protobuf) or
// gRPC, as a real collector does, and hands each export to the test
// flattened into data points.
package otlptest

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	metricpb "go.opentelemetry.io/proto/otlp/metrics/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// Export is one export request, flattened.
type Export struct {
	// Resource holds the resource attributes (service.name …), as strings.
	Resource map[string]string
	// Scopes are the instrumentation scopes' names.
	Scopes []string
	Points []Point
}

// Point is one data point of one metric.
type Point struct {
	Metric, Unit string
	// Kind is histogram, sum or gauge.
	Kind  string
	Attrs map[string]string
	// Histograms: Count, Sum, Bounds and BucketCounts. Sums and gauges:
	// Value (integers converted).
	Count        uint64
	Sum          float64
	Bounds       []float64
	BucketCounts []uint64
	Value        float64
	// Monotonic and Temporality describe sums (and Temporality histograms).
	Monotonic   bool
	Temporality string
}

// Find returns the points of metric whose attributes include attrs.
func (e Export) Find(metric string, attrs map[string]string) []Point {
	var out []Point
	for _, p := range e.Points {
		if p.Metric != metric {
			continue
		}
		match := true
		for k, v := range attrs {
			if got, ok := p.Attrs[k]; !ok || got != v {
				match = false
			}
		}
		if match {
			out = append(out, p)
		}
	}
	return out
}

func flatten(req *colmetricpb.ExportMetricsServiceRequest) Export {
	e := Export{Resource: map[string]string{}}
	for _, rm := range req.GetResourceMetrics() {
		for k, v := range attrs(rm.GetResource().GetAttributes()) {
			e.Resource[k] = v
		}
		for _, sm := range rm.GetScopeMetrics() {
			e.Scopes = append(e.Scopes, sm.GetScope().GetName())
			for _, m := range sm.GetMetrics() {
				e.Points = append(e.Points, points(m)...)
			}
		}
	}
	return e
}

func points(m *metricpb.Metric) []Point {
	base := Point{Metric: m.GetName(), Unit: m.GetUnit()}
	var out []Point
	switch {
	case m.GetHistogram() != nil:
		for _, dp := range m.GetHistogram().GetDataPoints() {
			p := base
			p.Kind, p.Temporality, p.Attrs = "histogram", m.GetHistogram().GetAggregationTemporality().String(), attrs(dp.GetAttributes())
			p.Count, p.Sum, p.Bounds, p.BucketCounts = dp.GetCount(), dp.GetSum(), dp.GetExplicitBounds(), dp.GetBucketCounts()
			out = append(out, p)
		}
	case m.GetSum() != nil:
		for _, dp := range m.GetSum().GetDataPoints() {
			p := base
			p.Kind, p.Temporality, p.Monotonic, p.Attrs = "sum", m.GetSum().GetAggregationTemporality().String(), m.GetSum().GetIsMonotonic(), attrs(dp.GetAttributes())
			p.Value = number(dp)
			out = append(out, p)
		}
	case m.GetGauge() != nil:
		for _, dp := range m.GetGauge().GetDataPoints() {
			p := base
			p.Kind, p.Attrs, p.Value = "gauge", attrs(dp.GetAttributes()), number(dp)
			out = append(out, p)
		}
	default:
		out = append(out, Point{Metric: m.GetName(), Unit: m.GetUnit(), Kind: "other"})
	}
	return out
}

func number(dp *metricpb.NumberDataPoint) float64 {
	if _, ok := dp.GetValue().(*metricpb.NumberDataPoint_AsInt); ok {
		return float64(dp.GetAsInt())
	}
	return dp.GetAsDouble()
}

func attrs(kvs []*commonpb.KeyValue) map[string]string {
	out := map[string]string{}
	for _, kv := range kvs {
		out[kv.GetKey()] = kv.GetValue().GetStringValue()
	}
	return out
}

// HTTPMetrics starts an OTLP/HTTP receiver and returns its base URL (the
// exporter appends /v1/metrics) and the exports it receives, in order.
func HTTPMetrics(t testing.TB) (url string, exports <-chan Export) {
	t.Helper()
	ch, deliver, stop := channel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/metrics" || r.Header.Get("Content-Type") != "application/x-protobuf" {
			http.Error(w, "not an OTLP/HTTP metrics export: "+r.Method+" "+r.URL.Path, http.StatusNotFound)
			return
		}
		body, err := io.ReadAll(r.Body)
		req := &colmetricpb.ExportMetricsServiceRequest{}
		if err == nil {
			err = proto.Unmarshal(body, req)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		deliver(req)
		out, _ := proto.Marshal(&colmetricpb.ExportMetricsServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(stop) // runs first
	return srv.URL, ch
}

type grpcMetrics struct {
	colmetricpb.UnimplementedMetricsServiceServer
	deliver func(*colmetricpb.ExportMetricsServiceRequest)
}

func (g *grpcMetrics) Export(_ context.Context, req *colmetricpb.ExportMetricsServiceRequest) (*colmetricpb.ExportMetricsServiceResponse, error) {
	g.deliver(req)
	return &colmetricpb.ExportMetricsServiceResponse{}, nil
}

// GRPCMetrics starts an OTLP/gRPC receiver and returns its host:port and
// the exports it receives, in order.
func GRPCMetrics(t testing.TB) (addr string, exports <-chan Export) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch, deliver, stop := channel()
	s := grpc.NewServer()
	colmetricpb.RegisterMetricsServiceServer(s, &grpcMetrics{deliver: deliver})
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(s.Stop)
	t.Cleanup(stop) // runs first
	return ln.Addr().String(), ch
}

// channel delivers exports until stop; registered as a cleanup after the
// server's own, stop runs first, so a handler blocked on a test that
// stopped reading is released before the server waits for it.
func channel() (<-chan Export, func(*colmetricpb.ExportMetricsServiceRequest), func()) {
	ch := make(chan Export, 64)
	done := make(chan struct{})
	return ch, func(req *colmetricpb.ExportMetricsServiceRequest) {
			select {
			case ch <- flatten(req):
			case <-done:
			}
		}, func() {
			close(done)
		}
}
