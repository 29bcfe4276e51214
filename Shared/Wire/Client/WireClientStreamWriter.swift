import ConformWireFrames
import GRPCCore
import NIOCore

/// Writes a client's request parts onto its stream; the first part, metadata, opens it.
struct WireClientStreamWriter: ClosableRPCWriterProtocol {
    typealias Element = RPCRequestPart<WireBytes>

    let stream: WireStream
    let connection: WireConnectionHandle
    let method: String
    /// The server's largest accepted frame.
    let maxMessageSize: Int

    func write(_ part: RPCRequestPart<WireBytes>) async throws {
        switch part {
        case .metadata(let metadata):
            try self.stream.flow.checkOpen()
            var headers = Conform_Wire_V1_RequestHeaders()
            headers.method = self.method
            headers.metadata = metadata.wireEntries
            if let timeout = metadata.grpcTimeout {
                headers.timeoutMicros = timeout.wholeMicroseconds
            }
            let payload = ByteBuffer(bytes: try headers.serializedBytes() as [UInt8])
            guard payload.readableBytes <= self.maxMessageSize else {
                throw RPCError(
                    code: .resourceExhausted,
                    message: "request metadata of \(payload.readableBytes) bytes exceeds the server's maximum frame size of \(self.maxMessageSize) bytes"
                )
            }
            self.connection.execute { [stream] in $0.openClientStream(stream, headers: payload) }
        case .message(let bytes):
            guard bytes.count <= self.maxMessageSize else {
                throw RPCError(
                    code: .resourceExhausted,
                    message: "request message of \(bytes.count) bytes exceeds the server's maximum frame size of \(self.maxMessageSize) bytes"
                )
            }
            try await self.stream.flow.reserve(bytes.count)
            self.connection.execute { [stream] in $0.sendMessage(stream, bytes.buffer) }
        }
    }

    func write(contentsOf elements: some Sequence<RPCRequestPart<WireBytes>>) async throws {
        for element in elements {
            try await self.write(element)
        }
    }

    func finish() async {
        self.connection.execute { [stream] in $0.halfClose(stream) }
    }

    func finish(throwing error: any Error) async {
        self.connection.execute { [stream] in
            $0.abandonClientStream(stream, reason: "the client abandoned the call: \(error)", error: error as? RPCError)
        }
    }
}
