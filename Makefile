GO ?= go
PKGS := ./...

.PHONY: all build test unit e2e e2e-deps cluster lint fmt vet bench fuzz golden

all: build

build:
	$(GO) build -o bin/moat ./cmd/moat

# test runs every test: unit, golden and end-to-end.
test: vet
	$(GO) test -count=1 $(PKGS)
	$(MAKE) e2e

# e2e-deps installs etcd (Debian's etcd-server) and builds kube-apiserver and
# kube-controller-manager from the version test/kube/go.mod pins, cached under .cache/kube.
e2e-deps:
	bash scripts/install-etcd.sh >/dev/null
	bash scripts/kube-binaries.sh >/dev/null

# e2e runs the tests against a real control plane (test/kube, its own module).
e2e: e2e-deps
	cd test/kube && $(GO) vet ./... && MOAT_E2E=1 $(GO) test -count=1 -timeout 60m ./...

# cluster starts a control plane for a person to use and prints the KUBECONFIG to export.
cluster: e2e-deps
	cd test/kube && $(GO) run ./cmd/kubecluster

unit:
	$(GO) test -short $(PKGS)

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1)
	$(GO) vet $(PKGS)

lint: vet
	golangci-lint run

# golden rewrites every golden file (internal/golden) from the current code by running
# all tests with MOAT_UPDATE_GOLDEN=1; review the result with git diff.
golden:
	MOAT_UPDATE_GOLDEN=1 $(GO) test -count=1 $(PKGS)

bench:
	bash bench/run.sh

# fuzz runs each fuzz target for FUZZTIME.
FUZZTIME ?= 30s
fuzz:
	@$(GO) list -f '{{.ImportPath}}' $(PKGS) | while read -r pkg; do \
		for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "fuzz $$pkg $$t"; $(GO) test $$pkg -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) || exit 1; \
		done; \
	done
