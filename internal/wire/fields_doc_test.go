package wire

import (
	"os"
	"strings"
	"testing"
)

// docs/fields.md has one row per ConverseRequest member of the API model,
// so a member added to the model (drift) cannot go unhandled unnoticed.
func TestFieldsTableCoversModel(t *testing.T) {
	doc, err := os.ReadFile("../../docs/fields.md")
	if err != nil {
		t.Fatal(err)
	}
	m := loadModel(t)
	for _, op := range []string{"ConverseRequest", "ConverseStreamRequest"} {
		for member := range m.Shapes[op].Members {
			if !strings.Contains(string(doc), "| `"+member+"`") {
				t.Errorf("docs/fields.md has no row for %s.%s: say how each backend honours or refuses it", op, member)
			}
		}
	}
}
