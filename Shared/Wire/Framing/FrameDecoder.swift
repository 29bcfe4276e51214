public import NIOCore

/// Splits the inbound byte stream into the peer's preface and then frames.
///
/// A frame's declared length is checked against `maxFrameSize` as soon as its header has
/// arrived, before any of its body is buffered, so a hostile length costs nothing.
/// Bytes left over when the connection ends are an error: an EOF inside a frame is not a
/// clean close.
public struct FrameDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = InboundWireUnit

    private var maxFrameSize: Int
    private var awaitingPreface: Bool

    /// - Parameters:
    ///   - maxFrameSize: the largest payload accepted, in bytes.
    ///   - expectingPreface: whether the stream opens with the peer's preface (false only
    ///     to decode bare frames, e.g. in tests).
    public init(maxFrameSize: Int, expectingPreface: Bool = true) {
        self.maxFrameSize = maxFrameSize
        self.awaitingPreface = expectingPreface
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> InboundWireUnit? {
        if self.awaitingPreface {
            return try self.decodePreface(&buffer)
        }
        return try self.decodeFrame(&buffer).map { .frame($0) }
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> InboundWireUnit? {
        if let unit = try self.decode(buffer: &buffer) {
            return unit
        }
        if buffer.readableBytes > 0 {
            throw WireProtocolError.truncated(
                self.awaitingPreface ? "the preface" : "a frame (\(buffer.readableBytes) bytes of it arrived)"
            )
        }
        return nil
    }

    private mutating func decodePreface(_ buffer: inout ByteBuffer) throws -> InboundWireUnit? {
        // Reject a wrong peer on its first bytes rather than waiting for all eight.
        let available = min(buffer.readableBytes, WireProtocol.magic.count)
        if let seen = buffer.getBytes(at: buffer.readerIndex, length: available),
            seen != Array(WireProtocol.magic.prefix(available))
        {
            throw WireProtocolError.badMagic(seen)
        }
        guard buffer.readableBytes >= WireProtocol.prefaceLength else { return nil }
        buffer.moveReaderIndex(forwardBy: WireProtocol.magic.count)
        let version = buffer.readInteger(as: UInt16.self)!
        self.awaitingPreface = false
        return .preface(version: version)
    }

    private func decodeFrame(_ buffer: inout ByteBuffer) throws -> Frame? {
        guard buffer.readableBytes >= WireProtocol.frameHeaderLength else { return nil }
        let start = buffer.readerIndex
        let length = Int(buffer.getInteger(at: start, as: UInt32.self)!)
        guard length <= self.maxFrameSize else {
            throw WireProtocolError.frameTooLarge(declared: length, limit: self.maxFrameSize)
        }
        let rawType = buffer.getInteger(at: start + 4, as: UInt8.self)!
        guard let type = FrameType(rawValue: rawType) else {
            throw WireProtocolError(.protocolError, "unknown frame type 0x\(String(rawType, radix: 16)) in protocol version \(WireProtocol.version)")
        }
        let flags = buffer.getInteger(at: start + 5, as: UInt8.self)!
        guard flags == 0 else {
            throw WireProtocolError(.protocolError, "frame flags must be zero in protocol version \(WireProtocol.version), got 0x\(String(flags, radix: 16))")
        }
        let streamID = buffer.getInteger(at: start + 6, as: UInt32.self)!
        guard type.isStreamScoped == (streamID != 0) else {
            throw WireProtocolError(
                .protocolError,
                type.isStreamScoped
                    ? "\(type) frame must name a stream (stream id 0 is the connection)"
                    : "\(type) frame belongs to the connection and must carry stream id 0, got \(streamID)"
            )
        }
        guard buffer.readableBytes >= WireProtocol.frameHeaderLength + length else { return nil }
        buffer.moveReaderIndex(forwardBy: WireProtocol.frameHeaderLength)
        let payload = buffer.readSlice(length: length)!
        return Frame(type: type, flags: flags, streamID: streamID, payload: payload)
    }
}
