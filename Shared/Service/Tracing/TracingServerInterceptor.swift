public import GRPCCore
import Tracing

/// Continues the caller's trace (W3C `traceparent`/`tracestate` in the call's metadata) with a
/// server span around the whole call, the response's producer included: a streaming handler,
/// and the generated unary path's message write, run after `intercept` returns. The handler,
/// the interceptors after this one and everything they call run with the span's context as
/// `ServiceContext.current`, so peer calls and database work become its children.
public struct TracingServerInterceptor: ServerInterceptor {
    /// Calls that last as long as their caller wants (feed subscriptions, health watches).
    static let longLived: Set<String> = ["conform.events.v1.EventFeed/Subscribe", "grpc.health.v1.Health/Watch"]

    public init() {}

    public func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        let descriptor = context.descriptor
        // A subscription lives for hours and polls all along: traced only when a caller asks.
        if Self.longLived.contains(descriptor.fullyQualifiedMethod), Array(request.metadata[stringValues: "traceparent"]).isEmpty {
            return try await next(request, context)
        }
        var parent = ServiceContext.topLevel
        InstrumentationSystem.instrument.extract(request.metadata, into: &parent, using: MetadataExtractor())
        let call = CallSpan(
            method: descriptor, parent: parent, isServer: true,
            peers: ["network.peer.address": context.remotePeer, "network.local.address": context.localPeer]
        )
        let spanContext = call.span.context
        do {
            var response = try await ServiceContext.withValue(spanContext) {
                try await next(request, context)
            }
            switch response.accepted {
            case .failure(let error):
                call.finish(error)
            case .success(var contents):
                let producer = contents.producer
                contents.producer = { writer in
                    do {
                        let trailers = try await ServiceContext.withValue(spanContext) { try await producer(writer) }
                        call.finish(nil)
                        return trailers
                    } catch {
                        call.finish(error)
                        throw error
                    }
                }
                response.accepted = .success(contents)
            }
            return response
        } catch {
            call.finish(error)
            throw error
        }
    }
}
