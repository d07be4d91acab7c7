# rekisteri — see README.md. `make run` and `make test` work on a fresh clone.
SHELL := /bin/bash
GO ?= go
# go.mod's toolchain line pins the Go patch every build and test uses; this
# machine's go.env says GOTOOLCHAIN=local, so let go fetch that patch once from
# the module proxy.
export GOTOOLCHAIN := auto

# Ports of `make run`; the tests use free ports of their own, so both can run at once.
RUN_HTTP_PORT ?= 8080
RUN_DYNAMODB_PORT ?= 8000
RUN_MOTO_PORT ?= 4566

FUNCTIONS := newsletter feedback bookings mailer retention requests campaigns events library librarytransfer libraryretention
LAMBDA_BUILD = GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -trimpath -tags lambda.norpc -ldflags "-s -w"
EMULATORS := infra/emulators/node_modules/.package-lock.json
# The browser tests drive Debian's Chromium.
CHROMIUM := /usr/bin/chromium

.PHONY: run test unit lint build bench deploy clean emulators browser $(addprefix build-,$(FUNCTIONS))

## run: the whole system locally (emulators, tables, queues, HTTP API on :$(RUN_HTTP_PORT)); Ctrl-C stops it all
run: $(EMULATORS)
	$(GO) build -o bin/runner ./infra/runner
	RUN_HTTP_PORT=$(RUN_HTTP_PORT) RUN_DYNAMODB_PORT=$(RUN_DYNAMODB_PORT) RUN_MOTO_PORT=$(RUN_MOTO_PORT) exec bin/runner -root .

## test: every test — lint, unit, integration against the emulators, the browser test
test: $(EMULATORS) $(CHROMIUM) lint
	$(GO) run ./infra/testenv -root . -- $(GO) test -count=1 -timeout 30m ./...

## lint: formatting, vet, staticcheck, and the SAM template against cfn-lint
lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './infra/emulators/*')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 -checks "all,-ST1000,-ST1003,-ST1020,-ST1021,-ST1022" ./...
	cfn-lint template.yaml --regions eu-north-1

## emulators: DynamoDB Local, pinned in infra/emulators/package-lock.json
emulators: $(EMULATORS)
$(EMULATORS): infra/emulators/package-lock.json
	npm ci --prefix infra/emulators --no-audit --no-fund --loglevel=error

## browser: Debian's Chromium for the browser tests; installed with apt when make runs as root
browser: $(CHROMIUM)
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian's chromium for the browser tests"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	else \
	  echo "the browser tests need Debian's chromium at $(CHROMIUM): sudo apt-get install chromium" >&2; exit 1; \
	fi

## build: every function as an arm64 bootstrap zipped for Lambda, in bin/
build:
	@for f in $(FUNCTIONS); do \
	  mkdir -p bin/$$f && $(LAMBDA_BUILD) -o bin/$$f/bootstrap ./functions/$$f && \
	  (cd bin/$$f && rm -f $$f.zip && python3 -m zipfile -c $$f.zip bootstrap) && ls -l bin/$$f/$$f.zip; \
	done

# `sam build` (BuildMethod: makefile) calls these with ARTIFACTS_DIR set.
build-NewsletterFunction:
	$(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/newsletter
build-FeedbackFunction:
	$(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/feedback
build-BookingsFunction:
	$(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/bookings
build-MailerFunction:
	$(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/mailer
build-RetentionFunction:
	$(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/retention
build-RequestsFunction:
	$(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/requests
build-CampaignsFunction:
	$(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/campaigns
build-EventsFunction:
	$(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/events
build-LibraryFunction:
	$(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/library
build-LibraryTransferFunction:
	$(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/librarytransfer
build-LibraryRetentionFunction:
	$(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/libraryretention

## bench: zip sizes, linked services, cold start, AWS calls and capacity per operation
bench: $(EMULATORS)
	$(GO) run ./infra/bench -root .

## deploy: needs the SAM CLI and credentials for the city's account (see README "Deploy");
## everything else is in samconfig.toml (not --guided, which would rewrite it)
deploy:
	$(GO) test -count=1 -run '^(TestJSONIsCurrent|TestTemplatesJSONIsCurrent)$$' ./internal/register/... ./internal/mail/
	sam build
	sam deploy

clean:
	rm -rf bin .aws-sam .local
