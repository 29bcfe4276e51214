import ConformWire
import NIOCore

/// Feeds arbitrary bytes to the frame decoder, whole and in two pieces, as a peer could.
/// Any crash, hang, leak or unbounded allocation is a bug; a thrown error is the decoder
/// doing its job.
@_cdecl("LLVMFuzzerTestOneInput")
public func frameDecoderFuzzer(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    let split = count > 0 ? Int(bytes[0]) % (count + 1) : 0
    for expectingPreface in [true, false] {
        var decoder = FrameDecoder(maxFrameSize: 64 * 1024, expectingPreface: expectingPreface)
        var buffer = ByteBuffer()
        do {
            for piece in [bytes[..<split], bytes[split...]] {
                buffer.writeBytes(UnsafeRawBufferPointer(rebasing: piece))
                while let unit = try decoder.decode(buffer: &buffer) {
                    if case .frame(let frame) = unit {
                        precondition(frame.payload.readableBytes <= 64 * 1024, "decoder passed an oversize frame")
                    }
                }
            }
            _ = try decoder.decodeLast(buffer: &buffer, seenEOF: true)
        } catch {
            continue
        }
    }
    return 0
}
