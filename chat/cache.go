package chat

import (
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
)

// CacheStrategy says where prompt-cache checkpoints go (Spring AI's
// BedrockCacheStrategy). Bedrock caches the prefix before each checkpoint
// in the order tools → system → messages; a change invalidates its level
// and everything after it.
type CacheStrategy int

// Cache strategies.
const (
	// CacheNone sends no checkpoint.
	CacheNone CacheStrategy = iota
	// CacheSystemOnly puts a checkpoint after the last system block.
	CacheSystemOnly
	// CacheToolsOnly puts a checkpoint after the last tool (Claude only).
	CacheToolsOnly
	// CacheSystemAndTools does both (Claude only; two checkpoints).
	CacheSystemAndTools
	// CacheConversationHistory puts a checkpoint at the end of the last
	// user message, so each turn extends the cached prefix.
	CacheConversationHistory
)

// String returns the Spring AI name of the strategy (e.g. SYSTEM_ONLY).
func (s CacheStrategy) String() string {
	switch s {
	case CacheNone:
		return "NONE"
	case CacheSystemOnly:
		return "SYSTEM_ONLY"
	case CacheToolsOnly:
		return "TOOLS_ONLY"
	case CacheSystemAndTools:
		return "SYSTEM_AND_TOOLS"
	case CacheConversationHistory:
		return "CONVERSATION_HISTORY"
	}
	return fmt.Sprintf("CacheStrategy(%d)", int(s))
}

// CacheOptions enable prompt caching.
type CacheOptions struct {
	Strategy CacheStrategy
	// TTL is the checkpoints' lifetime: 0 for the model's default (5
	// minutes), 5m or 1h where the model offers it.
	TTL time.Duration
}

// maxCachePoints is Bedrock's limit of checkpoints per request.
const maxCachePoints = 4

// CacheError reports, before sending, a strategy the model cannot honour.
type CacheError struct {
	Model    string
	Strategy CacheStrategy
	Reason   string
}

// Error implements error.
func (e *CacheError) Error() string {
	return fmt.Sprintf("chat: cache strategy %s with model %q: %s", e.Strategy, e.Model, e.Reason)
}

// cacheable says where a model family accepts checkpoints; unknown
// families (custom ARNs, new providers) are let through for the service to
// judge.
func cacheable(model string) (system, tools, messages, known bool) {
	switch family(model) {
	case "anthropic":
		return true, true, true, true
	case "nova":
		return true, false, true, true
	case "":
		return true, true, true, false
	}
	return false, false, false, true
}

// applyCache adds the strategy's checkpoints to a request in place. The
// request's slices must be private copies (the tool loop rebuilds them
// each round).
func applyCache(in *request, o *CacheOptions, model string) error {
	if o == nil || o.Strategy == CacheNone {
		return countCachePoints(in)
	}
	var ttl types.CacheTTL
	switch o.TTL {
	case 0:
	case 5 * time.Minute:
		ttl = types.CacheTTLFiveMinutes
	case time.Hour:
		ttl = types.CacheTTLOneHour
	default:
		return &CacheError{Model: model, Strategy: o.Strategy, Reason: fmt.Sprintf("TTL %s: Bedrock offers 5m or 1h", o.TTL)}
	}
	cp := types.CachePointBlock{Type: types.CachePointTypeDefault, Ttl: ttl}
	sys, tools, msgs, _ := cacheable(model)
	wantSys := o.Strategy == CacheSystemOnly || o.Strategy == CacheSystemAndTools
	wantTools := o.Strategy == CacheToolsOnly || o.Strategy == CacheSystemAndTools
	switch {
	case o.Strategy < CacheNone || o.Strategy > CacheConversationHistory:
		return &CacheError{Model: model, Strategy: o.Strategy, Reason: "unknown strategy"}
	case wantSys && !sys, wantTools && !tools:
		what := "system prompts"
		if wantTools && !tools {
			what = "tool definitions"
		}
		return &CacheError{Model: model, Strategy: o.Strategy, Reason: "the model cannot cache " + what + " (Amazon Nova caches system and messages only; use SYSTEM_ONLY or CONVERSATION_HISTORY)"}
	case o.Strategy == CacheConversationHistory && !msgs:
		return &CacheError{Model: model, Strategy: o.Strategy, Reason: "the model cannot cache messages"}
	}
	if wantSys && len(in.system) > 0 {
		in.system = append(in.system, &types.SystemContentBlockMemberCachePoint{Value: cp})
	}
	if wantTools && len(in.tools) > 0 {
		in.tools = append(in.tools, &types.ToolMemberCachePoint{Value: cp})
	}
	if o.Strategy == CacheConversationHistory {
		for i := len(in.messages) - 1; i >= 0; i-- {
			if in.messages[i].Role == types.ConversationRoleUser {
				m := in.messages[i]
				m.Content = append(append([]types.ContentBlock(nil), m.Content...), &types.ContentBlockMemberCachePoint{Value: cp})
				in.messages[i] = m
				break
			}
		}
	}
	return countCachePoints(in)
}

// countCachePoints enforces Bedrock's limit, counting checkpoints the
// caller placed by hand too.
func countCachePoints(in *request) error {
	n := 0
	for _, s := range in.system {
		if _, ok := s.(*types.SystemContentBlockMemberCachePoint); ok {
			n++
		}
	}
	for _, t := range in.tools {
		if _, ok := t.(*types.ToolMemberCachePoint); ok {
			n++
		}
	}
	for _, m := range in.messages {
		for _, c := range m.Content {
			if _, ok := c.(*types.ContentBlockMemberCachePoint); ok {
				n++
			}
		}
	}
	if n > maxCachePoints {
		return fmt.Errorf("chat: %d cache checkpoints in one request; Bedrock allows %d", n, maxCachePoints)
	}
	return nil
}
