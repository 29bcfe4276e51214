import GRPCCore
import NIOCore

/// One call's state inside a connection.
///
/// Made by whoever opens the call (the server's connection handler, or a client task),
/// then read and changed only on the connection's event loop; `flow` is the one part
/// shared with the writer, and it synchronises itself.
final class WireStream: @unchecked Sendable {
    enum Inbound {
        case server(AsyncThrowingStream<RPCRequestPart<WireBytes>, any Error>.Continuation)
        case client(AsyncThrowingStream<RPCResponsePart<WireBytes>, any Error>.Continuation)
    }

    let inbound: Inbound
    let flow: OutboundFlow

    // Event-loop confined from here on.
    /// Zero until the stream is opened on the wire.
    var id: UInt32 = 0
    /// Bytes the peer may still send before it must wait for our WINDOW_UPDATE.
    var receiveWindow: Int
    /// We sent our last frame: HALF_CLOSE (client) or TRAILERS (server).
    var localClosed = false
    /// The peer sent its last frame: HALF_CLOSE (server side) or TRAILERS (client side).
    var remoteClosed = false
    /// The call is over. A client's open request can reach the event loop after the call
    /// was abandoned (its writer and its canceller run in different tasks); this stops it.
    var ended = false
    /// Server side: cancels the handler when the client resets or the deadline passes.
    var cancellation: ServerContext.RPCCancellationHandle?
    /// Server side: cancelled before the handler's handle was attached.
    var cancelRequested = false
    var deadlineTimer: Scheduled<Void>?
    /// The method path, for messages about this call.
    var method: String = ""
    /// Client side: HEADERS waiting for the server's concurrency limit, and whether the
    /// caller half-closed meanwhile.
    var queuedHeaders: ByteBuffer?
    var halfCloseWhenOpened = false

    init(inbound: Inbound, flow: OutboundFlow, receiveWindow: Int) {
        self.inbound = inbound
        self.flow = flow
        self.receiveWindow = receiveWindow
    }

    /// Ends the inbound side: cleanly, or with the error the reader will see.
    func finishInbound(throwing error: (any Error)? = nil) {
        switch self.inbound {
        case .server(let continuation): continuation.finish(throwing: error)
        case .client(let continuation): continuation.finish(throwing: error)
        }
    }
}
