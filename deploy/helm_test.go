// Package deploy holds the tests of what ships beside the Go code: the Helm
// chart under helm/converse and the repository's Dockerfile.
package deploy

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/conversekit/converse/internal/config"
)

// requireHelm is set by `make test` (.ci/deps installs helm): without it a
// machine lacking helm skips the chart tests instead of failing them.
const requireHelm = "CONVERSE_REQUIRE_HELM"

// helmBinary finds helm on PATH or where `go install` puts it.
func helmBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("helm"); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output(); err == nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		dirs := []string{lines[0]}
		if len(lines) > 1 {
			dirs = append(dirs, filepath.Join(lines[1], "bin"))
		}
		for _, d := range dirs {
			if p := filepath.Join(d, "helm"); d != "" && isFile(p) {
				return p
			}
		}
	}
	if os.Getenv(requireHelm) != "" {
		t.Fatalf("helm is not installed (.ci/deps installs it) and %s is set", requireHelm)
	}
	t.Skipf("helm is not installed; .ci/deps installs it (set %s to fail instead)", requireHelm)
	return ""
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// object is one rendered Kubernetes object.
type object map[string]any

func (o object) kind() string { return o.str("kind") }

// get walks dotted keys and [i] indexes: "spec.template.spec.containers[0]".
func (o object) get(path string) any {
	var cur any = map[string]any(o)
	for _, part := range strings.Split(path, ".") {
		name, idx, hasIdx := strings.Cut(part, "[")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[name]
		if hasIdx {
			l, ok := cur.([]any)
			i := int(idx[0] - '0')
			if !ok || i >= len(l) {
				return nil
			}
			cur = l[i]
		}
	}
	return cur
}

func (o object) str(path string) string {
	s, _ := o.get(path).(string)
	return s
}

// render runs helm template with the given values and returns the objects
// by kind.
func render(t *testing.T, helm, values string) map[string]object {
	t.Helper()
	vf := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(vf, []byte(values), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(helm, "template", "rel", "helm/converse", "--namespace", "ai", "-f", vf)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm template: %v\n%s", err, stderr.String())
	}
	objs := map[string]object{}
	dec := yaml.NewDecoder(bytes.NewReader(out))
	for {
		var m map[string]any // not object: yaml would give nested maps that type too
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("rendered YAML: %v\n%s", err, out)
		}
		if m == nil {
			continue
		}
		o := object(m)
		if o.kind() == "" || o.str("apiVersion") == "" || o.str("metadata.name") != "rel-converse" {
			t.Errorf("object without kind, apiVersion or the release's name: %v", o)
		}
		if _, dup := objs[o.kind()]; dup {
			t.Errorf("two objects of kind %s", o.kind())
		}
		objs[o.kind()] = o
	}
	return objs
}

func kinds(objs map[string]object) []string {
	var out []string
	for k := range objs {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestHelmLint(t *testing.T) {
	helm := helmBinary(t)
	out, err := exec.Command(helm, "lint", "--strict", "helm/converse").CombinedOutput()
	if err != nil {
		t.Fatalf("helm lint: %v\n%s", err, out)
	}
}

// The chart renders with its defaults and with every option on, into
// objects that say what a production deployment needs; its ConfigMap is a
// configuration converse accepts.
func TestHelmTemplate(t *testing.T) {
	helm := helmBinary(t)
	for _, tc := range []struct {
		name      string
		values    string
		wantKinds []string
		check     func(t *testing.T, objs map[string]object)
	}{
		{
			name:      "defaults",
			values:    "{}",
			wantKinds: []string{"ConfigMap", "Deployment", "Service"},
			check: func(t *testing.T, objs map[string]object) {
				d := objs["Deployment"]
				if r, _ := d.get("spec.replicas").(int); r != 2 {
					t.Errorf("replicas %v, want 2", d.get("spec.replicas"))
				}
				if c := d.get("spec.template.spec.containers[0]").(map[string]any); c["env"] != nil || c["envFrom"] != nil {
					t.Errorf("environment without any configured: %v %v", c["env"], c["envFrom"])
				}
			},
		},
		{
			name: "everything on",
			values: `
redis: {enabled: true, existingSecret: {name: converse-redis, key: url}}
autoscaling: {enabled: true, minReplicas: 3, maxReplicas: 9}
metrics: {serviceMonitor: {enabled: true, labels: {release: prom}}}
secretEnv: [{name: TEAM_KEY, secretName: converse-keys, key: team}]
envFromSecrets: [aws-credentials]
config:
  auth: {principals: [{name: team, models: ["*"], api_keys: ["${TEAM_KEY}"]}]}
  invocation_log: {output: stdout, bodies: true}
`,
			wantKinds: []string{"ConfigMap", "Deployment", "HorizontalPodAutoscaler", "Service", "ServiceMonitor"},
			check: func(t *testing.T, objs map[string]object) {
				d := objs["Deployment"]
				if d.get("spec.replicas") != nil {
					t.Error("replicas set although the HPA owns them")
				}
				c := object(d.get("spec.template.spec.containers[0]").(map[string]any))
				env := map[string]string{}
				for _, e := range c.get("env").([]any) {
					e := object(e.(map[string]any))
					env[e.str("name")] = e.str("valueFrom.secretKeyRef.name") + "/" + e.str("valueFrom.secretKeyRef.key")
				}
				if env["REDIS_URL"] != "converse-redis/url" || env["TEAM_KEY"] != "converse-keys/team" {
					t.Errorf("secret references %v", env)
				}
				if c.str("envFrom[0].secretRef.name") != "aws-credentials" {
					t.Errorf("envFrom %v", c.get("envFrom"))
				}
				h := objs["HorizontalPodAutoscaler"]
				if h.str("spec.scaleTargetRef.name") != "rel-converse" || h.get("spec.minReplicas") != 3 || h.get("spec.maxReplicas") != 9 {
					t.Errorf("HPA spec %v", h.get("spec"))
				}
				sm := objs["ServiceMonitor"]
				if sm.str("spec.endpoints[0].port") != "metrics" || sm.str("spec.endpoints[0].path") != "/metrics" || sm.str("metadata.labels.release") != "prom" {
					t.Errorf("ServiceMonitor %v", sm)
				}
			},
		},
		{
			name:      "metrics off: probes on the API port",
			values:    "metrics: {enabled: false}",
			wantKinds: []string{"ConfigMap", "Deployment", "Service"},
			check: func(t *testing.T, objs map[string]object) {
				c := object(objs["Deployment"].get("spec.template.spec.containers[0]").(map[string]any))
				if p := c.str("readinessProbe.httpGet.port"); p != "http" {
					t.Errorf("readiness probe port %q, want http", p)
				}
				if args := c.get("args").([]any); slices.Contains(args, any("-metrics-addr")) {
					t.Errorf("args %v with metrics off", args)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs := render(t, helm, tc.values)
			if got := kinds(objs); !slices.Equal(got, tc.wantKinds) {
				t.Fatalf("kinds %v, want %v", got, tc.wantKinds)
			}
			checkDeployment(t, objs)
			tc.check(t, objs)
		})
	}
}

// checkDeployment checks what every rendering must have: probes on the
// right paths and ports, a non-root read-only container, the config
// mounted where the args say, a Service selecting the pods, and a
// ConfigMap converse accepts.
func checkDeployment(t *testing.T, objs map[string]object) {
	t.Helper()
	d := objs["Deployment"]
	pod := object(d.get("spec.template.spec").(map[string]any))
	c := object(pod.get("containers[0]").(map[string]any))
	ports := map[string]bool{}
	for _, p := range c.get("ports").([]any) {
		ports[object(p.(map[string]any)).str("name")] = true
	}
	for probe, path := range map[string]string{"livenessProbe": "/healthz", "readinessProbe": "/readyz"} {
		if got := c.str(probe + ".httpGet.path"); got != path {
			t.Errorf("%s path %q, want %s", probe, got, path)
		}
		if port := c.str(probe + ".httpGet.port"); !ports[port] {
			t.Errorf("%s port %q is not a container port (%v)", probe, port, ports)
		}
	}
	for path, want := range map[string]any{
		"securityContext.runAsNonRoot": true, "securityContext.runAsUser": 65532,
		"securityContext.seccompProfile.type": "RuntimeDefault",
	} {
		if got := pod.get(path); got != want {
			t.Errorf("pod %s = %v, want %v", path, got, want)
		}
	}
	for path, want := range map[string]any{
		"securityContext.readOnlyRootFilesystem": true, "securityContext.allowPrivilegeEscalation": false,
		"securityContext.capabilities.drop[0]": "ALL", "resources.limits.memory": "512Mi",
	} {
		if got := c.get(path); got != want {
			t.Errorf("container %s = %v, want %v", path, got, want)
		}
	}
	args := c.get("args").([]any)
	if i := slices.Index(args, any("-config")); i < 0 || args[i+1] != "/etc/converse/converse.yaml" || c.str("volumeMounts[0].mountPath") != "/etc/converse" {
		t.Errorf("args %v, mounts %v", args, c.get("volumeMounts"))
	}
	sel := objs["Service"].get("spec.selector").(map[string]any)
	labels := d.get("spec.template.metadata.labels").(map[string]any)
	for k, v := range sel {
		if labels[k] != v {
			t.Errorf("the Service selects %s=%v, the pods have %v", k, v, labels[k])
		}
	}
	if objs["Service"].str("spec.ports[0].targetPort") != "http" || !ports["http"] {
		t.Errorf("service ports %v", objs["Service"].get("spec.ports"))
	}
	// The mounted file is a configuration converse accepts, with the
	// Secret-backed variables the Deployment provides.
	env := map[string]bool{}
	if l, ok := c.get("env").([]any); ok {
		for _, e := range l {
			env[object(e.(map[string]any)).str("name")] = true
		}
	}
	cfgText, _ := objs["ConfigMap"].get("data").(map[string]any)["converse.yaml"].(string)
	for name := range env {
		t.Setenv(name, "value-of-"+name)
	}
	cfg, err := config.Parse([]byte(cfgText))
	if err != nil {
		t.Fatalf("ConfigMap converse.yaml is not a valid configuration: %v\n%s", err, cfgText)
	}
	if cfg.Redis.URL != "" && !env["REDIS_URL"] {
		t.Error("the config reads ${REDIS_URL} but the Deployment does not set it")
	}
}
