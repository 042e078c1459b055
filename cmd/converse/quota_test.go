package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/conversekit/converse/internal/servertest"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/redis/go-redis/v9"

	"github.com/conversekit/converse/internal/redistest"
	"github.com/conversekit/converse/internal/sdktest"
)

// buildConverse builds this command into a temporary directory, once per
// test binary run.
var buildConverse = sync.OnceValues(func() (string, error) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "converse-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "converse")
	out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// process is a `converse serve` running as its own process.
type process struct {
	endpoint, metrics string
	stderr            *servertest.Buffer
}

func startProcess(t *testing.T, bin string, args ...string) *process {
	t.Helper()
	metricsAddr := freeAddr(t)
	cmd := exec.Command(bin, append([]string{"serve", "-addr", "127.0.0.1:0", "-builtin-ttft", "0", "-builtin-tps", "0", "-metrics-addr", metricsAddr}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &process{metrics: metricsAddr, stderr: &servertest.Buffer{}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			t.Error("converse serve did not stop on interrupt")
		}
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if m := endpointLine.FindStringSubmatch(sc.Text()); m != nil {
			p.endpoint = m[1]
			go io.Copy(io.Discard, stdout)
			return p
		}
	}
	t.Fatalf("converse serve printed no endpoint; stderr:\n%s", p.stderr.String())
	return nil
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func scrapeMetrics(t *testing.T, addr string) string {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{}, Timeout: 30 * time.Second}
	resp, err := hc.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// Two `converse serve` processes sharing one redis-server enforce one
// quota together: 10 requests per minute in total, so the 11th call,
// whichever replica takes it, is throttled. Then redis-server goes away and
// the configured policy decides: fail_open lets calls through, fail_closed
// refuses them with ServiceUnavailableException; both are logged and
// counted.
func TestServeReplicasShareQuotaThroughRedis(t *testing.T) {
	bin, err := buildConverse()
	if err != nil {
		t.Fatal(err)
	}
	for _, policy := range []string{"fail_open", "fail_closed"} {
		t.Run(policy, func(t *testing.T) {
			addr := redistest.Start(t)
			cfg := filepath.Join(t.TempDir(), "converse.yaml")
			if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`
redis:
  url: redis://%s/0
quotas:
  on_redis_error: %s
  rules:
    - name: ten-a-minute
      model: "anthropic.*"
      requests_per_minute: 10
`, addr, policy)), 0o600); err != nil {
				t.Fatal(err)
			}
			replicas := []*process{startProcess(t, bin, "-config", cfg), startProcess(t, bin, "-config", cfg)}
			clients := make([]func() error, len(replicas))
			for i, p := range replicas {
				c := sdktest.Client(t, p.endpoint, sdktest.Options{}) // one attempt: retries disabled
				clients[i] = func() error { return hello(t, c, "anthropic.claude-3-haiku-20240307-v1:0") }
			}

			// 10 calls alternate between the replicas; each replica alone
			// has seen 5. A request drips back every 6 s, so a machine slow
			// enough to spend that long on these calls may see one more
			// admitted: the bound allows for it, the single-node count
			// (20 admitted) does not fit it.
			start := time.Now()
			admitted := 0
			var throttle error
			for i := 0; i < 40 && throttle == nil; i++ {
				err := clients[i%2]()
				switch {
				case err == nil:
					admitted++
				case errors.As(err, new(*types.ThrottlingException)):
					throttle = err
				default:
					t.Fatalf("call %d: %v", i+1, err)
				}
			}
			allowed := 10 + int(time.Since(start)/(6*time.Second))
			if throttle == nil || admitted < 10 || admitted > allowed {
				t.Fatalf("admitted %d calls before a throttle (%v), want 10 (at most %d after %v)", admitted, throttle, allowed, time.Since(start))
			}
			for _, want := range []string{`"ten-a-minute"`, "allows 10 requests per minute", "retry after"} {
				if !strings.Contains(throttle.Error(), want) {
					t.Errorf("throttle message %q lacks %q", throttle, want)
				}
			}

			// redis-server goes away mid-run.
			rc := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
			_ = rc.Do(t.Context(), "SHUTDOWN", "NOSAVE").Err() // the connection drops: no reply
			rc.Close()
			for i, call := range clients {
				err := call()
				switch policy {
				case "fail_open":
					if err != nil {
						t.Errorf("replica %d with Redis gone: %v, want the call let through", i+1, err)
					}
				case "fail_closed":
					var su *types.ServiceUnavailableException
					if !errors.As(err, &su) || !strings.Contains(su.ErrorMessage(), "quota service is unavailable") {
						t.Errorf("replica %d with Redis gone: %v, want ServiceUnavailableException", i+1, err)
					}
				}
			}
			for i, p := range replicas {
				if !strings.Contains(p.stderr.String(), "quota store failed") || !strings.Contains(p.stderr.String(), policy) {
					t.Errorf("replica %d did not log the failure and the policy:\n%s", i+1, p.stderr.String())
				}
				m := scrapeMetrics(t, p.metrics)
				for _, want := range []string{
					fmt.Sprintf(`converse_ratelimit_decisions_total{result=%q,rule="ten-a-minute"} 1`, policy),
					`converse_redis_errors_total{component="ratelimit",op="admit"} 1`,
				} {
					if !strings.Contains(m, want) {
						t.Errorf("replica %d metrics lack %s", i+1, want)
					}
				}
			}
		})
	}
}
