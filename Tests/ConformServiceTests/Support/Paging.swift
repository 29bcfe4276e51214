import GRPCCore
import Testing

/// Every item of a list read `size` at a time, following next_page_token to the end, and how
/// many pages that took.
func readPages<Item>(
    size: UInt32 = 1,
    _ fetch: (_ size: UInt32, _ token: String) async throws -> (items: [Item], next: String)
) async throws -> (items: [Item], pages: Int) {
    var items: [Item] = []
    var token = ""
    var pages = 0
    repeat {
        let page = try await fetch(size, token)
        items += page.items
        token = page.next
        pages += 1
    } while !token.isEmpty && pages < 1_000
    return (items, pages)
}

/// Checks that `call` is refused with INVALID_ARGUMENT naming page_token: a token given for
/// one list or filter, used with another.
func expectPageTokenRefused<Value>(_ call: () async throws -> Value) async {
    let error = await rpcError(call)
    #expect(error?.code == .invalidArgument)
    #expect(error?.message.hasPrefix("page_token ") == true, "\(error?.message ?? "no error") should name page_token")
}
