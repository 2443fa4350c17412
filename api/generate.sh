#!/usr/bin/env bash
# Regenerates the Go code of the hymbaserve.v1 protos in api/hymbaserve/v1.
# The generated files are committed; CI does not run protoc.
#
# Needs on PATH (the versions the committed code was made with):
#   protoc              3.21.12  (apt-get install -y protobuf-compiler)
#   protoc-gen-go       v1.36.12 (go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12)
#   protoc-gen-go-grpc  v1.5.1   (go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.5.1)
set -euo pipefail
cd "$(dirname "$0")"
PATH="$PATH:$(go env GOPATH)/bin"
for tool in protoc protoc-gen-go protoc-gen-go-grpc; do
	command -v "$tool" >/dev/null || { echo "generate.sh: $tool not found on PATH" >&2; exit 1; }
done
protoc --proto_path=. \
	--go_out=. --go_opt=paths=source_relative \
	--go-grpc_out=. --go-grpc_opt=paths=source_relative \
	hymbaserve/v1/*.proto
