GO ?= go
PKGS := ./...

.PHONY: all build test unit lint fmt vet bench fuzz golden

all: build

build:
	$(GO) build -o bin/moat ./cmd/moat

# test runs every test: unit, golden and end-to-end.
test: vet
	$(GO) test -count=1 $(PKGS)

unit:
	$(GO) test -short $(PKGS)

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1)
	$(GO) vet $(PKGS)

lint: vet
	golangci-lint run

# golden rewrites the golden files under testdata/ from the current code; review the diff.
golden:
	$(GO) test ./... -run Golden -update

bench:
	bash bench/run.sh

fuzz:
	$(GO) test ./internal/inventory -run '^$$' -fuzz FuzzDecode -fuzztime 60s
