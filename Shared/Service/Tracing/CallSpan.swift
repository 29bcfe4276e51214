import GRPCCore
import Synchronization
import Tracing

/// One call's span, ended exactly once: with the call's status once it is known, or, when
/// the response is dropped before its end was seen (a client gone before the producer ran),
/// when the last reference to it goes.
final class CallSpan: Sendable {
    /// Server spans are errors only for these codes (OTel gRPC conventions); client spans for any non-OK.
    private static let serverErrors: Set<RPCError.Code> = [.unknown, .deadlineExceeded, .unimplemented, .internalError, .unavailable, .dataLoss]

    let span: any Span
    private let isServer: Bool
    private let ended = Atomic<Bool>(false)

    /// Starts the span of a call to or of `method`, with OpenTelemetry's gRPC attributes and the
    /// peers' addresses (`peers`: attribute names and values).
    init(method: MethodDescriptor, parent: ServiceContext, isServer: Bool, peers: [String: String]) {
        let span = startSpan(method.fullyQualifiedMethod, context: parent, ofKind: isServer ? .server : .client)
        span.updateAttributes { attributes in
            attributes["rpc.system"] = "grpc"
            attributes["rpc.service"] = method.service.fullyQualifiedService
            attributes["rpc.method"] = method.method
            for (name, value) in peers { attributes[name] = value }
        }
        self.span = span
        self.isServer = isServer
    }

    /// Ends the span: `error` nil is OK.
    func finish(_ error: (any Error)?) {
        guard !self.ended.exchange(true, ordering: .acquiringAndReleasing) else { return }
        if let error {
            let code = (error as? RPCError)?.code ?? (error is CancellationError ? .cancelled : .unknown)
            self.span.attributes["rpc.grpc.status_code"] = code.rawValue
            if !self.isServer || Self.serverErrors.contains(code) {
                self.span.setStatus(SpanStatus(code: .error, message: "\(code)"))
                self.span.recordError(error)
            }
        } else {
            self.span.attributes["rpc.grpc.status_code"] = 0
        }
        self.span.end()
    }

    deinit {
        if !self.ended.load(ordering: .acquiring) {
            self.span.attributes["conform.rpc.abandoned"] = true
            self.span.end()
        }
    }
}
