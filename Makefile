# make test: everything CI runs. make bench: the benchmarks in docs/benchmarks.md.
GO ?= go
FUZZTIME ?= 6s
# staticcheck, pinned; go run builds it without touching go.mod.
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

# package:FuzzTarget pairs: every decoder of outside bytes, fuzzed briefly on
# every test run (longer: make fuzz FUZZTIME=5m).
FUZZ := \
	./internal/eventstream:FuzzRead \
	./internal/wire:FuzzValidate \
	./internal/guardrail:FuzzAssess \
	./internal/guardrail:FuzzDetectorRegions \
	./internal/auth:FuzzParseAuthorization \
	./internal/glob:FuzzMatch \
	./internal/sse:FuzzRead \
	./internal/media:FuzzSniff \
	./internal/tokens:FuzzText \
	./internal/tokens:FuzzImageBytes \
	./internal/tokens:FuzzFastEqualsRegexp \
	./internal/promptcache:FuzzFingerprints \
	./internal/provider/openai:FuzzStream \
	./internal/provider/openai:FuzzTranslateResponse \
	./internal/provider/openai:FuzzDecodeChunk \
	./internal/provider/anthropic:FuzzStream \
	./internal/provider/anthropic:FuzzResponse \
	./internal/provider/bedrock:FuzzUpstreamError \
	./internal/provider/builtin:FuzzParseScript \
	./internal/provider/replay:FuzzLoad \
	./internal/invoke:FuzzDecodeMessages \
	./internal/invoke:FuzzDecodeEmbed \
	./internal/repl:FuzzCalculate \
	./chat:FuzzUnmarshalMessages \
	./chat:FuzzMedia

.PHONY: test deps vet lint unit fuzz bench serve

test: deps vet lint unit fuzz

deps:
	GO=$(GO) ./.ci/deps

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }

lint:
	$(GO) run $(STATICCHECK) ./...

unit:
	CONVERSE_REQUIRE_JS=1 CONVERSE_REQUIRE_REDIS=1 CONVERSE_REQUIRE_HELM=1 $(GO) test -count=1 ./...

fuzz:
	./scripts/fuzz.sh $(GO) $(FUZZTIME) $(FUZZ)

bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

serve:
	$(GO) run ./cmd/converse serve
