package replay

import "github.com/conversekit/converse/internal/provider"

// ForwardsGuardrails is the recorded backend's: recording a bedrock
// backend leaves guardrailConfig to Bedrock, as serving it does. (A replay
// is guarded by converse's own guardrails, since the player answers
// without Bedrock.)
func (r *Recorder) ForwardsGuardrails() bool {
	f, ok := r.next.(provider.GuardrailForwarder)
	return ok && f.ForwardsGuardrails()
}
