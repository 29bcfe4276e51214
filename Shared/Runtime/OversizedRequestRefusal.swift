import NIOCore
import NIOHPACK
import NIOHTTP2

/// Sits first on every HTTP/2 stream and reads the length prefix of each gRPC message. A
/// message longer than the limit is answered with RESOURCE_EXHAUSTED and a message that
/// says the limit, instead of the bare stream reset the transport would send, and its bytes
/// are never buffered.
final class OversizedRequestRefusal: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = HTTP2Frame.FramePayload
    typealias OutboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    private let limit: Int
    private let onRefusal: @Sendable () -> Void
    /// Bytes of the current message's 5-byte prefix read so far.
    private var prefix: [UInt8] = []
    /// Bytes of the current message's body still to come.
    private var remainingBody = 0
    private var refused = false
    /// Whether the response's HEADERS went out already (a streaming call's answer): the
    /// refusal then sends trailers alone.
    private var sentHeaders = false

    init(limit: Int, onRefusal: @escaping @Sendable () -> Void) {
        self.limit = limit
        self.onRefusal = onRefusal
        self.prefix.reserveCapacity(5)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.refused else { return }
        let payload = self.unwrapInboundIn(data)
        guard case .data(let frame) = payload, case .byteBuffer(var buffer) = frame.data else {
            context.fireChannelRead(data)
            return
        }
        while buffer.readableBytes > 0 {
            if self.remainingBody > 0 {
                let skipped = min(self.remainingBody, buffer.readableBytes)
                buffer.moveReaderIndex(forwardBy: skipped)
                self.remainingBody -= skipped
                continue
            }
            self.prefix.append(buffer.readInteger(as: UInt8.self)!)
            guard self.prefix.count == 5 else { continue }
            let length = self.prefix[1...4].reduce(0) { $0 << 8 | Int($1) }
            self.prefix.removeAll(keepingCapacity: true)
            if length > self.limit {
                self.refuse(context: context, length: length)
                return
            }
            self.remainingBody = length
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .headers = self.unwrapOutboundIn(data) {
            self.sentHeaders = true
        }
        context.write(data, promise: promise)
    }

    private func refuse(context: ChannelHandlerContext, length: Int) {
        self.refused = true
        self.onRefusal()
        let message = "the request message is \(length) bytes; this server accepts at most \(self.limit) bytes per message: send large content in chunks (see the upload calls)"
        var trailers: HPACKHeaders = self.sentHeaders ? [:] : [":status": "200", "content-type": "application/grpc"]
        trailers.add(name: "grpc-status", value: "8")
        trailers.add(name: "grpc-message", value: Self.percentEncoded(message))
        let headers = HTTP2Frame.FramePayload.headers(.init(headers: trailers, endStream: true))
        context.write(self.wrapOutboundOut(headers), promise: nil)
        // The rest of the request is not wanted. NO_ERROR, not CANCEL: the answer is complete,
        // and a stock client reports the status above rather than a cancelled stream (RFC 9113 8.1).
        context.writeAndFlush(self.wrapOutboundOut(.rstStream(.noError)), promise: nil)
    }

    /// grpc-message is percent-encoded outside printable ASCII, and '%' itself.
    static func percentEncoded(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            if byte >= 0x20 && byte <= 0x7E && byte != UInt8(ascii: "%") {
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return encoded
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        self.count >= width ? self : String(repeating: "0", count: width - self.count) + self
    }
}
