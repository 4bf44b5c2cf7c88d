# hostadm test tiers. See README.md, "Tests".
#
#   make test         unit tier: any machine, no root, no setup
#   make check        as root on Debian 12: setup, then lint, unit and
#                     privileged tiers, the VM tier, and short fuzzing
#   make integration  unit + privileged tiers (root)
#   make vmtest       VM tier (root; QEMU guest with a Debian kernel)
#   make bench        side-by-side benchmarks with their anchors
#   make vmbench      the VM tier's benchmarks, run in the guest, tabulated
#   make fuzz         every fuzz target for FUZZTIME (default 60s)

GO        ?= go
FUZZTIME  ?= 60s
STATICCHECK_VERSION := v0.8.2

.PHONY: test check setup lint integration vmtest vmbench fuzz fuzz-short bench

test:
	$(GO) test ./...

check: setup
	@scripts/timed lint $(MAKE) --no-print-directory lint
	@scripts/timed integration $(MAKE) --no-print-directory integration
	@scripts/timed vmtest $(MAKE) --no-print-directory vmtest
	@scripts/timed fuzz $(MAKE) --no-print-directory fuzz-short

setup:
	@scripts/timed setup scripts/setup

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags integration ./...
	$(GO) vet -tags vmtest ./...
	GOOS=darwin $(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

integration:
	$(GO) test -tags integration -count=1 ./...

vmtest:
	@scripts/vmtest

vmbench:
	@mkdir -p .cache/vm
	@scripts/vmtest -bench . -benchout .cache/vm/bench.txt
	$(GO) run ./bench -in .cache/vm/bench.txt

fuzz-short:
	@scripts/fuzz 4s

fuzz:
	@scripts/fuzz $(FUZZTIME)

bench:
	$(GO) run ./bench
