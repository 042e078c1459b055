# make test: everything CI runs. make bench: the benchmarks in docs/benchmarks.md.
GO ?= go
FUZZTIME ?= 10s

# package:FuzzTarget pairs run briefly on every test run.
FUZZ := \
	./internal/eventstream:FuzzRead \
	./internal/wire:FuzzValidate \
	./internal/media:FuzzSniff \
	./internal/tokens:FuzzText \
	./internal/auth:FuzzParseAuthorization

.PHONY: test deps vet unit fuzz bench serve

test: deps vet unit fuzz

deps:
	cd jstest && npm ci --no-audit --no-fund --loglevel=error

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }

unit:
	CONVERSE_REQUIRE_JS=1 CONVERSE_REQUIRE_REDIS=1 $(GO) test -count=1 ./...

fuzz:
	@for pair in $(FUZZ); do \
		pkg=$${pair%%:*}; target=$${pair##*:}; \
		echo "fuzz $$target ($$pkg, $(FUZZTIME))"; \
		$(GO) test -run='^$$' -fuzz="^$$target$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
	done

bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

serve:
	$(GO) run ./cmd/converse serve
