#!/usr/bin/env bash
# Regenerates every Swift file under Shared/Generated/ from Protos/.
#
# Uses Debian's protoc (protobuf-compiler, libprotobuf-dev for the well-known types) and
# the two Swift plugins built from this package's own pinned dependencies. Run it after
# changing anything in Protos/, then commit the result; builds and CI never run protoc.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/Shared/Generated}"
cd "$root"

if ! command -v protoc >/dev/null 2>&1 || [ ! -d /usr/include/google/protobuf ]; then
    echo "generate-protos: installing protoc (protobuf-compiler, libprotobuf-dev)" >&2
    apt-get update -qq && apt-get install -y -qq protobuf-compiler libprotobuf-dev >/dev/null
fi

plugins="$root/.build/release"
for plugin in protoc-gen-swift protoc-gen-grpc-swift-2; do
    if [ ! -x "$plugins/$plugin" ]; then
        echo "generate-protos: building $plugin (about a minute)" >&2
        swift build -c release --product "$plugin" >/dev/null
    fi
done

generate() { # generate MODULE messages|services FILE...
    local module="$1" kind="$2"; shift 2
    local dir="$out/$module"
    local grpc=()
    if [ "$kind" = services ]; then
        # The commas belong to protoc's option values, not to the array.
        # shellcheck disable=SC2054
        grpc=(--plugin=protoc-gen-grpc-swift="$plugins/protoc-gen-grpc-swift-2"
              --grpc-swift_out="$dir"
              --grpc-swift_opt=Visibility=Public,FileNaming=PathToUnderscores,Server=true,Client=true)
    fi
    rm -rf "$dir" && mkdir -p "$dir"
    protoc -I Protos -I /usr/include \
        --plugin=protoc-gen-swift="$plugins/protoc-gen-swift" \
        --swift_out="$dir" --swift_opt=Visibility=Public,FileNaming=PathToUnderscores \
        "${grpc[@]}" "$@"
}

# The wire's control messages live in their own module: the transport must not depend on
# any Conform service API.
generate ConformWireFrames messages Protos/conform/wire/v1/frames.proto

# Every service API, one module.
mapfile -t apis < <(cd Protos && find . -name '*.proto' ! -path './conform/wire/v1/frames.proto' | sed 's|^\./||' | sort)
generate ConformProtos services "${apis[@]/#/Protos/}"

echo "generate-protos: wrote $(find "$out" -name '*.swift' | wc -l) files under ${out#"$root"/}" >&2
