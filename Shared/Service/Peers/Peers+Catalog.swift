import ConformDomain
import ConformProtos
import GRPCCore

extension Peers {
    /// NOT_FOUND, naming the request field `customer`, for a customer code the requirement
    /// service does not know: so an unknown customer gets an error, not an empty answer.
    public func checkCustomerExists(_ customer: String) async throws {
        do {
            _ = try await self.call(.requirement) { client, metadata, options in
                try await Conform_Requirement_V1_RequirementService.Client(wrapping: client).getCustomer(
                    .with { $0.code = customer }, metadata: metadata, options: options
                )
            }
        } catch let error as RPCError where error.code == .notFound {
            throw DomainError.notFound("no customer \(customer) (customer); the requirement service's ListCustomers shows the customers there are")
        }
    }

    /// NOT_FOUND, naming the request field `product`, for a product code the requirement
    /// service does not know.
    public func checkProductExists(_ product: String) async throws {
        do {
            _ = try await self.call(.requirement) { client, metadata, options in
                try await Conform_Requirement_V1_RequirementService.Client(wrapping: client).getProduct(
                    .with { $0.code = product }, metadata: metadata, options: options
                )
            }
        } catch let error as RPCError where error.code == .notFound {
            throw DomainError.notFound("no product \(product) (product); the requirement service's ListProducts shows the products there are")
        }
    }
}
