import Foundation
public import SwiftProtobuf

/// Small, deterministic JSON for audit details and event payloads: the same content always
/// gives the same text (objects of strings with sorted keys; messages as protobuf JSON, whose
/// fields come in field-number order).
public enum JSONText {
    /// A JSON object of strings.
    public static func object(_ fields: [String: String]) -> String {
        // A dictionary of strings always encodes.
        (try? Self.encode(fields)) ?? "{}"
    }

    /// `{"after": ..., "before": ...}` for an audited write, each a message as protobuf JSON.
    /// Composed from SwiftProtobuf's own JSON, not parsed and written again: every write
    /// makes one, and the round trip through Foundation cost more than the write's SQL.
    public static func change(before: (any SwiftProtobuf.Message)?, after: (any SwiftProtobuf.Message)?) throws -> String {
        var members: [String] = []
        if let after { members.append(#""after":"# + (try after.jsonString())) }
        if let before { members.append(#""before":"# + (try before.jsonString())) }
        return "{" + members.joined(separator: ",") + "}"
    }

    /// A message as protobuf JSON.
    public static func message(_ message: any SwiftProtobuf.Message) throws -> String {
        try message.jsonString()
    }

    private static func encode(_ value: Any) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
        return String(decoding: data, as: UTF8.self)
    }
}
