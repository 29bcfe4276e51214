import ConformWireFrames
import Foundation
import GRPCCore

extension Metadata {
    /// The metadata as wire entries, leaving out `grpc-timeout`: the deadline travels in
    /// its own field.
    var wireEntries: [Conform_Wire_V1_MetadataEntry] {
        var entries: [Conform_Wire_V1_MetadataEntry] = []
        entries.reserveCapacity(self.count)
        for (key, value) in self where key != Metadata.timeoutKey {
            var entry = Conform_Wire_V1_MetadataEntry()
            entry.key = key
            switch value {
            case .string(let text): entry.text = text
            case .binary(let bytes): entry.binary = Data(bytes)
            }
            entries.append(entry)
        }
        return entries
    }

    /// Metadata from wire entries. An entry with neither value is a protocol error.
    init(wireEntries: [Conform_Wire_V1_MetadataEntry]) throws(WireProtocolError) {
        self.init()
        for entry in wireEntries {
            switch entry.value {
            case .text(let text): self.addString(text, forKey: entry.key)
            case .binary(let data): self.addBinary(Array(data), forKey: entry.key)
            case .none: throw WireProtocolError(.protocolError, "metadata entry '\(entry.key)' has no value")
            }
        }
    }

    static let timeoutKey = "grpc-timeout"

    /// The time left for the call, as GRPCCore's client executor records it in `grpc-timeout`.
    var grpcTimeout: Duration? {
        guard let text = self[stringValues: Self.timeoutKey].first(where: { _ in true }) else { return nil }
        return Duration(grpcTimeout: text)
    }
}

extension Duration {
    /// Parses gRPC's timeout text: up to eight digits followed by a unit (H, M, S, m, u, n).
    init?(grpcTimeout text: String) {
        guard let unit = text.last, text.count >= 2, text.count <= 9,
            let amount = Int64(text.dropLast()), amount >= 0
        else { return nil }
        switch unit {
        case "H": self = .seconds(amount * 3600)
        case "M": self = .seconds(amount * 60)
        case "S": self = .seconds(amount)
        case "m": self = .milliseconds(amount)
        case "u": self = .microseconds(amount)
        case "n": self = .nanoseconds(amount)
        default: return nil
        }
    }

    /// Whole microseconds, rounded up so a tiny positive timeout never becomes "no deadline".
    var wholeMicroseconds: UInt64 {
        let (seconds, attoseconds) = self.components
        guard seconds >= 0 else { return 1 }
        let micros = UInt64(seconds) * 1_000_000 + UInt64((attoseconds + 999_999_999_999) / 1_000_000_000_000)
        return max(micros, 1)
    }
}
