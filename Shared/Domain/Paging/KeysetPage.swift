import Crypto
public import Foundation

/// A page of a list read in a stable order (keyset paging): how many items, and the sort key
/// of the last item of the previous page. The token a client gets back is opaque to it; it
/// names the list and its filters, so a token used with other filters is refused instead of
/// silently skipping or repeating items.
public struct KeysetPage: Sendable, Equatable {
    public static let defaultSize = 50
    public static let maxSize = 500

    /// How many items the page holds at most.
    public var size: Int
    /// The sort key of the last item already sent, column by column; nil for the first page.
    public var after: [String]?
    /// The list and its filters, e.g. "ListBatches|customer=A|product=".
    public let scope: String

    /// What a column of the sort key holds, so a token's values are checked before they
    /// reach SQL: a forged token is INVALID_ARGUMENT, never a failed cast.
    public enum KeyKind: Sendable {
        case text
        case integer
        case date
    }

    /// Checks a client's page_size and page_token for the list `scope` names, whose sort key
    /// has columns of `keys`.
    public init(size: UInt32, token: String, scope: String, keys: [KeyKind] = [.text]) throws {
        guard size <= UInt32(Self.maxSize) else {
            throw DomainError.invalid(field: "page_size", reason: "is \(size); at most \(Self.maxSize) per page (0 asks for \(Self.defaultSize))")
        }
        self.size = size == 0 ? Self.defaultSize : Int(size)
        self.scope = scope
        guard !token.isEmpty else {
            self.after = nil
            return
        }
        let values = try Self.decode(token, scope: scope)
        guard values.count == keys.count, zip(values, keys).allSatisfy(Self.fits) else {
            throw Self.refusal
        }
        self.after = values
    }

    private static func fits(_ value: String, _ kind: KeyKind) -> Bool {
        switch kind {
        case .text: return !value.contains("\0")
        case .integer: return Int64(value) != nil
        // Written back exactly as read, so PostgreSQL reads the same day.
        case .date: return Day(value)?.description == value && !value.hasPrefix("0000")
        }
    }

    private static let refusal = DomainError.invalid(field: "page_token", reason: "is not a token this list gave out; pass \"\" for the first page")

    /// The key column `index` of the last item sent, or nil on the first page (SQL binds nil as
    /// NULL, which the queries read as "from the start").
    public func after(_ index: Int) -> String? {
        guard let after, index < after.count else { return nil }
        return after[index]
    }

    /// How many rows to read: one more than the page, to know whether another follows.
    public var readLimit: Int { self.size + 1 }

    /// The page from rows read with `readLimit`, and the token for the next one ("" after the last).
    public func finish<Item>(_ rows: [Item], key: (Item) -> [String]) -> (items: [Item], nextPageToken: String) {
        guard rows.count > self.size else { return (rows, "") }
        let items = Array(rows.prefix(self.size))
        return (items, Self.encode(key(items[items.count - 1]), scope: self.scope))
    }

    /// The token for the page after an item with sort key `key`: for a page cut short, e.g.
    /// because its messages would not fit in one response.
    public func token(after key: [String]) -> String {
        Self.encode(key, scope: self.scope)
    }

    private struct Token: Codable {
        /// A short digest of the scope the token was given for.
        var s: String
        /// The last item's key.
        var k: [String]
    }

    static func encode(_ keys: [String], scope: String) -> String {
        let data = (try? JSONEncoder().encode(Token(s: Self.digest(scope), k: keys))) ?? Data()
        return "p1." + data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ token: String, scope: String) throws -> [String] {
        let refusal = Self.refusal
        guard token.hasPrefix("p1."), token.count <= 2048 else { throw refusal }
        var base64 = String(token.dropFirst(3)).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let decoded = try? JSONDecoder().decode(Token.self, from: data), !decoded.k.isEmpty else {
            throw refusal
        }
        guard decoded.s == Self.digest(scope) else {
            throw DomainError.invalid(
                field: "page_token",
                reason: "belongs to the same list with other filters; send the filters it was given with, or \"\" for the first page"
            )
        }
        return decoded.k
    }

    private static func digest(_ scope: String) -> String {
        SHA256.hash(data: Data(scope.utf8)).prefix(6).map { String(format: "%02x", $0) }.joined()
    }
}
