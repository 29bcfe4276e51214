import Foundation
public import Logging

/// Writes one JSON object per line to standard error, for log collectors: time (UTC, ISO
/// 8601 with milliseconds), level, label, message, source, and the metadata as strings
/// (the request id among them).
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String

    public init(label: String, logLevel: Logger.Level = .info) {
        self.label = label
        self.logLevel = logLevel
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    public func log(
        level: Logger.Level,
        message: Logger.Message,
        metadata explicit: Logger.Metadata?,
        source: String,
        file: String,
        function: String,
        line: UInt
    ) {
        var fields: [String: String] = [:]
        let merged = self.metadata
            .merging(self.metadataProvider?.get() ?? [:]) { _, new in new }
            .merging(explicit ?? [:]) { _, new in new }
        for (key, value) in merged { fields[key] = "\(value)" }
        fields["time"] = Self.timestamp()
        fields["level"] = level.rawValue
        fields["label"] = self.label
        fields["message"] = message.description
        fields["source"] = source
        guard var data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return
        }
        data.append(0x0A)
        // One write per line, so lines from concurrent calls never interleave.
        FileHandle.standardError.write(data)
    }

    static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date())
    }
}
