public import GRPCCore
public import NIOCore

/// The byte container the Conform wire hands to GRPCCore: a `ByteBuffer`, so message
/// payloads move between socket and serializer without being copied.
public struct WireBytes: GRPCContiguousBytes, Sendable, Hashable {
    public var buffer: ByteBuffer

    public init(_ buffer: ByteBuffer) {
        self.buffer = buffer
    }

    public init(repeating byte: UInt8, count: Int) {
        self.buffer = ByteBuffer(repeating: byte, count: count)
    }

    public init<Bytes: Sequence>(_ sequence: Bytes) where Bytes.Element == UInt8 {
        self.buffer = ByteBuffer(bytes: sequence)
    }

    public var count: Int { self.buffer.readableBytes }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try self.buffer.withUnsafeReadableBytes(body)
    }

    public mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        try self.buffer.withUnsafeMutableReadableBytes(body)
    }
}
