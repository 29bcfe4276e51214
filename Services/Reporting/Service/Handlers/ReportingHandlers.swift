import ConformDomain
import ConformProtos
import ConformService
import ConformStorage
import GRPCCore

/// The wire side of the reporting service.
struct ReportingHandlers: Conform_Reporting_V1_ReportingService.SimpleServiceProtocol {
    let database: Database
    /// The services whose feeds it reads; the requirement service answers for a customer the
    /// feed has not shown yet.
    let peers: Peers
    let problems: FeedProblems
    /// Signalled when the reporting feed has new events, alert changes among them.
    let feedChanges: ChangeSignal
    /// How long an alert watch waits for that signal before it looks anyway: also how soon it
    /// sees a change that a transaction still open elsewhere in the cluster held back when it
    /// was signalled (it reads changes only below every running transaction).
    static let watchFallbackPoll: Duration = .milliseconds(250)

    /// The one way its handlers write: audited, with idempotency keys.
    var writes: Writes { Writes(database: self.database) }

    /// NOT_FOUND for a customer code that names no customer, so that an unknown customer gets
    /// an error rather than an empty, green answer. A customer newer than the feed read so far
    /// is asked of the requirement service.
    func checkCustomerExists(_ customer: String, call: CallContext) async throws {
        if try await ReadModelStore.knowsCustomer(customer, in: self.database, logger: call.logger) { return }
        do {
            _ = try await self.peers.call(.requirement) { client, metadata, options in
                try await Conform_Requirement_V1_RequirementService.Client(wrapping: client).getCustomer(
                    .with { $0.code = customer }, metadata: metadata, options: options
                )
            }
        } catch let error as RPCError where error.code == .notFound {
            throw DomainError.notFound("no customer \(customer) (customer); the requirement service's ListCustomers shows the customers there are")
        }
    }

    /// NOT_FOUND for a product code that names no product, the way `checkCustomerExists` does.
    func checkProductExists(_ product: String, call: CallContext) async throws {
        if try await ReadModelStore.knowsProduct(product, in: self.database, logger: call.logger) { return }
        do {
            _ = try await self.peers.call(.requirement) { client, metadata, options in
                try await Conform_Requirement_V1_RequirementService.Client(wrapping: client).getProduct(
                    .with { $0.code = product }, metadata: metadata, options: options
                )
            }
        } catch let error as RPCError where error.code == .notFound {
            throw DomainError.notFound("no product \(product) (product); the requirement service's ListProducts shows the products there are")
        }
    }

    func feedStatus(request: Conform_Reporting_V1_FeedStatusRequest, context: ServerContext) async throws -> Conform_Reporting_V1_FeedStatusResponse {
        let call = try CallContext.required()
        let progress = try await ReadModelStore.progress(in: self.database, logger: call.logger)
        let counts = try await ReadModelStore.batchCounts(in: self.database, logger: call.logger)
        return .with { response in
            response.feeds = ReportingSources.all.map { source in
                let known = progress.first { $0.source == source.rawValue }
                return .with {
                    $0.source = source.rawValue
                    $0.cursor = known?.cursor ?? ""
                    $0.applied = UInt64(known?.applied ?? 0)
                    $0.updatedAtMicros = known?.updatedAtMicros ?? 0
                    $0.problem = self.problems.problem(of: source.rawValue) ?? ""
                }
            }
            response.batchesOpen = UInt64(counts["open"] ?? 0)
            response.batchesReleased = UInt64(counts["released"] ?? 0)
            response.batchesRejected = UInt64(counts["rejected"] ?? 0)
        }
    }
}
