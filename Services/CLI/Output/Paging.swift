/// Fetches one page after `token`, or every page when `all`; returns the items and the token
/// to continue from ("" after the last page).
func collectPages<Item>(
    after token: String,
    all: Bool,
    _ fetch: (String) async throws -> (items: [Item], next: String)
) async throws -> (items: [Item], next: String) {
    var items: [Item] = []
    var token = token
    repeat {
        let page = try await fetch(token)
        items += page.items
        token = page.next
    } while all && !token.isEmpty
    return (items, token)
}
