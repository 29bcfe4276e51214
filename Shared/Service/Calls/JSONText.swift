import Foundation
public import SwiftProtobuf

/// Small, deterministic JSON for audit details and event payloads (keys sorted, so the same
/// content always hashes the same).
public enum JSONText {
    /// A JSON object of strings.
    public static func object(_ fields: [String: String]) -> String {
        // A dictionary of strings always encodes.
        (try? Self.encode(fields)) ?? "{}"
    }

    /// `{"before": ..., "after": ...}` for an audited write, each a message as protobuf JSON.
    public static func change(before: (any SwiftProtobuf.Message)?, after: (any SwiftProtobuf.Message)?) throws -> String {
        var fields: [String: Any] = [:]
        if let before { fields["before"] = try Self.jsonObject(before) }
        if let after { fields["after"] = try Self.jsonObject(after) }
        return try Self.encode(fields)
    }

    /// A message as protobuf JSON with sorted keys.
    public static func message(_ message: any SwiftProtobuf.Message) throws -> String {
        try Self.encode(Self.jsonObject(message))
    }

    private static func jsonObject(_ message: any SwiftProtobuf.Message) throws -> Any {
        try JSONSerialization.jsonObject(with: message.jsonUTF8Data(), options: [.fragmentsAllowed])
    }

    private static func encode(_ value: Any) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
        return String(decoding: data, as: UTF8.self)
    }
}
