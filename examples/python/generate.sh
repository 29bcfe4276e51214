#!/bin/sh
# Generates Python stubs for Conform's APIs from Protos/ into DIR:
#
#   examples/python/generate.sh DIR
#
# Needs grpcio-tools (pip install -r examples/python/requirements.txt); uses whichever
# python3 is first on PATH (or $PYTHON). Afterwards, with DIR on sys.path (PYTHONPATH=DIR):
#
#   from conform.requirement.v1 import requirement_pb2, requirement_pb2_grpc
#
# Only Conform's own packages (conform.*) are generated. grpc.health.v1 and
# grpc.reflection.v1(alpha) come ready-made with grpcio-health-checking and
# grpcio-reflection; generating them here would put a `grpc` folder on the path that
# clashes with the grpc package itself.
set -eu

if [ $# -ne 1 ]; then
    echo "usage: $0 DIR" >&2
    exit 2
fi
out=$1
python=${PYTHON:-python3}
protos=$(cd "$(dirname "$0")/../../Protos" && pwd)

# protoc's own includes (google/protobuf/*.proto) ship inside grpc_tools.
well_known=$("$python" -c 'import grpc_tools, os; print(os.path.join(os.path.dirname(grpc_tools.__file__), "_proto"))')

mkdir -p "$out"
# Every .proto under Protos/conform, relative to Protos/ so imports resolve as written.
files=$(cd "$protos" && find conform -name '*.proto' | sort)
# shellcheck disable=SC2086 # one argument per file
"$python" -m grpc_tools.protoc \
    --proto_path="$protos" \
    --proto_path="$well_known" \
    --python_out="$out" \
    --pyi_out="$out" \
    --grpc_python_out="$out" \
    $files

# Make each generated folder a regular package, so `import conform.batch.v1` works on any
# Python 3 and no other `conform` folder on the path can take its place.
find "$out/conform" -type d -exec sh -c 'for d; do [ -e "$d/__init__.py" ] || : > "$d/__init__.py"; done' sh {} +

echo "generated $(echo "$files" | wc -w | tr -d ' ') protos into $out (add it to PYTHONPATH, or pass --stubs $out to partner_client.py)"
