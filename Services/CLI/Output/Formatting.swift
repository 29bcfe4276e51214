import Foundation
import SwiftProtobuf

/// Microseconds since the epoch as an ISO 8601 UTC time with microseconds.
func formatMicros(_ micros: Int64) -> String {
    let date = Date(timeIntervalSince1970: TimeInterval(micros / 1_000_000))
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    let text = formatter.string(from: date)
    return text.replacingOccurrences(of: "Z", with: String(format: ".%06dZ", Int(micros % 1_000_000)))
}

/// Prints messages as JSON: one object, or an array for a list.
func printJSON(_ messages: [any SwiftProtobuf.Message], asList: Bool) throws {
    var options = JSONEncodingOptions()
    options.preserveProtoFieldNames = true
    options.alwaysPrintEnumsAsInts = false
    let objects = try messages.map { try $0.jsonString(options: options) }
    print(asList ? "[" + objects.joined(separator: ",\n") + "]" : objects.joined(separator: "\n"))
}
