import ConformDomain
import ConformProtos
import ConformService
import ConformStorage
import Foundation
import GRPCCore
import SwiftProtobuf

/// The wire side of the batch service: orders, batches and their records.
struct BatchHandlers: Conform_Batch_V1_BatchService.SimpleServiceProtocol {
    let database: Database
    let peers: Peers
    let writes: Writes
    /// Where a unit's QR link points; the serial is appended.
    let traceBaseURL: String

    init(resources: ServiceResources, traceBaseURL: String) {
        self.database = resources.database
        self.peers = resources.peers
        self.writes = Writes(database: resources.database)
        self.traceBaseURL = traceBaseURL
    }

    func createOrder(request: Conform_Batch_V1_CreateOrderRequest, context: ServerContext) async throws -> Conform_Batch_V1_Order {
        let order = Order(
            reference: try FieldRules.text(request.reference, field: "reference", maxLength: 200),
            customer: try FieldRules.code(request.customer, field: "customer", maxLength: 32),
            product: try FieldRules.code(request.product, field: "product", maxLength: 64),
            quantity: Int(request.quantity)
        )
        guard order.quantity > 0 else { throw DomainError.invalid(field: "quantity", reason: "is required: how many units were ordered") }
        try await self.checkOrders(customer: order.customer, product: order.product)
        return try await self.writes.write(request) { transaction in
            try await OrderStore.insert(order, by: transaction.call.principal.name, on: transaction.connection, logger: transaction.logger)
            let message = order.message(createdAtMicros: Timestamps.nowMicros(), createdBy: transaction.call.principal.name)
            try await transaction.recordCreation(of: message, object: "order:\(order.reference)", event: "order.created")
            return message
        }
    }

    func getOrder(request: Conform_Batch_V1_GetOrderRequest, context: ServerContext) async throws -> Conform_Batch_V1_Order {
        let call = try CallContext.required()
        guard let (order, micros, by) = try await OrderStore.find(request.reference, in: self.database, logger: call.logger) else {
            throw DomainError.notFound("no order \(request.reference); ListOrders shows the orders there are")
        }
        return order.message(createdAtMicros: micros, createdBy: by)
    }

    func listOrders(request: Conform_Batch_V1_ListOrdersRequest, context: ServerContext) async throws -> Conform_Batch_V1_ListOrdersResponse {
        let call = try CallContext.required()
        let customer = request.customer.isEmpty ? nil : try FieldRules.code(request.customer, field: "customer", maxLength: 32)
        let page = try KeysetPage(size: request.pageSize, token: request.pageToken, scope: "ListOrders|\(customer ?? "")")
        let rows = try await OrderStore.list(reference: nil, customer: customer, after: page.after(0), limit: page.readLimit, in: self.database, logger: call.logger)
        if rows.isEmpty, page.after == nil, let customer { try await self.peers.checkCustomerExists(customer) }
        let (orders, next) = page.finish(rows) { [$0.0.reference] }
        return .with {
            $0.orders = orders.map { $0.0.message(createdAtMicros: $0.1, createdBy: $0.2) }
            $0.nextPageToken = next
        }
    }

    func setProductMode(request: Conform_Batch_V1_SetProductModeRequest, context: ServerContext) async throws -> Conform_Batch_V1_ProductMode {
        let product = try FieldRules.code(request.product, field: "product", maxLength: 64)
        return try await self.writes.write(request) { transaction in
            let before = try await OrderStore.isConsolidated(product, on: transaction.connection, logger: transaction.logger)
            try await OrderStore.setMode(product: product, consolidated: request.consolidated, by: transaction.call.principal.name, on: transaction.connection, logger: transaction.logger)
            let message = Conform_Batch_V1_ProductMode.with {
                $0.product = product
                $0.consolidated = request.consolidated
                $0.setBy = transaction.call.principal.name
            }
            try await transaction.recordChange(
                object: "product-mode:\(product)",
                before: Conform_Batch_V1_ProductMode.with { $0.product = product; $0.consolidated = before },
                after: message
            )
            return message
        }
    }

    func createBatch(request: Conform_Batch_V1_CreateBatchRequest, context: ServerContext) async throws -> Conform_Batch_V1_Batch {
        let call = try CallContext.required()
        let new = try BatchRules.newBatch(
            number: request.number, product: request.product, customer: request.customer, orderReference: request.orderReference,
            manufactureDate: request.manufactureDate, quantity: Int(request.quantity)
        )
        if !new.order.isEmpty {
            guard let (order, _, _) = try await OrderStore.find(new.order, in: self.database, logger: call.logger) else {
                throw DomainError.notFound("no order \(new.order); create it with CreateOrder, or leave order out")
            }
            try BatchRules.check(order: order, customer: new.customer, product: new.product, quantity: new.quantity)
        }
        try await self.checkOrders(customer: new.customer, product: new.product)
        let consolidated = try await self.database.read(logger: call.logger) { connection in
            try await OrderStore.isConsolidated(new.product, on: connection, logger: call.logger)
        }
        let requirements = try await self.requirements(customer: new.customer, product: new.product, on: new.date, consolidated: consolidated)
        let batch = Batch(
            number: new.number, product: new.product, customer: new.customer, orderReference: new.order, manufactureDate: new.date,
            quantity: new.quantity, consolidated: consolidated, requirements: requirements
        )
        return try await self.writes.write(request) { transaction in
            try await BatchStore.insert(batch, by: transaction.call.principal.name, on: transaction.connection, logger: transaction.logger)
            guard let stored = try await BatchStore.findForUpdate(batch.number, on: transaction.connection, logger: transaction.logger) else {
                throw DatabaseError(.failed, "batch \(batch.number) vanished while it was created")
            }
            let message = stored.message
            try await transaction.recordCreation(of: message, object: "batch:\(batch.number)", event: "batch.created")
            return message
        }
    }

    /// How large a list answer may grow before its page ends early: under the 4 MiB a stock
    /// client accepts by default.
    static let listResponseBudget = 3 << 20

    func getBatch(request: Conform_Batch_V1_BatchRequest, context: ServerContext) async throws -> Conform_Batch_V1_Batch {
        try await self.batch(request.number).message
    }

    func listBatches(request: Conform_Batch_V1_ListBatchesRequest, context: ServerContext) async throws -> Conform_Batch_V1_ListBatchesResponse {
        let call = try CallContext.required()
        let customer = request.customer.isEmpty ? nil : try FieldRules.code(request.customer, field: "customer", maxLength: 32)
        let product = request.product.isEmpty ? nil : try FieldRules.code(request.product, field: "product", maxLength: 64)
        let page = try KeysetPage(size: request.pageSize, token: request.pageToken, scope: "ListBatches|\(customer ?? "")|\(product ?? "")")
        let rows = try await BatchStore.list(customer: customer, product: product, after: page.after(0), limit: page.readLimit, in: self.database, logger: call.logger)
        // No batches is an answer only for a customer that exists.
        if rows.isEmpty, page.after == nil, let customer { try await self.peers.checkCustomerExists(customer) }
        if rows.isEmpty, page.after == nil, let product { try await self.peers.checkProductExists(product) }
        let (batches, next) = page.finish(rows) { [$0.batch.number] }
        // A page also ends before its answer would outgrow what a client accepts in one message:
        // a batch carries every serial.
        var response = Conform_Batch_V1_ListBatchesResponse()
        var bytes = 0
        for stored in batches {
            let message = stored.message
            bytes += ((try? message.serializedBytes()) as [UInt8]?)?.count ?? 0
            if bytes > Self.listResponseBudget, !response.batches.isEmpty {
                response.nextPageToken = page.token(after: [response.batches[response.batches.count - 1].number])
                return response
            }
            response.batches.append(message)
        }
        response.nextPageToken = next
        return response
    }

    func recordFields(request: Conform_Batch_V1_RecordFieldsRequest, context: ServerContext) async throws -> Conform_Batch_V1_Batch {
        let number = try Self.number(request.number)
        return try await self.change(number, request: request, event: "batch.fields-recorded") { stored, transaction in
            try BatchRules.checkOpen(stored.batch)
            let values = try BatchRules.fieldValues(request.values, for: stored.batch)
            try await BatchStore.setFields(values, of: number, by: transaction.call.principal.name, on: transaction.connection, logger: transaction.logger)
        }
    }

    func assignSerials(request: Conform_Batch_V1_AssignSerialsRequest, context: ServerContext) async throws -> Conform_Batch_V1_Batch {
        let number = try Self.number(request.number)
        return try await self.change(number, request: request, event: "batch.serialized") { stored, transaction in
            try BatchRules.checkOpen(stored.batch)
            let serials = try BatchRules.serials(for: stored.batch, traceBaseURL: self.traceBaseURL)
            try await BatchStore.insertSerials(serials, of: number, on: transaction.connection, logger: transaction.logger)
        }
    }

    func recordNfcTags(request: Conform_Batch_V1_RecordNfcTagsRequest, context: ServerContext) async throws -> Conform_Batch_V1_Batch {
        let number = try Self.number(request.number)
        return try await self.change(number, request: request, event: "batch.nfc-tagged") { stored, transaction in
            try BatchRules.checkOpen(stored.batch)
            let tags = try BatchRules.nfcTags(request.tags, for: stored.batch)
            try await BatchStore.setNfcTags(tags, on: transaction.connection, logger: transaction.logger)
        }
    }

    func consumeLots(request: Conform_Batch_V1_ConsumeLotsRequest, context: ServerContext) async throws -> Conform_Batch_V1_Batch {
        let number = try Self.number(request.number)
        let statuses = try await self.lotStatuses(request.lots.map { $0.trimmingCharacters(in: .whitespaces).uppercased() })
        let received = Set(statuses.map(\.lot))
        return try await self.change(number, request: request, event: "batch.lots-consumed") { stored, transaction in
            try BatchRules.checkOpen(stored.batch)
            let lots = try BatchRules.lots(request.lots, for: stored.batch, received: received)
            try await BatchStore.addLots(lots, to: number, by: transaction.call.principal.name, on: transaction.connection, logger: transaction.logger)
        }
    }

    /// What the supplier service knows of `lots`: receipts, verdicts, exceptions, audits.
    func lotStatuses(_ lots: [String]) async throws -> [LotFact] {
        guard !lots.isEmpty else { return [] }
        let response = try await self.peers.call(.supplier) { client, metadata, options in
            try await Conform_Supplier_V1_SupplierService.Client(wrapping: client).getLotStatus(
                .with { $0.lots = lots }, metadata: metadata, options: options
            )
        }
        return response.lots.map(LotFact.init)
    }

    func resolveSerial(request: Conform_Batch_V1_ResolveSerialRequest, context: ServerContext) async throws -> Conform_Batch_V1_Genealogy {
        let call = try CallContext.required()
        guard let number = try await BatchStore.batchOf(serial: request.serial, in: self.database, logger: call.logger) else {
            throw DomainError.notFound("no unit has serial \(request.serial)")
        }
        let stored = try await self.batch(number)
        let items = try await allPages { token in
            try await self.peers.call(.evidence) { client, metadata, options in
                let page = try await Conform_Evidence_V1_EvidenceService.Client(wrapping: client).listItems(
                    .with { $0.batch = number; $0.pageSize = UInt32(KeysetPage.maxSize); $0.pageToken = token }, metadata: metadata, options: options
                )
                return (page.items, page.nextPageToken)
            }
        }
        let serial = stored.batch.serials.first { $0.serial == request.serial }
        return .with {
            $0.serial = .with {
                $0.serial = request.serial
                $0.qrPayload = serial?.qrPayload ?? ""
                $0.nfcTag = serial?.nfcTag ?? ""
            }
            $0.batch = stored.batch.number
            $0.product = stored.batch.product
            $0.customer = stored.batch.customer
            $0.orderReference = stored.batch.orderReference
            $0.manufactureDate = stored.batch.manufactureDate.description
            $0.status = stored.batch.status.message
            $0.requirements = stored.batch.requirements.map(\.label)
            $0.evidence = items.map { "#\($0.id) \($0.type) sha256:\($0.sha256)" }
            $0.lots = stored.batch.lots
        }
    }

    func checklist(request: Conform_Batch_V1_BatchRequest, context: ServerContext) async throws -> Conform_Batch_V1_BatchChecklist {
        let stored = try await self.batch(request.number)
        return .with {
            $0.batch = stored.batch.number
            $0.customer = stored.batch.customer
            $0.status = stored.batch.status.message
            $0.recordDigest = BatchRules.recordDigest(stored.batch)
            $0.manufactureDate = stored.batch.manufactureDate.description
            $0.requirements = stored.batch.requirements.map(\.message)
            $0.earlierDigests = stored.earlierDigests
        }
    }

    // MARK: - Helpers

    /// Batch `number`, or NOT_FOUND.
    func batch(_ text: String) async throws -> StoredBatch {
        let call = try CallContext.required()
        let number = try Self.number(text)
        guard let stored = try await BatchStore.find(number, in: self.database, logger: call.logger) else {
            throw DomainError.notFound("no batch \(number); ListBatches shows the batches there are")
        }
        return stored
    }

    static func number(_ text: String) throws -> String {
        try FieldRules.code(text, field: "number", maxLength: 64)
    }

    /// Changes batch `number` in one transaction with its audit entry, and returns it after.
    func change<Request: SwiftProtobuf.Message>(
        _ number: String,
        request: Request,
        event: String? = nil,
        fencedByRelease: Bool = true,
        _ body: @escaping @Sendable (StoredBatch, WriteTransaction) async throws -> Void
    ) async throws -> Conform_Batch_V1_Batch {
        try await self.writes.write(request) { transaction in
            guard let before = try await BatchStore.findForUpdate(number, on: transaction.connection, logger: transaction.logger) else {
                throw DomainError.notFound("no batch \(number); ListBatches shows the batches there are")
            }
            // A legal hold is not part of the record a release signs; everything else is.
            if fencedByRelease { try BatchRules.checkNoRelease(inFlight: before.releaseInFlight, batch: number) }
            try await body(before, transaction)
            guard let after = try await BatchStore.findForUpdate(number, on: transaction.connection, logger: transaction.logger) else {
                throw DomainError.notFound("batch \(number) was deleted")
            }
            // A batch's message digests its whole record, serials included: built once.
            let message = after.message
            try await transaction.recordChange(object: "batch:\(number)", before: before.message, after: message)
            if let event {
                try await transaction.publish(type: event, subject: "batch:\(number)", payload: message)
            }
            return message
        }
    }

    /// Refuses a batch or order for a product the customer does not order.
    private func checkOrders(customer: String, product: String) async throws {
        let links = try await self.peers.call(.requirement) { client, metadata, options in
            try await Conform_Requirement_V1_RequirementCatalog.Client(wrapping: client).listCustomerProducts(
                .with { $0.customer = customer; $0.product = product }, metadata: metadata, options: options
            ).links
        }
        guard !links.isEmpty else {
            throw DomainError.failedPrecondition(
                "customer \(customer) does not order product \(product); the requirement service's LinkProduct records that it does"
            )
        }
    }

    /// The requirement versions in force on `day`: the customer's, or in consolidation mode
    /// every customer's who orders the product.
    private func requirements(customer: String, product: String, on day: Day, consolidated: Bool) async throws -> [SnapshotRequirement] {
        let resolved = try await self.peers.call(.requirement) { client, metadata, options in
            let catalog = Conform_Requirement_V1_RequirementCatalog.Client(wrapping: client)
            if consolidated {
                return try await catalog.describeProduct(
                    .with { $0.product = product; $0.date = day.description }, metadata: metadata, options: options
                ).customers.flatMap(\.requirements)
            }
            return try await catalog.resolve(
                .with { $0.customer = customer; $0.product = product; $0.date = day.description }, metadata: metadata, options: options
            ).requirements
        }
        return try resolved.map(SnapshotRequirement.init)
    }
}
