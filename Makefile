# Plugboard — `make help` lists the targets.
SHELL    := /bin/bash
GO       ?= go
PKGS     ?= ./...
TESTFLAGS ?= -timeout 25m

.PHONY: help run build test unit lint bench loadtest pgo setup

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*## "}{printf "  %-8s %s\n", $$1, $$2}'

run: ## start the server on SQLite in ./data (http://127.0.0.1:8080)
	$(GO) run ./cmd/plugboard serve

build: ## build the plugboard binary
	$(GO) build -o plugboard ./cmd/plugboard

lint: ## fail on gofmt differences and go vet findings
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

test: lint ## lint, then run every test (SQLite, PostgreSQL, Redis, browser); lists skipped tests, which fail CI
	set -o pipefail; $(GO) test $(TESTFLAGS) -json $(PKGS) | $(GO) run ./cmd/testreport

unit: ## run the tests without the lint step
	set -o pipefail; $(GO) test $(TESTFLAGS) -json $(PKGS) | $(GO) run ./cmd/testreport

bench: ## run the benchmarks recorded in docs/benchmarks.md
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

loadtest: build ## measure the built binary out of process (LOADTEST_FLAGS='-postgres postgres://postgres@127.0.0.1:5432/postgres -nodes 2')
	$(GO) run ./cmd/loadtest -binary ./plugboard $(LOADTEST_FLAGS)

pgo: build ## profile the built binary under load and write the profile the builds optimize for (cmd/plugboard/default.pgo)
	rm -rf .pgo && mkdir .pgo
	$(GO) run ./cmd/loadtest -binary ./plugboard -rows proxy,action_run,ingest,triggered -rounds 1 -duration 12s -profile .pgo
	$(GO) tool pprof -proto $$(ls .pgo/*.pprof | grep -v allocs) > cmd/plugboard/default.pgo
	rm -rf .pgo

setup: ## install what the tests need on a fresh machine (what .ci/run does)
	bash .ci/setup
