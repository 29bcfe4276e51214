import GRPCCore
import Tracing

/// Reads W3C trace context (`traceparent`, `tracestate`) from a call's metadata.
struct MetadataExtractor: Extractor {
    func extract(key: String, from carrier: Metadata) -> String? {
        var values = carrier[stringValues: key].makeIterator()
        guard let value = values.next() else { return nil }
        // A malformed traceparent starts a new trace. Passed on, swift-otel would log the
        // caller's whole metadata for it, once per call.
        if key == "traceparent", !Self.isTraceparent(value) { return nil }
        return value
    }

    /// `VERSION-TRACEID-PARENTID-FLAGS`, lower-case hex of 2, 32, 16 and 2 digits.
    static func isTraceparent(_ value: String) -> Bool {
        let parts = value.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 4, zip(parts.prefix(4), [2, 32, 16, 2]).allSatisfy({ $0.count == $1 }) else { return false }
        return parts.prefix(4).allSatisfy { $0.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) } }
    }
}

/// Writes W3C trace context into a call's metadata (replacing any the caller set).
struct MetadataInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout Metadata) {
        carrier.replaceOrAddString(value, forKey: key)
    }
}
