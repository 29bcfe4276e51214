/// Every item of a paged list another service answers: follows next_page_token to the end.
/// For work that needs the whole list (a serial's genealogy, the supplier's due list); a
/// caller showing a person one page should not use it.
public func allPages<Item>(_ fetch: (_ pageToken: String) async throws -> (items: [Item], next: String)) async throws -> [Item] {
    var items: [Item] = []
    var token = ""
    repeat {
        let page = try await fetch(token)
        items += page.items
        token = page.next
    } while !token.isEmpty
    return items
}
