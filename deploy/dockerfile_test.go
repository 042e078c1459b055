package deploy

import (
	"bufio"
	"debug/elf"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/conversekit/converse/internal/sdktest"
)

// instruction is one Dockerfile instruction with its continuation lines
// joined.
type instruction struct {
	cmd, args string
}

func parseDockerfile(t *testing.T, name string) []instruction {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var out []instruction
	var cur strings.Builder
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSpace(line)
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if l, ok := strings.CutSuffix(line, "\\"); ok {
			cur.WriteString(l + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, instruction{strings.ToUpper(cmd), strings.TrimSpace(args)})
		cur.Reset()
	}
	return out
}

// finalStage returns the instructions after the last FROM, and that FROM.
func finalStage(ins []instruction) (string, []instruction) {
	for i := len(ins) - 1; i >= 0; i-- {
		if ins[i].cmd == "FROM" {
			return ins[i].args, ins[i+1:]
		}
	}
	return "", nil
}

var goRunLine = regexp.MustCompile(`(?m)^go run (\S+) serve`)

// The Dockerfile builds, as the README runs it, ./cmd/converse; into a
// static binary on a distroless (or empty) base, as a non-root user,
// serving the API on 0.0.0.0:8080. Its go build line, run here on the
// build context its .dockerignore leaves, gives a binary that serves.
func TestDockerfileBuildsTheREADMEBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	ins := parseDockerfile(t, "../Dockerfile")
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := goRunLine.FindSubmatch(readme)
	if m == nil {
		t.Fatal("README has no `go run PKG serve` line")
	}
	readmePkg := string(m[1])

	var build string
	for _, in := range ins {
		if in.cmd == "RUN" && strings.Contains(in.args, "go build") {
			build = in.args
		}
	}
	if build == "" {
		t.Fatal("no RUN go build line in the Dockerfile")
	}
	fields := strings.Fields(build)
	if !slices.Contains(fields, "CGO_ENABLED=0") {
		t.Errorf("go build line %q does not set CGO_ENABLED=0 (a static binary for a distroless base)", build)
	}
	if pkg := fields[len(fields)-1]; pkg != readmePkg {
		t.Errorf("the Dockerfile builds %s, the README runs %s", pkg, readmePkg)
	}
	oi := slices.Index(fields, "-o")
	if oi < 0 {
		t.Fatalf("go build line %q has no -o", build)
	}
	built := fields[oi+1]

	base, final := finalStage(ins)
	if !strings.HasPrefix(base, "gcr.io/distroless/static") && base != "scratch" {
		t.Errorf("final stage FROM %s, want distroless static or scratch", base)
	}
	var user, entry, installed string
	var exposed []string
	for _, in := range final {
		switch in.cmd {
		case "USER":
			user = in.args
		case "EXPOSE":
			exposed = append(exposed, strings.Fields(in.args)...)
		case "ENTRYPOINT":
			entry = in.args
		case "COPY":
			if f := strings.Fields(in.args); strings.HasPrefix(f[0], "--from=") && f[1] == built {
				installed = f[2]
			}
		}
	}
	if u, _, _ := strings.Cut(user, ":"); u == "" || u == "0" || u == "root" {
		t.Errorf("final stage runs as %q, want a non-root user", user)
	}
	if !slices.Contains(exposed, "8080") {
		t.Errorf("EXPOSE %v lacks 8080", exposed)
	}
	var argv []string
	if err := json.Unmarshal([]byte(entry), &argv); err != nil {
		t.Fatalf("ENTRYPOINT %s is not an exec-form array: %v", entry, err)
	}
	if len(argv) < 4 || argv[0] != installed || argv[1] != "serve" || !slices.Equal(argv[2:4], []string{"-addr", "0.0.0.0:8080"}) {
		t.Errorf("ENTRYPOINT %v, want [%s serve -addr 0.0.0.0:8080]", argv, installed)
	}

	// The build context Docker would send, and the go build line run in it
	// (RUN's shell form is sh -c), writing into a temporary directory.
	ctxDir := buildContext(t, "..", "../.dockerignore")
	bin := filepath.Join(t.TempDir(), "converse")
	cmd := exec.Command("sh", "-c", strings.Replace(build, " -o "+built+" ", " -o "+bin+" ", 1))
	cmd.Dir = ctxDir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", build, err, out)
	}
	checkStatic(t, bin)

	// It is converse: it serves the probes and a Converse call.
	args := slices.Clone(argv[1:])
	args[2] = "127.0.0.1:0"
	endpoint := run(t, bin, append(args, "-builtin-ttft", "0", "-builtin-tps", "0")...)
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	resp, err := hc.Get(endpoint + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET /healthz: %s", resp.Status)
	}
	_, err = sdktest.Client(t, endpoint, sdktest.Options{}).Converse(t.Context(), &bedrockruntime.ConverseInput{
		ModelId:  aws.String("anthropic.claude-3-haiku-20240307-v1:0"),
		Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "Hello"}}}},
	})
	if err != nil {
		t.Errorf("Converse against the Dockerfile's binary: %v", err)
	}
}

// buildContext copies root into a temporary directory without what the
// .dockerignore file excludes.
func buildContext(t *testing.T, root, ignoreFile string) string {
	t.Helper()
	b, err := os.ReadFile(ignoreFile)
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "!") {
			t.Fatalf(".dockerignore exception %q: this test does not implement them", line)
		}
		patterns = append(patterns, strings.TrimPrefix(line, "/"))
	}
	dst := t.TempDir()
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if rel != "." && ignored(patterns, rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, filepath.FromSlash(rel))
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(target, data, 0o644)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// ignored applies .dockerignore patterns (path.Match syntax, with "**/"
// matching any number of leading directories) to a slash path.
func ignored(patterns []string, rel string) bool {
	for _, p := range patterns {
		if rest, ok := strings.CutPrefix(p, "**/"); ok {
			parts := strings.Split(rel, "/")
			for i := range parts {
				if ok, _ := path.Match(rest, strings.Join(parts[i:], "/")); ok {
					return true
				}
			}
			continue
		}
		if ok, _ := path.Match(p, rel); ok {
			return true
		}
	}
	return false
}

// checkStatic fails unless bin is an ELF executable with no interpreter
// and no shared libraries, so it runs on distroless static or scratch.
func checkStatic(t *testing.T, bin string) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatalf("%s is not an ELF binary: %v", bin, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("the binary needs a dynamic loader: not static")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary links %v: not static", libs)
	}
}

var listening = regexp.MustCompile(`listening on (http://\S+)`)

// run starts bin with args until the test ends and returns the endpoint it
// prints.
func run(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt) // converse shuts down gracefully
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("converse exited: %v", err)
			}
		case <-time.After(60 * time.Second): // hang guard only
			_ = cmd.Process.Kill()
			t.Error("converse did not stop on SIGINT")
		}
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if m := listening.FindStringSubmatch(sc.Text()); m != nil {
			go io.Copy(io.Discard, stdout) //nolint:errcheck // keep the banner unblocked
			return m[1]
		}
	}
	t.Fatalf("converse printed no endpoint: %v", sc.Err())
	return ""
}
