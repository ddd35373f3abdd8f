#!/usr/bin/env bash
# A real S3-protocol server on loopback for ebak's tests, CI and benchmarks:
# s3s-fs (crates.io, pinned), which keeps objects as files under a directory
# and checks every request's SigV4 signature against one access key.
#
#   s3-server.sh install          cargo install s3s-fs at the pinned version, if missing
#   s3-server.sh start STATE_DIR  start one on a free port; print the exports that reach it
#   s3-server.sh stop STATE_DIR   stop it and remove its data
#
#   eval "$(bash store-s3/tests/s3-server.sh start /tmp/s3)"   # AWS_ENDPOINT_URL, keys, EBAK_S3_BUCKET
#   ebak backup docs -o "s3://$EBAK_S3_BUCKET/docs.ebak"
#   bash store-s3/tests/s3-server.sh stop /tmp/s3
#
# The store-s3 tests start their own instances (tests/common/mod.rs); they
# find the binary on PATH, in ~/.cargo/bin, or as $EBAK_S3S_FS.
set -euo pipefail

# 0.14.0: the newest s3s-fs that builds with Rust 1.92+ (0.15 needs 1.96);
# it honours If-None-Match: * on PutObject and CompleteMultipartUpload.
S3S_FS_VERSION=0.14.0
BUCKET=ebak

bin() {
    if [ -n "${EBAK_S3S_FS:-}" ]; then echo "$EBAK_S3S_FS"; return; fi
    command -v s3s-fs 2>/dev/null || echo "${CARGO_HOME:-$HOME/.cargo}/bin/s3s-fs"
}

installed() {
    local b
    b=$(bin)
    [ -x "$b" ] && [ "$("$b" --version 2>/dev/null)" = "s3s-fs $S3S_FS_VERSION" ]
}

case "${1:-}" in
install)
    if installed; then
        echo "s3s-fs $S3S_FS_VERSION: already installed ($(bin))" >&2
    else
        cargo install s3s-fs --version "$S3S_FS_VERSION" --features binary --locked
    fi
    ;;
start)
    state=${2:?usage: s3-server.sh start STATE_DIR}
    installed || { echo "s3s-fs $S3S_FS_VERSION is not installed: run '$0 install'" >&2; exit 1; }
    mkdir -p "$state/data/$BUCKET"
    key_id="AK$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
    secret=$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')
    for _ in 1 2 3 4 5; do
        port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
        "$(bin)" --host 127.0.0.1 --port "$port" --access-key "$key_id" --secret-key "$secret" \
            "$state/data" >"$state/server.log" 2>&1 &
        echo $! >"$state/pid"
        for _ in $(seq 100); do
            if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
                cat <<EOF
export AWS_ENDPOINT_URL=http://127.0.0.1:$port
export AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=$key_id
export AWS_SECRET_ACCESS_KEY=$secret
export EBAK_S3_BUCKET=$BUCKET
EOF
                exit 0
            fi
            kill -0 "$(cat "$state/pid")" 2>/dev/null || break
            sleep 0.1
        done
        kill "$(cat "$state/pid")" 2>/dev/null || true
    done
    echo "s3s-fs did not start; its log:" >&2
    cat "$state/server.log" >&2
    exit 1
    ;;
stop)
    state=${2:?usage: s3-server.sh stop STATE_DIR}
    if [ -f "$state/pid" ]; then
        kill "$(cat "$state/pid")" 2>/dev/null || true
        rm -f "$state/pid"
    fi
    rm -rf "$state/data"
    ;;
*)
    echo "usage: $0 install | start STATE_DIR | stop STATE_DIR" >&2
    exit 2
    ;;
esac
