import ConformWire
import NIOCore
import NIOTestUtils
import Testing

@Suite("Frame decoder")
struct FrameDecoderTests {
    private static func bytes(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    private static let frames: [Frame] = [
        Frame(type: .settings, streamID: 0, payload: bytes("settings")),
        Frame(type: .headers, streamID: 1, payload: bytes("/conform.wire.v1.WireProbe/Echo")),
        Frame(type: .message, streamID: 1, payload: ByteBuffer()),
        Frame(type: .message, streamID: 1, payload: ByteBuffer(repeating: 0xAB, count: 300)),
        Frame(type: .halfClose, streamID: 1, payload: ByteBuffer()),
        Frame(type: .windowUpdate, streamID: 7, payload: bytes("credit")),
        Frame(type: .ping, streamID: 0, payload: bytes("12345678")),
        Frame(type: .goAway, streamID: 0, payload: bytes("bye")),
    ]

    @Test("decodes frames, however the bytes are split")
    func decodesFramesSplitAnywhere() throws {
        // The verifier feeds each frame whole, byte by byte, in random splits and repeated.
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: Self.frames.map { frame in
                (FrameEncoder.encode(frame, allocator: ByteBufferAllocator()), [InboundWireUnit.frame(frame)])
            },
            decoderFactory: { FrameDecoder(maxFrameSize: 64 * 1024, expectingPreface: false) }
        )
    }

    @Test("decodes the preface and the frames after it, split at every byte")
    func decodesPrefaceSplitAtEveryByte() throws {
        var input = ByteBuffer()
        FrameEncoder.writePreface(into: &input)
        for frame in Self.frames { FrameEncoder.write(frame, into: &input) }
        let expected: [InboundWireUnit] = [.preface(version: WireProtocol.version)] + Self.frames.map { .frame($0) }
        for split in 0...input.readableBytes {
            var decoder = FrameDecoder(maxFrameSize: 64 * 1024)
            var buffer = ByteBuffer()
            var decoded: [InboundWireUnit] = []
            for part in [input.getSlice(at: 0, length: split)!, input.getSlice(at: split, length: input.readableBytes - split)!] {
                var part = part
                buffer.writeBuffer(&part)
                while let unit = try decoder.decode(buffer: &buffer) { decoded.append(unit) }
            }
            #expect(decoded == expected, "split at byte \(split)")
        }
    }

    @Test("accepts a frame of exactly the maximum size")
    func acceptsMaximumSize() throws {
        var decoder = FrameDecoder(maxFrameSize: 16 * 1024)
        var input = ByteBuffer()
        FrameEncoder.writePreface(into: &input)
        FrameEncoder.write(Frame(type: .message, streamID: 3, payload: ByteBuffer(repeating: 1, count: 16 * 1024)), into: &input)
        #expect(try decoder.decode(buffer: &input) == .preface(version: 1))
        guard case .frame(let frame) = try decoder.decode(buffer: &input) else {
            Issue.record("expected a frame")
            return
        }
        #expect(frame.payload.readableBytes == 16 * 1024)
    }

    @Test("refuses an oversize declared length from the header alone, before any body arrives")
    func refusesOversizeBeforeBuffering() throws {
        var decoder = FrameDecoder(maxFrameSize: 16 * 1024)
        var input = ByteBuffer()
        FrameEncoder.writePreface(into: &input)
        #expect(try decoder.decode(buffer: &input) == .preface(version: 1))
        // Only the 10 header bytes: a 2 GiB claim must be refused now, not after buffering.
        input.writeInteger(UInt32(2_000_000_000))
        input.writeInteger(FrameType.message.rawValue)
        input.writeInteger(UInt8(0))
        input.writeInteger(UInt32(1))
        #expect(input.readableBytes == WireProtocol.frameHeaderLength)
        let error = #expect(throws: WireProtocolError.self) { try decoder.decode(buffer: &input) }
        #expect(error?.code == .frameTooLarge)
        #expect(error?.message.contains("2000000000") == true)
    }

    @Test("an EOF inside a frame is an error, not a clean close")
    func truncatedFrame() throws {
        var decoder = FrameDecoder(maxFrameSize: 1024)
        var input = ByteBuffer()
        FrameEncoder.writePreface(into: &input)
        FrameEncoder.write(Frame(type: .message, streamID: 1, payload: ByteBuffer(repeating: 9, count: 100)), into: &input)
        input.moveWriterIndex(to: input.writerIndex - 80)
        #expect(try decoder.decode(buffer: &input) == .preface(version: 1))
        #expect(try decoder.decode(buffer: &input) == nil)
        let error = #expect(throws: WireProtocolError.self) { try decoder.decodeLast(buffer: &input, seenEOF: true) }
        #expect(error?.message.contains("in the middle of a frame") == true)
    }

    @Test("an EOF inside the preface is an error")
    func truncatedPreface() throws {
        var decoder = FrameDecoder(maxFrameSize: 1024)
        var input = ByteBuffer(string: "CFW")
        #expect(try decoder.decode(buffer: &input) == nil)
        #expect(throws: WireProtocolError.self) { try decoder.decodeLast(buffer: &input, seenEOF: true) }
    }

    @Test("a clean EOF between frames is fine")
    func cleanEOF() throws {
        var decoder = FrameDecoder(maxFrameSize: 1024)
        var input = ByteBuffer()
        FrameEncoder.writePreface(into: &input)
        #expect(try decoder.decodeLast(buffer: &input, seenEOF: true) == .preface(version: 1))
        #expect(try decoder.decodeLast(buffer: &input, seenEOF: true) == nil)
    }

    @Test("garbage instead of a preface is refused on its first wrong byte", arguments: ["GET / HTTP/1.1\r\n\r\n", "G", "CFWQ", "\u{16}\u{03}\u{01}"])
    func garbagePreface(_ garbage: String) throws {
        var decoder = FrameDecoder(maxFrameSize: 1024)
        var input = ByteBuffer(string: garbage)
        let error = #expect(throws: WireProtocolError.self) { try decoder.decode(buffer: &input) }
        #expect(error?.code == .protocolError)
        #expect(error?.message.contains("not a Conform wire protocol peer") == true)
    }

    @Test("malformed headers are refused")
    func malformedHeaders() throws {
        func decodeFrame(type: UInt8, flags: UInt8, stream: UInt32) throws {
            var decoder = FrameDecoder(maxFrameSize: 1024)
            var input = ByteBuffer()
            FrameEncoder.writePreface(into: &input)
            input.writeInteger(UInt32(0))
            input.writeInteger(type)
            input.writeInteger(flags)
            input.writeInteger(stream)
            _ = try decoder.decode(buffer: &input)
            _ = try decoder.decode(buffer: &input)
        }
        #expect(throws: WireProtocolError.self, "unknown type") { try decodeFrame(type: 0x42, flags: 0, stream: 1) }
        #expect(throws: WireProtocolError.self, "reserved flags") { try decodeFrame(type: FrameType.message.rawValue, flags: 1, stream: 1) }
        #expect(throws: WireProtocolError.self, "stream frame on stream 0") { try decodeFrame(type: FrameType.message.rawValue, flags: 0, stream: 0) }
        #expect(throws: WireProtocolError.self, "connection frame on a stream") { try decodeFrame(type: FrameType.ping.rawValue, flags: 0, stream: 5) }
        #expect(throws: Never.self, "well formed") { try decodeFrame(type: FrameType.halfClose.rawValue, flags: 0, stream: 5) }
    }
}
