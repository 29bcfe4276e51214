public import GRPCCore
import Metrics

/// Counts calls by method and status, and times them, through swift-metrics.
public struct MetricsInterceptor: ServerInterceptor {
    private let service: String

    public init(service: String) {
        self.service = service
    }

    public func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        let method = context.descriptor.fullyQualifiedMethod
        let began = ContinuousClock.now
        do {
            var response = try await next(request, context)
            switch response.accepted {
            case .failure(let error):
                self.record(method: method, code: error.code, since: began)
            case .success(var contents):
                let producer = contents.producer
                contents.producer = { writer in
                    do {
                        let trailers = try await producer(writer)
                        self.record(method: method, code: nil, since: began)
                        return trailers
                    } catch {
                        self.record(method: method, code: (error as? RPCError)?.code ?? .unknown, since: began)
                        throw error
                    }
                }
                response.accepted = .success(contents)
            }
            return response
        } catch {
            self.record(method: method, code: (error as? RPCError)?.code ?? .unknown, since: began)
            throw error
        }
    }

    private func record(method: String, code: RPCError.Code?, since began: ContinuousClock.Instant) {
        let status = code.map { "\($0)" } ?? "ok"
        let dimensions = [("service", self.service), ("method", method), ("code", status)]
        Counter(label: "conform_rpc_calls_total", dimensions: dimensions).increment()
        Timer(label: "conform_rpc_duration_seconds", dimensions: [("service", self.service), ("method", method)])
            .recordInterval(since: began)
    }
}

extension Timer {
    fileprivate func recordInterval(since began: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - began
        self.recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }
}
