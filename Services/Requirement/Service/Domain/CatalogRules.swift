import ConformDomain

/// What must be true of a customer and a product before they are linked, or before the
/// customer's requirements are resolved for the product.
enum CatalogRules {
    /// Both must exist; the error says which does not.
    static func checkLinkable(customer: String, known customerKnown: Bool, product: String, known productKnown: Bool) throws {
        switch (customerKnown, productKnown) {
        case (true, true):
            return
        case (false, false):
            throw DomainError.notFound("neither customer \(customer) nor product \(product) exists; create both (CreateCustomer, CreateProduct), then link them")
        case (false, true):
            throw DomainError.notFound(Self.noCustomer(customer))
        case (true, false):
            throw DomainError.notFound("no product \(product) (product); create it with CreateProduct first, or ListProducts shows the products there are")
        }
    }

    /// A customer's requirements resolve only for a product it orders: otherwise its
    /// requirements for "all products" would read as if they applied.
    static func checkOrders(customer: String, known customerKnown: Bool, orders: Bool, product: String) throws {
        guard customerKnown else { throw DomainError.notFound(Self.noCustomer(customer)) }
        guard orders else {
            throw DomainError.failedPrecondition(
                "customer \(customer) does not order product \(product), so none of its requirements apply to it; LinkProduct records that it does"
            )
        }
    }

    /// The message for a customer code that names no customer.
    static func noCustomer(_ code: String) -> String {
        "no customer \(code) (customer); ListCustomers shows the customers there are"
    }
}
