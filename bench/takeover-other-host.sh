#!/usr/bin/env bash
# Measures how long a job held by a SIGKILLed worker on "another host" takes to be taken over by a
# worker on this host (BullMQ mode, default 30 s lease). The victim runs in its own UTS namespace
# (`unshare -u`, needs root) with another host name, so the survivors cannot tell it died by its
# process id and must wait for its lease, as with a machine that went away. Needs Redis
# (MONTU_REDIS_URL, default redis://127.0.0.1:6379), ffmpeg and a built CLI. Figure: docs/deploy.md.
set -euo pipefail
BIN="$(cd "$(dirname "$0")/.." && pwd)/packages/cli/dist/bin.js"
W=$(mktemp -d)
export MONTU_DATA_DIR=$W/data MONTU_REDIS_URL=${MONTU_REDIS_URL:-redis://127.0.0.1:6379} MONTU_QUEUE_NAME=takeover-$$
ffmpeg -v error -f lavfi -i testsrc2=size=1280x720:rate=24:duration=40 -c:v mpeg4 -q:v 3 -y $W/long.mov
node $BIN ingest -p TKO -t sh010_anim $W/long.mov >/dev/null
setsid unshare -u bash -c "hostname otherhost && exec node $BIN worker --concurrency 1" > $W/a.log 2>&1 &
A=$!
# wait until the proxy job runs on A
for i in $(seq 1 600); do
  if node $BIN jobs list --state running --json 2>/dev/null | grep -q '"type": *"proxy"'; then break; fi
  sleep 0.2
done
node $BIN worker --concurrency 1 > $W/b.log 2>&1 &
B=$!
sleep 3
JOB=$(node $BIN jobs list --state running --json | python3 -c "import json,sys; j=[x for x in json.load(sys.stdin) if x['type']=='proxy']; print(j[0]['id'], j[0]['lockedBy'])")
echo "running: $JOB"
kill -9 -- -$A
T0=$(date +%s.%N)
ID=${JOB%% *}
for i in $(seq 1 1200); do
  N=$(node $BIN jobs list --json | python3 -c "import json,sys; print([x for x in json.load(sys.stdin) if x['id']=='$ID'][0]['attempts'])")
  if [ "$N" -ge 2 ]; then break; fi
  sleep 0.5
done
T1=$(date +%s.%N)
python3 -c "print('taken over after %.1f s' % ($T1-$T0))"
kill $B; wait $B 2>/dev/null || true
rm -rf $W
