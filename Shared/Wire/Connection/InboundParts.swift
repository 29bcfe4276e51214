public import GRPCCore

/// A part that may carry message bytes, which count against the flow-control window.
protocol FlowControlledPart: Sendable {
    var flowControlledBytes: Int { get }
}

extension RPCRequestPart: FlowControlledPart where Bytes == WireBytes {
    var flowControlledBytes: Int {
        if case .message(let bytes) = self { return bytes.count }
        return 0
    }
}

extension RPCResponsePart: FlowControlledPart where Bytes == WireBytes {
    var flowControlledBytes: Int {
        if case .message(let bytes) = self { return bytes.count }
        return 0
    }
}

/// The parts arriving on one stream. Consuming a message returns its bytes to the peer
/// as window credit, so the peer can never send more than the reader has room for.
struct InboundParts<Part: FlowControlledPart>: AsyncSequence, Sendable {
    typealias Element = Part

    let parts: AsyncThrowingStream<Part, any Error>
    /// Credit is returned in batches of at least this many bytes.
    let creditThreshold: Int
    let returnCredit: @Sendable (Int) -> Void

    func makeAsyncIterator() -> Iterator {
        Iterator(parts: self.parts.makeAsyncIterator(), threshold: self.creditThreshold, returnCredit: self.returnCredit)
    }

    struct Iterator: AsyncIteratorProtocol {
        var parts: AsyncThrowingStream<Part, any Error>.AsyncIterator
        let threshold: Int
        let returnCredit: @Sendable (Int) -> Void
        var consumed = 0

        mutating func next() async throws -> Part? {
            guard let part = try await self.parts.next() else {
                // AsyncThrowingStream ends quietly when its reader is cancelled; a call that
                // was cut short must not look like one that completed.
                if Task.isCancelled {
                    throw RPCError(code: .cancelled, message: "the call was cancelled before it finished")
                }
                return nil
            }
            let bytes = part.flowControlledBytes
            if bytes > 0 {
                self.consumed += bytes
                if self.consumed >= self.threshold {
                    self.returnCredit(self.consumed)
                    self.consumed = 0
                }
            }
            return part
        }
    }
}
