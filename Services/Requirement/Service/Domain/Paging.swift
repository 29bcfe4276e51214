import ConformDomain

/// A page of a list ordered by code: how many, and after which code.
public struct PageRequest: Sendable, Equatable {
    public static let defaultSize = 50
    public static let maxSize = 500

    public var size: Int
    /// The last code of the previous page; nil for the first page.
    public var afterCode: String?

    public init(size: Int, afterCode: String?) {
        self.size = size
        self.afterCode = afterCode
    }

    /// Checks a client's page size and token (the token is the last code it was sent).
    public static func validate(pageSize: UInt32, pageToken: String, maxCodeLength: Int) throws -> PageRequest {
        guard pageSize <= maxSize else {
            throw DomainError.invalid(field: "page_size", reason: "is \(pageSize); at most \(maxSize) per page")
        }
        let after: String?
        if pageToken.isEmpty {
            after = nil
        } else {
            do {
                after = try FieldRules.code(pageToken, field: "page_token", maxLength: maxCodeLength)
            } catch {
                throw DomainError.invalid(field: "page_token", reason: "is not a token this service gave out; pass \"\" for the first page")
            }
        }
        return PageRequest(size: pageSize == 0 ? defaultSize : Int(pageSize), afterCode: after)
    }
}

/// One page of results and the token for the next ("" after the last).
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var nextPageToken: String
}
