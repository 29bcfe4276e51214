public import ConformProtos
public import GRPCCore
import Foundation

/// The conform.wire.v1 probe: echoes, counts, expands and converses, so tests and the
/// load tool can exercise every call shape of a transport without any domain logic.
public struct WireProbeService: Conform_Wire_V1_WireProbe.ServiceProtocol {
    /// Names the authenticated caller for `peer_identity`; the runtime supplies it.
    private let identify: @Sendable (ServerContext) -> String?

    public init(identify: @escaping @Sendable (ServerContext) -> String? = { _ in nil }) {
        self.identify = identify
    }

    public func echo(
        request: ServerRequest<Conform_Wire_V1_ProbeRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Conform_Wire_V1_ProbeResponse> {
        try await self.prepare(request.message, context)
        var response = Self.answer(to: request.message)
        response.peerIdentity = self.identify(context) ?? ""
        response.remotePeer = context.remotePeer
        return ServerResponse(message: response, metadata: Self.echoedMetadata(request.metadata))
    }

    public func collect(
        request: StreamingServerRequest<Conform_Wire_V1_ProbeRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Conform_Wire_V1_ProbeResponse> {
        var response = Conform_Wire_V1_ProbeResponse()
        for try await message in request.messages {
            try await self.prepare(message, context)
            response.messagesReceived += 1
            response.bytesReceived += UInt64(message.payload.count)
        }
        response.peerIdentity = self.identify(context) ?? ""
        response.remotePeer = context.remotePeer
        return ServerResponse(message: response, metadata: Self.echoedMetadata(request.metadata))
    }

    public func expand(
        request: ServerRequest<Conform_Wire_V1_ProbeRequest>,
        context: ServerContext
    ) async throws -> StreamingServerResponse<Conform_Wire_V1_ProbeResponse> {
        let message = request.message
        return StreamingServerResponse(metadata: Self.echoedMetadata(request.metadata)) { writer in
            for index in 0..<message.count {
                try await Self.pause(message.delayMillis, context)
                var response = Self.answer(to: message)
                response.messagesReceived = index + 1
                try await writer.write(response)
            }
            if message.failWithCode != 0 {
                throw Self.requestedFailure(message.failWithCode)
            }
            return [:]
        }
    }

    public func converse(
        request: StreamingServerRequest<Conform_Wire_V1_ProbeRequest>,
        context: ServerContext
    ) async throws -> StreamingServerResponse<Conform_Wire_V1_ProbeResponse> {
        StreamingServerResponse(metadata: Self.echoedMetadata(request.metadata)) { writer in
            var received: UInt32 = 0
            for try await message in request.messages {
                try await self.prepare(message, context)
                received += 1
                var response = Self.answer(to: message)
                response.messagesReceived = received
                try await writer.write(response)
            }
            return [:]
        }
    }

    /// Applies the request's delay and requested failure.
    private func prepare(_ message: Conform_Wire_V1_ProbeRequest, _ context: ServerContext) async throws {
        try await Self.pause(message.delayMillis, context)
        if message.failWithCode != 0 {
            throw Self.requestedFailure(message.failWithCode)
        }
    }

    /// Sleeps, but stops as soon as the call is cancelled (by the client, or its deadline).
    private static func pause(_ millis: UInt32, _ context: ServerContext) async throws {
        guard millis > 0 else { return }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await Task.sleep(for: .milliseconds(millis)) }
            group.addTask {
                try await context.cancellation.cancelled
                throw RPCError(code: .cancelled, message: "the call was cancelled")
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    private static func echoedMetadata(_ metadata: Metadata) -> Metadata {
        var echoed: Metadata = [:]
        echoed.add(contentsOf: metadata.filter { $0.key.hasPrefix("x-probe-") })
        return echoed
    }

    private static func answer(to request: Conform_Wire_V1_ProbeRequest) -> Conform_Wire_V1_ProbeResponse {
        var response = Conform_Wire_V1_ProbeResponse()
        response.payload = request.responseSize > 0 ? Data(count: Int(request.responseSize)) : request.payload
        return response
    }

    private static func requestedFailure(_ code: Int32) -> RPCError {
        let status = Status.Code(rawValue: Int(code)).flatMap { RPCError.Code($0) } ?? .unknown
        return RPCError(code: status, message: "the probe was asked to fail with \(status)")
    }
}
