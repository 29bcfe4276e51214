import Foundation

/// Conform's timestamps: UTC microseconds since the Unix epoch, as every table stores them.
public enum Timestamps {
    /// Now, to the microsecond.
    public static func nowMicros() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1_000_000).rounded())
    }
}

extension Timestamps {
    /// A duration in microseconds, as timestamps are compared.
    public static func micros(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000
    }
}
