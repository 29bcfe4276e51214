import ConformDomain
import ConformProtos
import ConformService
import ConformStorage
import Foundation
import GRPCCore

/// The wire side of audit evidence reports.
extension ReportingHandlers {
    /// Parts of at most this many batches or items, well below the wire's largest frame.
    static let reportPageSize = 500
    /// HTML chunks of this many bytes.
    static let htmlChunkBytes = 256 * 1024

    func getAuditReport(
        request: Conform_Reporting_V1_AuditReportRequest, response: RPCWriter<Conform_Reporting_V1_AuditReportPart>, context: ServerContext
    ) async throws {
        let call = try CallContext.required()
        guard !request.customer.isEmpty else {
            throw DomainError.invalid(field: "customer", reason: "is required: a report is about one customer's batches")
        }
        let customer = try FieldRules.code(request.customer, field: "customer", maxLength: 32)
        try call.requireAccess(toCustomer: customer)
        let requirementIDs = try request.requirementIds.enumerated().map { index, id in
            try FieldRules.code(id, field: "requirement_ids[\(index)]", maxLength: 64)
        }
        let today = Day.today
        let period = try AuditReportRules.period(from: request.from, to: request.to, days: Int(request.days), today: today)
        guard request.sampleSize <= 1_000 else {
            throw DomainError.invalid(field: "sample_size", reason: "\(request.sampleSize) is more than 1000; the complete archive follows the sample anyway")
        }
        try await self.checkCustomerExists(customer, call: call)
        // Each report holds a database connection and its data while it streams: only so many at once.
        guard let slot = self.reportSlots.take() else {
            throw RPCError(
                code: .resourceExhausted,
                message: "\(self.reportSlots.limit) audit reports are being built already, the most at once (CONFORM_REPORTING_MAX_REPORTS); try again in about 10 seconds",
                metadata: ["grpc-retry-pushback-ms": "10000"]
            )
        }
        defer { slot.release() }
        let sampleSize = request.sampleSize == 0 ? 5 : Int(request.sampleSize)
        let seed = request.seed == 0 ? UInt64.random(in: 1...UInt64(Int64.max)) : request.seed

        // The report's requirements are the customer's own, whatever other customers call theirs.
        let asked = Set(requirementIDs.map { RequirementRef(customer: customer, id: $0) })
        let logger = call.logger
        let generatedBy = call.principal.name
        // One snapshot for every read, so the summary, the sample and both passes over the
        // archive describe exactly the same batches and items. The archive is streamed from it
        // as the caller reads, never held whole. The read-only transaction stays open while
        // parts are sent: writers go on, but a migration's ALTER waits for it and vacuum
        // cannot clean behind it, so the report slots above bound how many there are and
        // their timeout how long one lasts. Not retried: parts already sent cannot be taken back.
        let timeout = self.reportSlots.timeout
        try await self.reportSlots.withinTimeout {
            try await self.database.snapshot(logger: logger, retrying: false) { connection in
                // A query's clock runs while PostgreSQL waits for a slow reader: the report's
                // own timeout governs it (a minute later, so its message is the one a caller
                // gets), not the service's statement timeout of a few seconds.
                // PostgreSQL takes at most 2^31-1 ms (about 24 days).
                let seconds = min(max(timeout.components.seconds, 0), Int64(Int32.max) / 1_000)
                let milliseconds = "\(min(seconds * 1_000 + 60_000, Int64(Int32.max)))ms"
                try await connection.query("SELECT set_config('statement_timeout', \(milliseconds), true)", logger: logger)
                let batches = try await AuditReportStore.batches(customer: customer, from: period.from, to: period.to, on: connection, logger: logger)
                    .compactMap { batch, states -> ReportedBatch? in
                        // Asked about particular requirements, a batch that carries none of them is not in
                        // the report; one not evaluated yet cannot be told apart, so it is listed as pending.
                        if !asked.isEmpty, batch.isEvaluated, !states.contains(where: { asked.contains($0.requirement) }) { return nil }
                        let (outcome, reasons) = AuditReportRules.outcome(of: states, evaluated: batch.isEvaluated, asking: asked)
                        return ReportedBatch(
                            number: batch.number, product: batch.product, manufactureDate: batch.manufactureDate, status: batch.status,
                            outcome: outcome, reasons: reasons, amendments: batch.amendments
                        )
                    }
                let identities = try await AuditReportStore.archiveIdentities(
                    customer: customer, from: period.from, to: period.to, requirements: asked, on: connection, logger: logger
                )
                let sampled = AuditReportRules.sample(current: identities.filter(\.isCurrent).map(\.id), size: sampleSize, seed: seed)
                var sample: [ArchivedItem] = []
                if !sampled.isEmpty {
                    try await AuditReportStore.forEachArchivedItem(
                        customer: customer, from: period.from, to: period.to, requirements: asked, only: sampled, on: connection, logger: logger
                    ) { sample.append($0) }
                }
                let report = AuditReport(
                    customer: customer, requirementIDs: requirementIDs, from: period.from, to: period.to, generatedBy: generatedBy,
                    generatedAtMicros: Timestamps.nowMicros(), batches: batches, seed: seed, sample: sample, archiveCount: identities.count,
                    overTime: AuditReportRules.overTime(batches, from: period.from, to: period.to)
                )
                logger.info(
                    "audit report",
                    metadata: ["customer": "\(customer)", "from": "\(period.from)", "to": "\(period.to)", "batches": "\(batches.count)", "items": "\(identities.count)"]
                )

                try await response.write(.with { $0.summary = report.summaryMessage })
                for start in stride(from: 0, to: report.batches.count, by: Self.reportPageSize) {
                    let page = report.batches[start..<min(start + Self.reportPageSize, report.batches.count)]
                    try await response.write(.with { $0.batches = .with { $0.batches = page.map(\.message) } })
                }
                var page: [Conform_Reporting_V1_ArchivedItem] = []
                try await AuditReportStore.forEachArchivedItem(
                    customer: customer, from: period.from, to: period.to, requirements: asked, on: connection, logger: logger
                ) { item in
                    page.append(item.message)
                    if page.count == Self.reportPageSize {
                        let items = page
                        page = []
                        try await response.write(.with { $0.archive = .with { $0.items = items } })
                    }
                }
                if !page.isEmpty {
                    let items = page
                    try await response.write(.with { $0.archive = .with { $0.items = items } })
                }
                guard request.html else { return }
                // Rendered a few hundred rows at a time and sent as it grows: the document is never
                // held whole (a two-year report runs to tens of megabytes). Its archive table is a
                // second pass over the archive, from the same snapshot.
                var html = HTMLParts(response: response)
                for step in AuditReportHTML.opening(report) { try await html.write(step) }
                if report.archiveCount > 0 {
                    try await html.write { AuditReportHTML.appendItemTableHead(to: &$0) }
                    try await AuditReportStore.forEachArchivedItem(
                        customer: customer, from: period.from, to: period.to, requirements: asked, on: connection, logger: logger
                    ) { item in
                        try await html.write { AuditReportHTML.appendItemRow(item, to: &$0) }
                    }
                    try await html.write { AuditReportHTML.appendItemTableFoot(to: &$0) }
                }
                for step in AuditReportHTML.closing(report) { try await html.write(step) }
                try await html.flush()
            }
        }
    }
}

/// An HTML document sent as it is written, in parts of about `htmlChunkBytes`.
private struct HTMLParts {
    let response: RPCWriter<Conform_Reporting_V1_AuditReportPart>
    private var text = ""

    init(response: RPCWriter<Conform_Reporting_V1_AuditReportPart>) {
        self.response = response
    }

    /// Appends what `step` writes, sending a part once enough has gathered.
    mutating func write(_ step: AuditReportHTML.Step) async throws {
        step(&self.text)
        if self.text.utf8.count >= ReportingHandlers.htmlChunkBytes { try await self.flush() }
    }

    /// Sends what has gathered, if anything.
    mutating func flush() async throws {
        guard !self.text.isEmpty else { return }
        let bytes = Data(self.text.utf8)
        self.text = ""
        try await self.response.write(.with { $0.html = bytes })
    }
}

extension AuditReport {
    var summaryMessage: Conform_Reporting_V1_AuditReportSummary {
        .with {
            $0.customer = self.customer
            $0.requirementIds = self.requirementIDs
            $0.from = self.from.description
            $0.to = self.to.description
            $0.generatedBy = self.generatedBy
            $0.generatedAtMicros = self.generatedAtMicros
            $0.totalBatches = UInt32(self.total)
            $0.compliant = UInt32(self.compliant)
            $0.nonCompliant = UInt32(self.nonCompliant)
            $0.pending = UInt32(self.pending)
            $0.compliancePercent = self.compliancePercent
            $0.seed = self.seed
            $0.sample = self.sample.map(\.message)
            $0.overTime = self.overTime.map { point in
                .with {
                    $0.weekStarting = point.weekStarting.description
                    $0.batches = UInt32(point.batches)
                    $0.compliant = UInt32(point.compliant)
                }
            }
            $0.archiveItems = UInt32(self.archiveCount)
            $0.batches = UInt32(self.batches.count)
        }
    }
}

extension ReportedBatch {
    var message: Conform_Reporting_V1_ReportedBatch {
        .with {
            $0.number = self.number
            $0.product = self.product
            $0.manufactureDate = self.manufactureDate.description
            $0.status = self.status
            $0.outcome = switch self.outcome {
            case .compliant: .compliant
            case .nonCompliant: .nonCompliant
            case .pending: .pending
            }
            $0.reasons = self.reasons
            $0.amendments = self.amendments
        }
    }
}

extension ArchivedItem {
    var message: Conform_Reporting_V1_ArchivedItem {
        .with {
            $0.id = UInt64(self.id)
            $0.batch = self.batch
            $0.type = self.type
            $0.fileName = self.fileName
            $0.mediaType = self.mediaType
            $0.sha256 = self.sha256
            $0.size = UInt64(max(0, self.size))
            $0.uploadedBy = self.uploadedBy
            $0.uploadedAtMicros = self.uploadedAtMicros
            $0.satisfies = self.satisfies
            $0.concerns = self.concerns
            $0.supersededBy = UInt64(max(0, self.supersededBy))
            $0.signatures = self.signatures.map { signature in
                .with {
                    $0.printedName = signature.printedName
                    $0.signer = signature.signer
                    $0.signedAtMicros = signature.signedAtMicros
                    $0.meaning = signature.meaning
                }
            }
        }
    }
}
