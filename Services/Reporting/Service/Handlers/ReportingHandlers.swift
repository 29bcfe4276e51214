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
    /// Caps the audit reports built at once.
    let reportSlots: ReportSlots
    /// Signalled when the reporting feed has new events, alert changes among them.
    let feedChanges: ChangeSignal
    /// How long an alert watch waits for that signal before it looks anyway: also how soon it
    /// sees a change that a transaction still open elsewhere in the cluster held back when it
    /// was signalled (it reads changes only below every running transaction).
    static let watchFallbackPoll: Duration = .milliseconds(250)

    /// The one way its handlers write: audited, with idempotency keys.
    var writes: Writes { Writes(database: self.database) }

    /// NOT_FOUND for a customer code that names no customer, so that an unknown customer gets
    /// an error rather than an empty, green answer. The read model answers for one it has
    /// seen; one newer than the feed read so far is asked of the requirement service.
    func checkCustomerExists(_ customer: String, call: CallContext) async throws {
        if try await ReadModelStore.knows(.customer, customer, in: self.database, logger: call.logger) { return }
        try await self.peers.checkCustomerExists(customer)
    }

    /// NOT_FOUND for a product code that names no product, the same way.
    func checkProductExists(_ product: String, call: CallContext) async throws {
        if try await ReadModelStore.knows(.product, product, in: self.database, logger: call.logger) { return }
        try await self.peers.checkProductExists(product)
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
