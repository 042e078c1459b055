package catalog

// ContextWindow is the model's context window in tokens; 0 means unknown
// (not enforced).
func (m Model) ContextWindow() int {
	return m.ContextTokens
}

// CheckContextWindow refuses a prompt longer than the model's context
// window, as Bedrock does before any inference ([Obs] continuedev/continue
// #9592 and #6005, aws-samples/bedrock-chat #95: "The model returned the
// following errors: Input is too long for requested model."; issue 16: a
// 1.2M-token prompt was answered instead). upperBound is a cheap bound on
// the prompt's tokens (e.g. its size in bytes plus the media estimates);
// count, the exact offline count, runs only when the bound exceeds the
// window, so ordinary requests are not tokenised for this check.
func CheckContextWindow(m Model, upperBound int, count func() int) error {
	window := m.ContextWindow()
	if window <= 0 || upperBound <= window {
		return nil
	}
	n := count()
	if n <= window {
		return nil
	}
	return invalid("The model returned the following errors: Input is too long for requested model. (The prompt counts about %d tokens; %s accepts at most %d. Shorten the conversation or its attachments and try again.)", n, m.ID, window)
}
