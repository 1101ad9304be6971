# The briefbot image: one static binary, FROM scratch, so it builds with no
# image registry reachable. Build it with `make image`, which compiles the
# binary on the host (CGO off, -trimpath, version stamped) into the build
# context (dist/image) beside deploy/data/; GoReleaser builds the same image
# from its own binary. Plain `docker build` (the legacy
# builder) is enough: no BuildKit features are used.
FROM scratch

# Non-root, numeric (scratch has no /etc/passwd): uid and gid 10001.
USER 10001:10001

# /data holds the index, feedback and briefing state; it is owned by the
# bot's user, so `docker run --rm` works without a volume too.
COPY --chown=10001:10001 deploy/data/ /data/
COPY briefbot /briefbot

ENV BOT_DATA_DIR=/data \
    HOME=/data \
    BOT_ADDR=:3000
VOLUME ["/data"]
EXPOSE 3000
WORKDIR /data

# TLS roots for Slack and model servers are compiled into the binary
# (golang.org/x/crypto/x509roots/fallback). Health: `briefbot health`.
ENTRYPOINT ["/briefbot"]
