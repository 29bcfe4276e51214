import ConformDomain

/// A requirement version as the customer numbers it: "1", "1.0", "2.1.3". Ordered by its
/// numeric parts, so "1.10" comes after "1.9".
public struct VersionNumber: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let parts: [Int]
    public let description: String

    public init?(_ text: String) {
        let pieces = text.split(separator: ".", omittingEmptySubsequences: false)
        guard !pieces.isEmpty, pieces.count <= 4,
              pieces.allSatisfy({ !$0.isEmpty && $0.count <= 6 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) })
        else { return nil }
        self.parts = pieces.compactMap { Int($0) }
        self.description = text
    }

    public static func parse(_ text: String, field: String) throws -> VersionNumber {
        guard let number = VersionNumber(text.trimmingCharacters(in: .whitespaces)) else {
            throw DomainError.invalid(field: field, reason: "'\(text)' is not a version number; write digits and dots, e.g. 2.0")
        }
        return number
    }

    public static func < (lhs: VersionNumber, rhs: VersionNumber) -> Bool {
        let length = max(lhs.parts.count, rhs.parts.count)
        for index in 0..<length {
            let left = index < lhs.parts.count ? lhs.parts[index] : 0
            let right = index < rhs.parts.count ? rhs.parts[index] : 0
            if left != right { return left < right }
        }
        return false
    }

    public static func == (lhs: VersionNumber, rhs: VersionNumber) -> Bool {
        !(lhs < rhs) && !(rhs < lhs)
    }

    public func hash(into hasher: inout Hasher) {
        var parts = self.parts
        while parts.last == 0 { parts.removeLast() }
        hasher.combine(parts)
    }
}

import Foundation
