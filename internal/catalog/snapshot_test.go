package catalog

import (
	"encoding/json"
	"testing"

	"github.com/conversekit/converse/internal/golden"
)

// snapshot is every built-in model with every field, in catalogue order,
// the context window as ContextWindow resolves it. The golden file was
// generated from the Go tables before the catalogue became data (commit
// "catalog: snapshot the Go tables"), so the data file is proven to
// reproduce them field by field; since then, reviewing its diff is
// reviewing a change of the catalogue.
func snapshot(t *testing.T, c *Catalog) []byte {
	t.Helper()
	var rows []map[string]any
	for _, m := range c.Models() {
		raw, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var row map[string]any
		if err := json.Unmarshal(raw, &row); err != nil {
			t.Fatal(err)
		}
		delete(row, "ContextTokens")
		row["ContextWindow"] = m.ContextWindow()
		rows = append(rows, row)
	}
	out, err := json.MarshalIndent(rows, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

func TestCatalogueSnapshot(t *testing.T) {
	golden.Check(t, "testdata/models.golden.json", snapshot(t, New()))
}
