public import GRPCCore
import Tracing

/// Carries the current trace to a peer: a client span for the call, its context injected into
/// the request's metadata, ended when the response's last part has been read. Calls made
/// outside any traced call (background feed reads, the reconciler) start no trace.
public struct TracingClientInterceptor: ClientInterceptor {
    public init() {}

    public func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingClientRequest<Input>,
        context: ClientContext,
        next: (StreamingClientRequest<Input>, ClientContext) async throws -> StreamingClientResponse<Output>
    ) async throws -> StreamingClientResponse<Output> {
        guard let parent = ServiceContext.current else {
            return try await next(request, context)
        }
        let call = CallSpan(method: context.descriptor, parent: parent, isServer: false, peers: ["network.peer.address": context.remotePeer])
        var request = request
        InstrumentationSystem.instrument.inject(call.span.context, into: &request.metadata, using: MetadataInjector())
        do {
            var response = try await next(request, context)
            switch response.accepted {
            case .failure(let error):
                call.finish(error)
            case .success(var contents):
                contents.bodyParts = RPCAsyncSequence(wrapping: SpanEndingSequence(base: contents.bodyParts, call: call))
                response.accepted = .success(contents)
            }
            return response
        } catch {
            call.finish(error)
            throw error
        }
    }
}

/// A response's parts, ending the call's span at their end: OK at the end, the error's status
/// when reading throws.
struct SpanEndingSequence<Element: Sendable>: AsyncSequence, Sendable {
    typealias Failure = any Error
    let base: RPCAsyncSequence<Element, any Error>
    let call: CallSpan

    func makeAsyncIterator() -> Iterator {
        Iterator(base: self.base.makeAsyncIterator(), call: self.call)
    }

    struct Iterator: AsyncIteratorProtocol {
        typealias Failure = any Error
        var base: RPCAsyncSequence<Element, any Error>.AsyncIterator
        let call: CallSpan

        mutating func next() async throws -> Element? {
            do {
                guard let element = try await self.base.next() else {
                    self.call.finish(nil)
                    return nil
                }
                return element
            } catch {
                self.call.finish(error)
                throw error
            }
        }
    }
}
