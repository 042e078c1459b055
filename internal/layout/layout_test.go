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
	{pkg: "internal/provider/builtin", deny: []string{"internal/provider/openai/...", "internal/provider/anthropic/...", "internal/provider/bedrock/..."}, why: "providers never import each other"},
	{pkg: "internal/provider/openai", deny: []string{"internal/provider/builtin/...", "internal/provider/anthropic/...", "internal/provider/bedrock/..."}, why: "providers never import each other"},
	{pkg: "internal/provider/anthropic", deny: []string{"internal/provider/builtin/...", "internal/provider/openai/...", "internal/provider/bedrock/..."}, why: "providers never import each other"},
	{pkg: "internal/provider/bedrock", deny: []string{"internal/provider/builtin/...", "internal/provider/openai/...", "internal/provider/anthropic/..."}, why: "providers never import each other"},
	{pkg: "internal/router/...", deny: []string{"internal/server/...", "internal/config/...", "internal/provider/builtin/...", "internal/provider/openai/...", "internal/provider/anthropic/...", "internal/provider/bedrock/...", "cmd/..."}, why: "the router knows backends only through the provider contract"},
	{pkg: "internal/server/...", deny: []string{"internal/config/...", "internal/provider/builtin/...", "internal/provider/openai/...", "internal/provider/anthropic/...", "internal/provider/bedrock/...", "cmd/..."}, why: "the server reaches backends only through the router"},
	{pkg: "internal/eventstream", deny: []string{"internal/server/...", "internal/router/...", "internal/provider/..."}, why: "codecs sit below everything that uses them"},
	{pkg: "internal/auth", deny: []string{"internal/server/...", "internal/router/...", "internal/provider/..."}, why: "auth sits below the server"},
	{pkg: "internal/tokens", deny: []string{"internal/server/...", "internal/router/...", "internal/provider/..."}, why: "token counting sits below its users"},
	{pkg: "chat/...", deny: []string{"internal/..."}, why: "chat is what users import and must work against AWS itself"},
	{pkg: "internal/...", deny: []string{"internal/config/..."}, why: "config produces plain structs that main copies into Options; no internal package imports it"},
	{pkg: "...", deny: []string{"internal/servertest", "internal/sdktest", "internal/redistest", "internal/golden", "internal/provider/providertest"}, why: "test helpers are for _test.go files only"},
	{pkg: "internal/promptcache", deny: []string{"internal/server/...", "internal/router/...", "internal/provider/...", "internal/catalog/..."}, why: "prompt caching is a library the router uses; it learns model limits through its Request"},
	{pkg: "internal/metrics", deny: []string{"internal/..."}, why: "metrics names and the registry depend on nothing of ours"},
	{pkg: "internal/catalog", deny: []string{"internal/server/...", "internal/router/...", "internal/provider/..."}, why: "the catalogue is data below its users"},
	{pkg: "internal/media", deny: []string{"internal/server/...", "internal/router/...", "internal/provider/..."}, why: "media checks sit below their users"},
	{pkg: "internal/sse", deny: []string{"internal/..."}, why: "the SSE reader is a codec with no dependencies of ours"},
	{pkg: "internal/invocationlog", deny: []string{"internal/server/...", "internal/router/...", "internal/provider/...", "internal/auth/..."}, why: "the invocation log is a sink below the server and router that fill it"},
	{pkg: "internal/health", deny: []string{"internal/..."}, why: "probes depend on nothing of ours: main hands them their checks"},
	{pkg: "internal/provider/upstream", deny: []string{"internal/provider/builtin/...", "internal/provider/openai/...", "internal/provider/anthropic/...", "internal/provider/bedrock/..."}, why: "shared backend helpers sit below the backends"},
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
