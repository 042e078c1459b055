// Package layout holds the test that keeps the import graph to the
// dependency rules of docs/architecture.md.
package layout

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/conversekit/converse"

// rule forbids packages matching pkg (a path relative to the module root;
// a trailing /... matches the subtree) from importing anything matching
// one of deny. allowStd restricts them to the standard library.
type rule struct {
	pkg     string
	deny    []string
	stdOnly bool
	why     string
}

var rules = []rule{
	{pkg: "internal/wire", stdOnly: true, why: "wire types import only the standard library"},
	{pkg: "internal/provider/...", deny: []string{"internal/router/...", "internal/server/...", "internal/config/...", "cmd/..."}, why: "data flows one way: providers never import what calls them"},
	{pkg: "internal/router/...", deny: []string{"internal/server/...", "internal/config/...", "cmd/..."}, why: "the router knows backends only through the provider contract"},
	{pkg: "internal/server/...", deny: []string{"internal/config/...", "cmd/..."}, why: "the server reaches backends only through the router"},
	{pkg: "internal/eventstream", deny: []string{"internal/server/...", "internal/router/...", "internal/provider/..."}, why: "codecs sit below everything that uses them"},
	{pkg: "internal/auth", deny: []string{"internal/server/...", "internal/router/...", "internal/provider/..."}, why: "auth sits below the server"},
	{pkg: "internal/tokens", deny: []string{"internal/server/...", "internal/router/...", "internal/provider/..."}, why: "token counting sits below its users"},
	{pkg: "chat/...", deny: []string{"internal/..."}, why: "chat is what users import and must work against AWS itself"},
	{pkg: "internal/...", deny: []string{"internal/config/..."}, why: "config produces plain structs that main copies into Options; no internal package imports it"},
	{pkg: "...", deny: testHelpers, why: "test helpers are for _test.go files only"},
	{pkg: "internal/promptcache", deny: []string{"internal/server/...", "internal/router/...", "internal/provider/...", "internal/catalog/..."}, why: "prompt caching is a library the router uses; it learns model limits through its Request"},
	{pkg: "internal/ratelimit", deny: []string{"internal/server/...", "internal/router/...", "internal/provider/...", "internal/catalog/..."}, why: "quotas are a library the router uses; it learns principals, models and token counts through its Request"},
	{pkg: "internal/metrics", deny: []string{"internal/..."}, why: "metrics names and the registry depend on nothing of ours"},
	{pkg: "internal/catalog", deny: []string{"internal/server/...", "internal/router/...", "internal/provider/..."}, why: "the catalogue is data below its users"},
	{pkg: "internal/media", deny: []string{"internal/server/...", "internal/router/...", "internal/provider/..."}, why: "media checks sit below their users"},
	{pkg: "internal/sse", deny: []string{"internal/..."}, why: "the SSE reader is a codec with no dependencies of ours"},
	{pkg: "internal/repl", deny: []string{"internal/server/...", "internal/router/...", "internal/provider/...", "internal/auth/..."}, why: "converse chat reaches models only through the public chat package, so it works against AWS itself"},
	{pkg: "internal/invocationlog", deny: []string{"internal/server/...", "internal/router/...", "internal/provider/...", "internal/auth/..."}, why: "the invocation log is a sink below the server and router that fill it"},
	{pkg: "internal/health", deny: []string{"internal/..."}, why: "probes depend on nothing of ours: main hands them their checks"},
	{pkg: "internal/invoke", deny: []string{"internal/server/...", "internal/router/...", "internal/provider/...", "internal/catalog/..."}, why: "model-native bodies are codecs below the router and providers that use them"},
	{pkg: "internal/playground", deny: []string{"internal/server/...", "internal/router/...", "internal/provider/..."}, why: "the playground is a page beside the server: it calls the Bedrock routes over HTTP from the browser, and main hands it the catalogue and routes"},
	{pkg: "internal/guardrail", deny: []string{"internal/server/...", "internal/router/...", "internal/provider/...", "internal/auth/..."}, why: "guardrail policies are a library below the server and router that apply them"},
	{pkg: "internal/glob", stdOnly: true, why: "the pattern dialect is shared by auth, routes and scripts and depends on nothing"},
	{pkg: "internal/telemetry/...", deny: []string{"internal/server/...", "internal/router/...", "internal/provider/..."}, why: "tracing setup and GenAI attributes sit below the server and router that use them"},
}

// testHelpers are packages for _test.go files only; they may build any
// component, concrete backends included.
var testHelpers = []string{"internal/servertest", "internal/sdktest", "internal/redistest", "internal/golden", "internal/provider/providertest", "internal/otlptest"}

// sharedProviderPkgs are the packages under internal/provider that are not
// backends: the contract's helpers every backend may use.
var sharedProviderPkgs = map[string]bool{"upstream": true, "providertest": true}

// backendOf names the backend a package belongs to (internal/provider/<name>
// or below it), or "" for every other package. Backends are found from the
// tree, so a new provider is covered without editing this test.
func backendOf(pkg string) string {
	rest, ok := strings.CutPrefix(pkg, "internal/provider/")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, "/")
	if sharedProviderPkgs[name] {
		return ""
	}
	return name
}

// backendRule says whether pkg may import own (both module-relative): a
// backend never imports another backend, and nothing but cmd/ (the wiring)
// and the backend itself imports a backend.
func backendRule(pkg, own string) string {
	target := backendOf(own)
	if target == "" || backendOf(pkg) == target || strings.HasPrefix(pkg, "cmd/") || slices.Contains(testHelpers, pkg) {
		return ""
	}
	if backendOf(pkg) != "" {
		return "providers never import each other"
	}
	return "only cmd/converse builds concrete backends; everything else knows them through the provider contract"
}

func match(pattern, pkg string) bool {
	if pattern == "..." {
		return true
	}
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == base || strings.HasPrefix(pkg, base+"/")
	}
	return pkg == pattern
}

// imports returns, for every package of the module, the imports of its
// non-test files.
func imports(t *testing.T, root string) map[string]map[string]bool {
	t.Helper()
	out := map[string]map[string]bool{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); p != root && (n == "testdata" || n == "node_modules" || strings.HasPrefix(n, ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(p))
		pkg := filepath.ToSlash(rel)
		if out[pkg] == nil {
			out[pkg] = map[string]bool{}
		}
		for _, imp := range f.Imports {
			v, _ := strconv.Unquote(imp.Path.Value)
			out[pkg][v] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func isStd(imp string) bool {
	first, _, _ := strings.Cut(imp, "/")
	return !strings.Contains(first, ".")
}

func TestImportGraph(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatal("module root not found:", err)
	}
	graph := imports(t, root)
	if len(graph) < 5 {
		t.Fatalf("found only %d packages", len(graph))
	}
	for pkg, imps := range graph {
		for imp := range imps {
			own, isOwn := strings.CutPrefix(imp, module+"/")
			if isOwn {
				if why := backendRule(pkg, own); why != "" {
					t.Errorf("%s imports %s: %s", pkg, imp, why)
				}
			}
			for _, r := range rules {
				if !match(r.pkg, pkg) {
					continue
				}
				if r.stdOnly && !isStd(imp) {
					t.Errorf("%s imports %s: %s", pkg, imp, r.why)
				}
				if !isOwn {
					continue
				}
				for _, d := range r.deny {
					if match(d, own) && path.Clean(own) != pkg {
						t.Errorf("%s imports %s: %s", pkg, imp, r.why)
					}
				}
			}
		}
	}
}

func TestBackendRule(t *testing.T) {
	for _, c := range []struct {
		pkg, imp string
		ok       bool
	}{
		{"internal/provider/openai", "internal/provider/upstream", true},
		{"internal/provider/openai", "internal/provider", true},
		{"internal/provider/openai/sub", "internal/provider/openai", true},
		{"internal/provider/newbackend", "internal/provider/openai", false},
		{"internal/provider/openai", "internal/provider/newbackend/x", false},
		{"internal/router", "internal/provider/newbackend", false},
		{"internal/server", "internal/provider/builtin", false},
		{"cmd/converse", "internal/provider/newbackend", true},
		{"internal/servertest", "internal/provider/builtin", true},
		{"internal/router", "internal/provider/upstream", true},
	} {
		if got := backendRule(c.pkg, c.imp) == ""; got != c.ok {
			t.Errorf("%s importing %s allowed = %v, want %v", c.pkg, c.imp, got, c.ok)
		}
	}
}
