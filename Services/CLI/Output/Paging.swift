import ArgumentParser

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

/// The paging flags of a list command: a page at a time, or all of it.
struct PageOptions: ParsableArguments {
    @Option(help: "Items per page (at most 500).")
    var pageSize: UInt32 = 50

    @Option(help: "Continue from this token (printed after a page).")
    var pageToken: String = ""

    @Flag(help: "Fetch every page.")
    var all = false

    /// Fetches what the flags ask for: one page, or every page.
    func collect<Item>(_ fetch: (_ pageSize: UInt32, _ pageToken: String) async throws -> (items: [Item], next: String)) async throws -> (items: [Item], next: String) {
        try await collectPages(after: self.pageToken, all: self.all) { token in try await fetch(self.pageSize, token) }
    }

    /// Says how to go on after a page that was not the last.
    static func printMore(_ token: String) {
        if !token.isEmpty { print("More: --page-token \(token) (or --all)") }
    }
}
