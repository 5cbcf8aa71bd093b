GO ?= go
PKGS := ./...

.PHONY: all build test race unit e2e e2e-deps cluster lint fmt vet bench fuzz golden

all: build

build:
	$(GO) build -o bin/moat ./cmd/moat

# test runs every test: unit, golden, browser and end-to-end.
test: vet browser-deps
	MOAT_BROWSER=1 $(GO) test -count=1 $(PKGS)
	$(MAKE) race
	$(MAKE) e2e

# race runs the tests of the concurrent packages under the race detector: the engine's
# workers, the shared analyses of netpol and rbac, and the servers.
RACE_PKGS := ./internal/engine/... ./internal/scan/... ./internal/rule/... ./internal/admission/... \
	./internal/audit/receiver/... ./internal/netpol/... ./internal/rbac/... ./internal/servertls/...
race:
	$(GO) test -count=1 -race $(RACE_PKGS)

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

# golden rewrites every golden file from the current code: it runs, with
# MOAT_UPDATE_GOLDEN=1, the tests of each package whose tests use internal/golden (every
# golden goes through golden.Check). Review the result with git diff.
golden:
	MOAT_UPDATE_GOLDEN=1 $(GO) test -count=1 $$($(GO) list -test \
		-f '{{if .ForTest}}{{.ForTest}}{{range .Deps}} {{.}}{{end}}{{end}}' $(PKGS) | \
		awk '/ github.com\/moat-dev\/moat\/internal\/golden( |$$)/ {print $$1}' | sort -u)

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

.PHONY: report-assets browser-deps

# report-assets rebuilds the HTML report's embedded script and style
# (internal/report/htmlreport/assets) from web/report with npm ci: commit the result.
report-assets:
	bash scripts/build-report-assets.sh

# browser-deps installs Debian's chromium, which the HTML report's browser tests drive
# (they skip without it, unless MOAT_BROWSER=1).
browser-deps:
	command -v chromium >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)
