# briefbot: build, image and release helpers. Everything here also works by
# hand; see README.md.

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
IMAGE   ?= briefbot:dev
LDFLAGS := -s -w -X main.version=$(VERSION)
GOBUILD := CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)'

.PHONY: build image image-smoke test ci release-check release-snapshot clean

# A static, version-stamped binary named briefbot in bin/.
build:
	$(GOBUILD) -o bin/briefbot ./cmd/bot

# The container image $(IMAGE) FROM scratch: the binary is built here, then
# copied in with an empty /data owned by the bot's numeric user.
image:
	rm -rf dist/image
	mkdir -p dist/image/deploy/data
	cp deploy/data/.keep dist/image/deploy/data/
	GOOS=linux $(GOBUILD) -o dist/image/briefbot ./cmd/bot
	cp Dockerfile dist/image/Dockerfile
	DOCKER_BUILDKIT=0 docker build --label org.opencontainers.image.version=$(VERSION) -t $(IMAGE) dist/image

# Build the image and check it: an answer offline, HTTP mode's /healthz.
image-smoke:
	IMAGE=$(IMAGE) bash scripts/image-smoke.sh

test:
	go test -race -timeout 30m ./...

ci:
	bash .ci/run

release-check:
	goreleaser check

release-snapshot:
	goreleaser release --snapshot --clean --skip=docker,publish

clean:
	rm -rf bin dist
