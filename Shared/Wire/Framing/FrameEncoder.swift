public import NIOCore

/// Writes prefaces and frames in their wire layout.
public enum FrameEncoder {
    /// Writes this implementation's preface.
    public static func writePreface(into buffer: inout ByteBuffer, version: UInt16 = WireProtocol.version) {
        buffer.writeBytes(WireProtocol.magic)
        buffer.writeInteger(version)
    }

    /// Writes one frame: header, then payload.
    public static func write(_ frame: Frame, into buffer: inout ByteBuffer) {
        buffer.reserveCapacity(minimumWritableBytes: WireProtocol.frameHeaderLength + frame.payload.readableBytes)
        buffer.writeInteger(UInt32(frame.payload.readableBytes))
        buffer.writeInteger(frame.type.rawValue)
        buffer.writeInteger(frame.flags)
        buffer.writeInteger(frame.streamID)
        var payload = frame.payload
        buffer.writeBuffer(&payload)
    }

    /// One frame in a buffer of its own.
    public static func encode(_ frame: Frame, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: WireProtocol.frameHeaderLength + frame.payload.readableBytes)
        Self.write(frame, into: &buffer)
        return buffer
    }
}
