import GRPCCore
import NIOCore

/// Writes a server handler's response parts onto its stream.
struct WireServerStreamWriter: ClosableRPCWriterProtocol {
    typealias Element = RPCResponsePart<WireBytes>

    let stream: WireStream
    let connection: WireConnectionHandle
    /// The client's largest accepted frame.
    let maxMessageSize: Int

    func write(_ part: RPCResponsePart<WireBytes>) async throws {
        switch part {
        case .metadata(let metadata):
            try self.stream.flow.checkOpen()
            self.connection.execute { [stream] in $0.sendResponseHeaders(stream, metadata) }
        case .message(let bytes):
            guard bytes.count <= self.maxMessageSize else {
                throw RPCError(
                    code: .resourceExhausted,
                    message: "response message of \(bytes.count) bytes exceeds the client's maximum frame size of \(self.maxMessageSize) bytes"
                )
            }
            try await self.stream.flow.reserve(bytes.count)
            self.connection.execute { [stream] in $0.sendMessage(stream, bytes.buffer) }
        case .status(let status, let metadata):
            try self.stream.flow.checkOpen()
            self.connection.execute { [stream] in $0.sendTrailers(stream, status, metadata) }
        }
    }

    func write(contentsOf elements: some Sequence<RPCResponsePart<WireBytes>>) async throws {
        for element in elements {
            try await self.write(element)
        }
    }

    func finish() async {
        self.connection.execute { [stream] in $0.finishServerStream(stream, error: nil) }
    }

    func finish(throwing error: any Error) async {
        self.connection.execute { [stream] in $0.finishServerStream(stream, error: error) }
    }
}
