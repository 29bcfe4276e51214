#!/usr/bin/env python3
"""http2_call.py TLS_DIR PORT TRACEPARENT: one grpc.health.v1.Health/Check over standard gRPC
(HTTP/2, mutual TLS as `operator`) carrying TRACEPARENT, as a partner's own client would send
it; the service's span for it must continue that trace."""
import sys

import grpc

tls_dir, port, traceparent = sys.argv[1], sys.argv[2], sys.argv[3]
read = lambda name: open(f"{tls_dir}/{name}", "rb").read()
credentials = grpc.ssl_channel_credentials(read("ca.pem"), read("operator-key.pem"), read("operator.pem"))
with grpc.secure_channel(f"localhost:{port}", credentials) as channel:
    # An empty HealthCheckRequest is zero bytes; the answer's bytes are not needed here.
    check = channel.unary_unary("/grpc.health.v1.Health/Check", request_serializer=lambda m: m, response_deserializer=lambda m: m)
    check(b"", metadata=[("traceparent", traceparent)], timeout=10)
print("http2_call: Health/Check answered over HTTP/2")
