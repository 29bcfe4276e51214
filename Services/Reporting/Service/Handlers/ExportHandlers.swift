import ConformDomain
import ConformProtos
import ConformService
import ConformStorage
import GRPCCore

/// The wire side of customer exports.
extension ReportingHandlers {
    func defineExport(request: Conform_Reporting_V1_DefineExportRequest, context: ServerContext) async throws -> Conform_Reporting_V1_ExportDefinition {
        let call = try CallContext.required()
        if let answer = try await self.writes.replay(request, as: Conform_Reporting_V1_ExportDefinition.self) { return answer }
        let wire = request.definition
        let customer = try FieldRules.code(wire.customer, field: "definition.customer", maxLength: 32)
        try call.requireAccess(toCustomer: customer)
        let schedule: ExportSchedule
        switch wire.schedule {
        case .unspecified, .monthly: schedule = .monthly
        case .onDemand: schedule = .onDemand
        case .UNRECOGNIZED(let value):
            throw DomainError.invalid(field: "definition.schedule", reason: "\(value) is not EXPORT_SCHEDULE_MONTHLY or EXPORT_SCHEDULE_ON_DEMAND")
        }
        let fields = try wire.fields.enumerated().map { index, field in
            guard let source = ExportSource(rawValue: field.source) else {
                throw DomainError.invalid(
                    field: "definition.fields[\(index)].source",
                    reason: "'\(field.source)' is not a source; use one of \(ExportSource.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            return ExportField(element: field.element, source: source)
        }
        let definition = ExportDefinition(
            customer: customer, name: wire.name, version: 0, schedule: schedule, rootElement: wire.rootElement, recordElement: wire.recordElement,
            fields: fields
        )
        do {
            try ExportRules.check(definition)
        } catch DomainError.invalid(let field, let reason) {
            throw DomainError.invalid(field: "definition.\(field)", reason: reason)
        }
        return try await self.writes.write(request) { transaction in
            let (stored, by, at) = try await ExportStore.define(definition, in: transaction)
            return stored.message(by: by, at: at)
        }
    }

    func listExportDefinitions(
        request: Conform_Reporting_V1_ListExportDefinitionsRequest, context: ServerContext
    ) async throws -> Conform_Reporting_V1_ListExportDefinitionsResponse {
        let call = try CallContext.required()
        let customer = try call.customerFilter(request.customer)
        let page = try KeysetPage(size: request.pageSize, token: request.pageToken, scope: "ListExportDefinitions|\(customer ?? "")", keys: [.text, .text])
        let logger = call.logger
        let rows = try await self.database.read(logger: logger) { connection in
            try await ExportStore.definitions(
                customer: customer, afterCustomer: page.after(0), afterName: page.after(1), limit: page.readLimit, on: connection, logger: logger
            )
        }
        if rows.isEmpty, page.after == nil, let customer { try await self.checkCustomerExists(customer, call: call) }
        let (definitions, next) = page.finish(rows) { [$0.0.customer, $0.0.name] }
        return .with {
            $0.definitions = definitions.map { $0.0.message(by: $0.by, at: $0.at) }
            $0.nextPageToken = next
        }
    }

    func runExport(request: Conform_Reporting_V1_RunExportRequest, context: ServerContext) async throws -> Conform_Reporting_V1_CustomerExport {
        let call = try CallContext.required()
        // A retry with its key is answered as the first run was, before rendering anything again.
        if let answer = try await self.writes.replay(request, as: Conform_Reporting_V1_CustomerExport.self) { return answer }
        let customer = try FieldRules.code(request.customer, field: "customer", maxLength: 32)
        try call.requireAccess(toCustomer: customer)
        guard !request.name.isEmpty else {
            throw DomainError.invalid(field: "name", reason: "is required: which of the customer's exports (ListExportDefinitions lists them)")
        }
        let period: ExportPeriod
        if request.period.isEmpty {
            period = ExportPeriod(containing: .today).previous
        } else {
            guard let asked = ExportPeriod(request.period) else {
                throw DomainError.invalid(field: "period", reason: "'\(request.period)' is not a month; write it as YYYY-MM, e.g. 2026-10")
            }
            let current = ExportPeriod(containing: .today)
            guard asked <= current else {
                throw DomainError.invalid(field: "period", reason: "\(asked) has not begun; a period up to \(current) can be exported")
            }
            period = asked
        }
        let generated = try await ExportRunner(database: self.database).generate(
            customer: customer, name: request.name, period: period, logger: call.logger
        )
        return try await self.writes.write(request) { transaction in
            let (export, unchanged) = try await generated.record(in: transaction)
            var message = export.message
            message.unchanged = unchanged
            return message
        }
    }

    func listExports(request: Conform_Reporting_V1_ListExportsRequest, context: ServerContext) async throws -> Conform_Reporting_V1_ListExportsResponse {
        let call = try CallContext.required()
        let customer = try call.customerFilter(request.customer)
        let page = try KeysetPage(size: request.pageSize, token: request.pageToken, scope: "ListExports|\(customer ?? "")", keys: [.integer])
        let rows = try await ExportStore.exports(customer: customer, after: page.after(0), limit: page.readLimit, in: self.database, logger: call.logger)
        if rows.isEmpty, page.after == nil, let customer { try await self.checkCustomerExists(customer, call: call) }
        let (exports, next) = page.finish(rows) { ["\($0.id)"] }
        return .with {
            $0.exports = exports.map(\.message)
            $0.nextPageToken = next
        }
    }

    func getExportContent(request: Conform_Reporting_V1_GetExportContentRequest, context: ServerContext) async throws -> Conform_Reporting_V1_ExportContent {
        let call = try CallContext.required()
        call.audit.about("export:\(request.id)")
        // A customer's principal looks only among its own customer's exports, so another
        // customer's id gets the same answer as one that does not exist, and nothing is read.
        let scope = call.principal.customerScope?.uppercased()
        guard let id = Int64(exactly: request.id),
              let (export, content) = try await ExportStore.content(id: id, customer: scope, in: self.database, logger: call.logger)
        else {
            throw DomainError.notFound("no export \(request.id)\(scope.map { " of customer \($0)" } ?? ""); ListExports shows them")
        }
        return .with {
            $0.export = export.message
            $0.content = .init(content)
        }
    }

    func listDeliveries(request: Conform_Reporting_V1_ListDeliveriesRequest, context: ServerContext) async throws -> Conform_Reporting_V1_ListDeliveriesResponse {
        let call = try CallContext.required()
        let customer = try call.customerFilter(request.customer)
        let page = try KeysetPage(size: request.pageSize, token: request.pageToken, scope: "ListDeliveries|\(customer ?? "")", keys: [.integer])
        let rows = try await ExportStore.deliveries(customer: customer, after: page.after(0), limit: page.readLimit, in: self.database, logger: call.logger)
        let (deliveries, next) = page.finish(rows) { ["\($0.id)"] }
        return .with {
            $0.deliveries = deliveries.map(\.message)
            $0.nextPageToken = next
        }
    }
}

extension ExportDefinition {
    func message(by principal: String, at micros: Int64) -> Conform_Reporting_V1_ExportDefinition {
        .with {
            $0.customer = self.customer
            $0.name = self.name
            $0.version = UInt32(self.version)
            $0.schedule = self.schedule == .monthly ? .monthly : .onDemand
            $0.rootElement = self.rootElement
            $0.recordElement = self.recordElement
            $0.fields = self.fields.map { field in .with { $0.element = field.element; $0.source = field.source.rawValue } }
            $0.definedBy = principal
            $0.definedAtMicros = micros
        }
    }
}

extension ExportRecord {
    var message: Conform_Reporting_V1_CustomerExport {
        .with {
            $0.id = UInt64(self.id)
            $0.customer = self.customer
            $0.name = self.name
            $0.definitionVersion = UInt32(self.definitionVersion)
            $0.period = self.period
            $0.fileName = self.fileName
            $0.sha256 = self.sha256
            $0.records = UInt32(self.records)
            $0.revision = UInt32(self.revision)
            $0.generatedAtMicros = self.generatedAtMicros
            $0.generatedBy = self.generatedBy
            if let delivery = self.delivery { $0.delivery = delivery.message }
        }
    }
}

extension DeliveryRecord {
    var message: Conform_Reporting_V1_Delivery {
        .with {
            $0.id = UInt64(self.id)
            $0.exportID = UInt64(self.exportID)
            $0.revision = UInt32(self.revision)
            $0.status = switch self.status {
            case "delivered": .delivered
            case "failed": .failed
            default: .queued
            }
            $0.attempts = UInt32(self.attempts)
            $0.lastError = self.lastError
            $0.path = self.path
            $0.queuedAtMicros = self.queuedAtMicros
            $0.deliveredAtMicros = self.deliveredAtMicros
            $0.nextAttemptAtMicros = self.nextAttemptAtMicros
            $0.customer = self.customer
            $0.fileName = self.fileName
        }
    }
}
