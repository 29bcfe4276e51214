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
        let (found, archive) = try await self.database.transaction(logger: logger) { connection in
            // One snapshot for both reads, so the archive lists the items of exactly these batches.
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
            return (
                try await AuditReportStore.batches(customer: customer, from: period.from, to: period.to, on: connection, logger: logger),
                try await AuditReportStore.archive(
                    customer: customer, from: period.from, to: period.to, requirements: asked, on: connection, logger: logger
                )
            )
        }
        let batches = found.compactMap { batch, states -> ReportedBatch? in
            // Asked about particular requirements, a batch that carries none of them is not in
            // the report; one not evaluated yet cannot be told apart, so it is listed as pending.
            if !asked.isEmpty, batch.isEvaluated, !states.contains(where: { asked.contains($0.requirement) }) { return nil }
            let (outcome, reasons) = AuditReportRules.outcome(of: states, evaluated: batch.isEvaluated, asking: asked)
            return ReportedBatch(
                number: batch.number, product: batch.product, manufactureDate: batch.manufactureDate, status: batch.status,
                outcome: outcome, reasons: reasons, amendments: batch.amendments
            )
        }
        let report = AuditReport(
            customer: customer, requirementIDs: requirementIDs, from: period.from, to: period.to, generatedBy: call.principal.name,
            generatedAtMicros: Timestamps.nowMicros(), batches: batches, seed: seed,
            sample: AuditReportRules.sample(archive, size: sampleSize, seed: seed), archive: archive,
            overTime: AuditReportRules.overTime(batches, from: period.from, to: period.to)
        )
        call.logger.info(
            "audit report",
            metadata: ["customer": "\(customer)", "from": "\(period.from)", "to": "\(period.to)", "batches": "\(batches.count)", "items": "\(archive.count)"]
        )

        try await response.write(.with { $0.summary = report.summaryMessage })
        for start in stride(from: 0, to: report.batches.count, by: Self.reportPageSize) {
            let page = report.batches[start..<min(start + Self.reportPageSize, report.batches.count)]
            try await response.write(.with { $0.batches = .with { $0.batches = page.map(\.message) } })
        }
        for start in stride(from: 0, to: report.archive.count, by: Self.reportPageSize) {
            let page = report.archive[start..<min(start + Self.reportPageSize, report.archive.count)]
            try await response.write(.with { $0.archive = .with { $0.items = page.map(\.message) } })
        }
        if request.html {
            // Rendered a few hundred rows at a time and sent as it grows: the document is never
            // held whole (a two-year report runs to tens of megabytes).
            var chunk = ""
            for step in AuditReportHTML.steps(report) {
                step(&chunk)
                if chunk.utf8.count >= Self.htmlChunkBytes {
                    let bytes = Data(chunk.utf8)
                    chunk = ""
                    try await response.write(.with { $0.html = bytes })
                }
            }
            if !chunk.isEmpty {
                let bytes = Data(chunk.utf8)
                try await response.write(.with { $0.html = bytes })
            }
        }
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
            $0.archiveItems = UInt32(self.archive.count)
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
