# Ingot: `make help` lists the targets.
SHELL := /bin/bash
GO ?= go
export CGO_ENABLED ?= 0
STATICCHECK_VERSION := v0.7.0
GOBIN := $(shell $(GO) env GOPATH)/bin
BIN := bin
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)

# build/ holds caches (kernels, initramfs, Debian trees); its go.mod keeps
# `go ... ./...` out of it.
build/go.mod:
	@mkdir -p build && printf 'module ingot.dev/build-cache\n' > $@

PHONY_EXTRA := demo-api e2e e2e-storage e2e-kit deps
.PHONY: $(PHONY_EXTRA) installer help build test test-unit test-race lint tidy-check bench bench-api bench-rollout bench-write bench-build demo clean tools

help: ## list the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

build: build/go.mod ## build the static binaries into bin/
	@mkdir -p $(BIN)
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ingot ./cmd/ingot
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ingot-installer ./cmd/ingot-installer

test: deps build/go.mod lint test-unit ## what CI runs: lint and every test tier this machine can run

test-unit: ## unit and integration tests (real SQLite and PostgreSQL, real servers on loopback)
	$(GO) test -count=1 -timeout 40m ./...

test-race: ## the race detector over the concurrent packages (needs cgo)
	CGO_ENABLED=1 $(GO) test -race -count=1 ./server/... ./installer/...

lint: tools ## gofmt, go vet, staticcheck, go mod tidy leaves no diff
	@out=$$(gofmt -l $$(git ls-files '*.go') 2>/dev/null); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GOBIN)/staticcheck ./...
	@$(MAKE) --no-print-directory tidy-check

tidy-check:
	@cp go.mod /tmp/ingot-go.mod.bak; cp go.sum /tmp/ingot-go.sum.bak; $(GO) mod tidy; \
	if ! diff -q go.mod /tmp/ingot-go.mod.bak >/dev/null || ! diff -q go.sum /tmp/ingot-go.sum.bak >/dev/null; then \
	  cp /tmp/ingot-go.mod.bak go.mod; cp /tmp/ingot-go.sum.bak go.sum; echo "go mod tidy changes go.mod/go.sum: run it and commit"; exit 1; fi

deps: ## install the Debian packages the build, tests and demo use (when missing)
	@bash scripts/install-deps

tools: ## install the pinned lint tools
	@test -x $(GOBIN)/staticcheck || GOFLAGS= $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

bench: bench-api bench-rollout ## all control-plane benchmarks

bench-api: build ## API throughput on SQLite and PostgreSQL, p99 latency at 50 clients
	$(GO) run ./internal/benchapi -ingot $(BIN)/ingot

bench-rollout: ## 170-host rollout through ingot serve (emulated BMCs, fake installers, server killed halfway): wall, server CPU, Redfish calls/host
	$(GO) test -count=1 -timeout 5m -run 'TestRolloutThroughServe$$' -v ./cmd/ingot

bench-netboot: ## proxyDHCP offers/s, 1,000-client burst, 200 TFTP transfers, server CPU per offer (loopback)
	$(GO) run ./internal/benchnetboot

bench-build: ## debootstrap backend vs plain debootstrap + mkfs.ext4 -d; host image time and new bytes (needs root)
	$(GO) run ./imagebuild/internal/benchbuild

bench-write: ## image write path against a curl|zstd|dd baseline (see scripts/bench-write)
	bash scripts/bench-write

# ARCH=arm64 builds the arm64 installer into build/installer-arm64/.
ARCH ?= amd64
INSTALLER_DIR := build/installer$(if $(filter-out amd64,$(ARCH)),-$(ARCH))

installer: build/go.mod ## the installer kernel and initramfs in build/installer/ (ARCH=arm64: build/installer-arm64/; cached)
	$(GO) run ./internal/mkinstaller -arch $(ARCH) -out $(INSTALLER_DIR)

demo: deps build/go.mod ## deploy a real VM end to end (PXE, installer, Debian, first boot) on a lab network
	$(GO) run ./internal/labdemo

demo-api: build ## the API-only tour: images, hostgroups, hosts, a deployment driven by signals (no root needed)
	bash scripts/demo

e2e: build/go.mod ## the end-to-end VM tests alone (BIOS + UEFI deploy, discovery, Redfish virtual media, generic ISO)
	$(GO) test -count=1 -timeout 25m -v -run 'TestDeployVMs|TestDeployVirtualMedia|TestDeployGenericISO' ./internal/e2e

e2e-storage: build/go.mod ## the storage VM test alone (mirror+cis, LUKS bound to Tang + TPM2, recovery key, degraded mirror)
	$(GO) test -count=1 -timeout 30m -v -run TestDeployStorage ./internal/e2e

e2e-kit: build/go.mod ## the site-kit VM test alone (no network; a UEFI and a BIOS machine, mirror+cis with LUKS on the TPM; import)
	$(GO) test -count=1 -timeout 40m -v -run TestSiteKitStorage ./internal/e2e

clean: ## remove build outputs
	rm -rf $(BIN) build
