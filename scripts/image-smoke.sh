#!/usr/bin/env bash
# Builds the briefbot image (make image) and smoke-tests it:
#   - the image runs as a non-root numeric user and is under 40 MB;
#   - `ask` answers from the seed articles with no network at all;
#   - HTTP mode starts (against a local fake of Slack's auth.test) and
#     answers /healthz, through `briefbot health` inside the container (the
#     compose health check) and from the host.
# Needs docker and python3. SKIP_BUILD=1 tests an image already built.
# Everything it starts is removed when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-briefbot:dev}
fail() { echo "image-smoke: FAIL: $*" >&2; exit 1; }
step() { echo "image-smoke: $*"; }

if [ "${SKIP_BUILD:-}" != 1 ]; then
  step "building $IMAGE"
  make image IMAGE="$IMAGE"
fi

user=$(docker inspect -f '{{.Config.User}}' "$IMAGE")
case "$user" in
  ""|0|0:*|root|root:*) fail "the image runs as root (User=\"$user\")" ;;
  *[!0-9:]*) fail "the image user \"$user\" is not numeric" ;;
esac
size=$(docker inspect -f '{{.Size}}' "$IMAGE")
[ "$size" -lt $((40 * 1024 * 1024)) ] || fail "the image is $size bytes, want under 40 MB"
step "user $user, $((size / 1024 / 1024)) MB"

step "ask, offline"
question="How long did Trump's call with Putin last?"
answer=$(docker run --rm --network none "$IMAGE" ask "$question")
echo "$answer"
grep -q "lasted around 40 minutes" <<<"$answer" || fail "ask did not answer with the quote"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
slack_port=$(free_port)
bot_port=$(free_port)
fake_pid=""
cid=""
cleanup() {
  [ -n "$cid" ] && docker rm -f "$cid" >/dev/null 2>&1 || true
  [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null || true
}
trap cleanup EXIT

# A fake of the one Slack Web API call HTTP mode makes at start (auth.test).
python3 - "$slack_port" <<'PY' &
import http.server, json, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"ok": True, "user_id": "UBOT", "bot_id": "BBOT", "team_id": "T1", "url": "https://example.slack.com/"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
fake_pid=$!
for _ in $(seq 1 50); do
  python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$slack_port" 2>/dev/null && break
  sleep 0.2
done

step "HTTP mode on 127.0.0.1:$bot_port"
cid=$(docker run -d --network host \
  -e SLACK_BOT_TOKEN=xoxb-smoke-test \
  -e SLACK_SIGNING_SECRET=smoke-test-secret \
  -e SLACK_API_URL="http://127.0.0.1:$slack_port/api/" \
  -e BOT_ADDR="127.0.0.1:$bot_port" \
  "$IMAGE")
ok=""
for _ in $(seq 1 60); do
  if docker exec "$cid" /briefbot health >/dev/null 2>&1; then ok=1; break; fi
  if [ "$(docker inspect -f '{{.State.Running}}' "$cid")" != true ]; then break; fi
  sleep 1
done
if [ -z "$ok" ]; then
  docker logs "$cid" >&2 || true
  fail "HTTP mode never answered /healthz"
fi
docker exec "$cid" /briefbot health
python3 -c 'import sys, urllib.request; r = urllib.request.urlopen(sys.argv[1], timeout=5); sys.exit(0 if r.status == 200 and r.read() == b"ok" else 1)' \
  "http://127.0.0.1:$bot_port/healthz" || fail "/healthz from the host"
step "stopping; the last lines of its log:"
docker stop -t 10 "$cid" >/dev/null
docker logs "$cid" 2>&1 | tail -n 5
step "ok"
