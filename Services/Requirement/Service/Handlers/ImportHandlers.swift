import ConformDomain
import ConformProtos
import ConformService
import GRPCCore

/// The wire side of importing a customer's requirements: the whole import is received and
/// checked before anything is written, every problem is reported with its entry and field,
/// and the writes happen in one transaction, so an import lands completely or not at all.
extension CatalogHandlers {
    private typealias Response = Conform_Requirement_V1_ImportRequirementsResponse
    private static let progressEvery = 100

    func importRequirements(
        request: RPCAsyncSequence<Conform_Requirement_V1_ImportRequirementsRequest, any Error>,
        response: RPCWriter<Conform_Requirement_V1_ImportRequirementsResponse>,
        context: ServerContext
    ) async throws {
        let call = try CallContext.required()
        let (header, entries) = try await Self.receive(request, response: response)
        let customer = try Codes.customer(header.customer)
        call.logger.info("import received", metadata: ["customer": "\(customer)", "requirements": "\(entries.count)"])

        var problems: [ImportProblem] = []
        var imported: [(entry: Int, requirement: Requirement)] = []
        for (entry, message) in entries.enumerated() {
            switch Self.requirement(from: message, customer: customer, entry: entry) {
            case .success(let requirement): imported.append((entry, requirement))
            case .failure(let list): problems += list.problems
            }
        }
        problems += RequirementImport.duplicates(among: imported.map { ($0.entry, $0.requirement.id) })
        let validations = try await self.validations()
        let found = problems
        let planned = imported

        // Progress leaves through a buffer that keeps the newest steps, drained by a task
        // of its own: the transaction never waits for the client to read, so a slow reader
        // cannot hold it (and what it locks) open.
        let (progress, report) = AsyncStream.makeStream(of: Response.self, bufferingPolicy: .bufferingNewest(64))
        let outcome = try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await step in progress { try await response.write(step) }
            }
            defer { report.finish() }
            let outcome = try await self.writes.write { transaction in
                var problems = found
                guard try await Self.customerExists(customer, on: transaction) else {
                    throw DomainError.notFound("no customer \(customer); create it with CreateCustomer before importing its requirements")
                }
                let stored = Dictionary(
                    try await RequirementStore.listForUpdate(customer: customer, on: transaction.connection, logger: transaction.logger).map { ($0.id, $0) },
                    uniquingKeysWith: { first, _ in first }
                )
                var steps: [ImportStep] = []
                for (entry, requirement) in planned {
                    switch RequirementImport.plan(requirement, stored: stored[requirement.id], entry: entry) {
                    case .success(let step): steps.append(step)
                    case .failure(let list): problems += list.problems
                    }
                }
                report.yield(.progress(.checked, done: entries.count, total: entries.count))
                var outcome = Conform_Requirement_V1_ImportOutcome.counting(steps)
                guard problems.isEmpty, !header.validateOnly else {
                    outcome.problems = problems.sorted { ($0.entry, $0.field) < ($1.entry, $1.field) }.map(\.message)
                    return outcome
                }
                for (done, step) in steps.enumerated() {
                    try await Self.apply(step, validations: validations, in: transaction)
                    if (done + 1) % Self.progressEvery == 0 {
                        report.yield(.progress(.written, done: done + 1, total: steps.count))
                    }
                }
                report.yield(.progress(.written, done: steps.count, total: steps.count))
                outcome.written = true
                return outcome
            }
            report.finish()
            try await group.waitForAll()
            return outcome
        }
        call.logger.info("import finished", metadata: [
            "customer": "\(customer)", "written": "\(outcome.written)", "problems": "\(outcome.problems.count)",
        ])
        try await response.write(.with { $0.outcome = outcome })
    }

    /// The header and every requirement of the import, with progress as they arrive.
    private static func receive(
        _ request: RPCAsyncSequence<Conform_Requirement_V1_ImportRequirementsRequest, any Error>,
        response: RPCWriter<Response>
    ) async throws -> (Conform_Requirement_V1_ImportHeader, [Conform_Requirement_V1_ImportedRequirement]) {
        var messages = request.makeAsyncIterator()
        guard case .header(let header)? = try await messages.next()?.part else {
            throw DomainError.invalid(field: "header", reason: "must come first in an import: it names the customer whose requirements follow")
        }
        let total = Int(header.expectedCount)
        var entries: [Conform_Requirement_V1_ImportedRequirement] = []
        entries.reserveCapacity(min(total, RequirementImport.maxEntries))
        while let message = try await messages.next() {
            guard case .requirement(let requirement)? = message.part else {
                throw DomainError.invalid(field: "header", reason: "comes once, first; after it only requirements may follow")
            }
            guard entries.count < RequirementImport.maxEntries else {
                throw DomainError.invalid(
                    field: "requirements",
                    reason: "an import holds at most \(RequirementImport.maxEntries) requirements; split the file"
                )
            }
            entries.append(requirement)
            if entries.count % Self.progressEvery == 0 {
                try await response.write(.progress(.received, done: entries.count, total: max(total, entries.count)))
            }
        }
        try await response.write(.progress(.received, done: entries.count, total: entries.count))
        return (header, entries)
    }

    /// One imported requirement checked field by field, so that every problem it has is
    /// reported at once rather than the first.
    private static func requirement(
        from message: Conform_Requirement_V1_ImportedRequirement,
        customer: String,
        entry: Int
    ) -> Result<Requirement, ProblemList> {
        var problems: [ImportProblem] = []
        func check<Value>(_ field: String, _ body: () throws -> Value) -> Value? {
            do {
                return try body()
            } catch let error as DomainError {
                problems.append(ImportProblem(entry: entry, error: error, field: field))
            } catch {
                problems.append(ImportProblem(entry: entry, field: field, reason: "\(error)"))
            }
            return nil
        }
        let id = check("requirement_id") { try Codes.requirement(message.requirementID) }
        let category = check("category") { () throws -> RequirementCategory in
            guard let category = RequirementCategory(message.category) else {
                throw DomainError.invalid(field: "category", reason: "is required: one of \(RequirementCategory.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return category
        }
        let strength = check("strength") { () throws -> RequirementStrength in
            guard let strength = RequirementStrength(message.strength) else {
                throw DomainError.invalid(field: "strength", reason: "is required: mandatory (blocks release) or preferred (warns)")
            }
            return strength
        }
        let scope = check("scope") { try RequirementScope.validate(message.hasScope ? message.scope : nil) }
        if message.versions.isEmpty {
            problems.append(ImportProblem(entry: entry, field: "versions", reason: "is empty; a requirement needs at least its first version"))
        }
        let versions = message.versions.enumerated().compactMap { index, version in
            check("versions[\(index)]") { try RequirementVersion.validate(version, field: "versions[\(index)]") }
        }
        guard problems.isEmpty, let id, let category, let strength, let scope else {
            return .failure(ProblemList(problems))
        }
        return .success(Requirement(customer: customer, id: id, category: category, strength: strength, scope: scope, versions: versions))
    }

    /// Writes one planned step with its audit entry and events, as the single-requirement
    /// calls would.
    private static func apply(_ step: ImportStep, validations: [CapabilityValidation], in transaction: WriteTransaction) async throws {
        switch step {
        case .create(let requirement):
            try await RequirementStore.insert(requirement, by: transaction.call.principal.name, on: transaction.connection, logger: transaction.logger)
            try await transaction.recordCreation(
                of: requirement.message(on: Day.today, validations: validations),
                object: "requirement:\(requirement.customer)/\(requirement.id)",
                event: "requirement.created"
            )
        case .addVersions(let stored, let versions, _):
            guard !versions.isEmpty else { return }
            var requirement = stored
            for version in versions {
                try await Self.storeNewVersion(version, of: requirement, in: transaction)
                requirement.versions.append(version)
            }
            try await transaction.recordChange(
                object: "requirement:\(requirement.customer)/\(requirement.id)",
                before: stored.message(on: Day.today, validations: validations),
                after: requirement.message(on: Day.today, validations: validations)
            )
        }
    }
}

extension Conform_Requirement_V1_ImportRequirementsResponse {
    fileprivate static func progress(_ stage: Conform_Requirement_V1_ImportProgress.Stage, done: Int, total: Int) -> Self {
        .with {
            $0.progress = .with {
                $0.stage = stage
                $0.done = UInt32(done)
                $0.total = UInt32(total)
            }
        }
    }
}

extension Conform_Requirement_V1_ImportOutcome {
    /// What the planned steps would write.
    fileprivate static func counting(_ steps: [ImportStep]) -> Self {
        .with { outcome in
            for step in steps {
                switch step {
                case .create(let requirement):
                    outcome.requirementsCreated += 1
                    outcome.versionsAdded += UInt32(requirement.versions.count)
                case .addVersions(_, let versions, let unchanged):
                    outcome.versionsAdded += UInt32(versions.count)
                    outcome.versionsUnchanged += UInt32(unchanged)
                }
            }
        }
    }
}

extension ImportProblem {
    var message: Conform_Requirement_V1_ImportProblem {
        .with {
            $0.entry = UInt32(self.entry)
            $0.field = self.field
            $0.reason = self.reason
        }
    }
}
