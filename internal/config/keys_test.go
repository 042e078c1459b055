package config

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// configKeys lists every key path the Config type accepts: "a.b" for
// nested mappings, "a[].b" inside lists. Maps (aliases) hold user data,
// so their keys are not listed.
func configKeys(t reflect.Type, prefix string, out *[]string) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		if t.Kind() == reflect.Slice {
			prefix += "[]"
		}
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t.PkgPath() != reflect.TypeFor[Config]().PkgPath() {
		return
	}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		key := name
		if prefix != "" {
			key = prefix + "." + name
		}
		*out = append(*out, key)
		configKeys(f.Type, key, out)
	}
}

// docKeys lists the key paths written (not commented out) in a YAML
// document, in the same notation.
func docKeys(n *yaml.Node, prefix string, out map[string]bool) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			docKeys(c, prefix, out)
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			docKeys(c, prefix+"[]", out)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			if prefix != "" {
				key = prefix + "." + key
			}
			out[key] = true
			docKeys(n.Content[i+1], key, out)
		}
	}
}

// Every key the file accepts appears, with an example value, in the
// reference block of docs/config.md.
func TestEveryKeyDocumented(t *testing.T) {
	b, err := os.ReadFile("../../docs/config.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(b), "```yaml\n")
	block, _, _ := strings.Cut(rest, "```")
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(block), &doc); err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	docKeys(&doc, "", documented)
	var keys []string
	configKeys(reflect.TypeFor[Config](), "", &keys)
	if len(keys) < 20 {
		t.Fatalf("found only %d keys in Config: %v", len(keys), keys)
	}
	for _, k := range keys {
		if !documented[k] {
			t.Errorf("key %s is not in the reference block of docs/config.md", k)
		}
	}
	// And the block shows no key the file would reject.
	for k := range documented {
		if !slices.Contains(keys, k) && !strings.HasPrefix(k, "aliases.") {
			t.Errorf("docs/config.md shows %s, which Config does not have", k)
		}
	}
}
