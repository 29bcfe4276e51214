import ConformDomain
import ConformSecurity
public import ConformStorage
import Crypto
import Foundation
import Synchronization
public import Logging
public import PostgresNIO
public import SwiftProtobuf

/// Runs a handler's write the one way every write runs: in a transaction, replayed from
/// its idempotency key when retried, with its audit entries (the call's own among them) and
/// events committed alongside.
public struct Writes: Sendable {
    public let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Runs `body` in a transaction for the current call.
    ///
    /// With an `idempotency-key`, the first answer is stored with the write; a retry with
    /// the same key and request returns that answer and changes nothing; the same key with
    /// another request is refused (FAILED_PRECONDITION).
    public func write<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ request: Request,
        _ body: @escaping @Sendable (WriteTransaction) async throws -> Response
    ) async throws -> Response {
        let call = try CallContext.required()
        let key = try call.idempotencyKey.map(Self.validKey)
        let digest = try Self.requestDigest(request)
        let entries = PendingEntries()
        do {
            let response = try await self.run(request, key: key, digest: digest, call: call, entries: entries, body)
            entries.ended(call: call, committed: true)
            return response
        } catch {
            entries.ended(call: call, committed: false)
            WriteTransaction.logLost(entries, call: call, error)
            throw error
        }
    }

    private func run<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ request: Request, key: String?, digest: Data, call: CallContext, entries: PendingEntries,
        _ body: @escaping @Sendable (WriteTransaction) async throws -> Response
    ) async throws -> Response {
        try await self.database.transaction(logger: call.logger) { connection -> Response in
            if let key {
                let claim = try await IdempotencyStore.claim(
                    principal: call.principal.idempotencyOwner,
                    key: key,
                    method: call.method,
                    requestDigest: digest,
                    on: connection,
                    logger: call.logger
                )
                if case .replay(let answer) = claim {
                    call.logger.info("idempotent retry answered from its first result", metadata: ["idempotency-key": "\(key)"])
                    return try Response(serializedBytes: [UInt8](answer))
                }
            }
            let transaction = WriteTransaction(connection: connection, call: call, entries: entries)
            let response = try await body(transaction)
            let answer = try key.map {
                WriteRecords.Answer(principal: call.principal.idempotencyOwner, key: $0, response: Data(try response.serializedBytes() as [UInt8]))
            }
            try await transaction.finish(answer: answer)
            return response
        }
    }

    /// Runs `body` in a transaction for the current call, without idempotency: for streaming
    /// calls, which carry no single request to key a retry on, and whose own rules must make
    /// a repeat harmless; and for the intermediate steps of a call that writes several times
    /// (`carryingCallEntry` false: the call's own entry waits for its last write, or for the
    /// interceptor, so that a call that fails after a step is not recorded as succeeded).
    public func write<Result: Sendable>(
        carryingCallEntry: Bool = true, _ body: @escaping @Sendable (WriteTransaction) async throws -> Result
    ) async throws -> Result {
        let call = try CallContext.required()
        let entries = PendingEntries()
        do {
            let result = try await self.database.transaction(logger: call.logger) { connection in
                let transaction = WriteTransaction(connection: connection, call: call, entries: entries, carriesCallEntry: carryingCallEntry)
                let result = try await body(transaction)
                try await transaction.finish(answer: nil)
                return result
            }
            entries.ended(call: call, committed: true)
            return result
        } catch {
            entries.ended(call: call, committed: false)
            WriteTransaction.logLost(entries, call: call, error)
            throw error
        }
    }

    /// The answer a write with this call's idempotency key and `request` already gave, if
    /// any: for a write that spans services, whose checks must not run before its replay.
    public func replay<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ request: Request, as response: Response.Type
    ) async throws -> Response? {
        let call = try CallContext.required()
        guard let key = try call.idempotencyKey.map(Self.validKey) else { return nil }
        let digest = try Self.requestDigest(request)
        let answer = try await self.database.read(logger: call.logger) { connection in
            try await IdempotencyStore.answer(
                principal: call.principal.idempotencyOwner, key: key, method: call.method, requestDigest: digest, on: connection, logger: call.logger
            )
        }
        return try answer.map { try Response(serializedBytes: [UInt8]($0)) }
    }

    /// Runs `body` as `context` (background work: `CallContext.background`), the same way a
    /// call's write runs.
    public func write<Result: Sendable>(
        as context: CallContext, _ body: @escaping @Sendable (WriteTransaction) async throws -> Result
    ) async throws -> Result {
        try await CallContext.$current.withValue(context) { try await self.write(body) }
    }

    /// The request's fingerprint for its idempotency key. Deterministic: map fields are
    /// written in key order, so a retry to another replica, or after a restart, matches.
    static func requestDigest(_ request: some SwiftProtobuf.Message) throws -> Data {
        var options = BinaryEncodingOptions()
        options.useDeterministicOrdering = true
        return Data(SHA256.hash(data: try request.serializedBytes(options: options) as [UInt8]))
    }

    static func validKey(_ key: String) throws -> String {
        guard (1...128).contains(key.count), key.allSatisfy({ $0.isASCII && !$0.isWhitespace && !$0.isNewline }) else {
            throw DomainError.invalid(
                field: "idempotency-key",
                reason: "must be 1 to 128 printable ASCII characters without spaces (a UUID is a good choice)"
            )
        }
        return key
    }
}

/// A write in progress: its connection, and the audit entries and events that commit with it.
public struct WriteTransaction: Sendable {
    public let connection: PostgresConnection
    public let call: CallContext
    /// Held until the write's last statement: an entry id is drawn only by a write that got
    /// that far, so ids missing from the trail (gaps, which verification reports) stay rare.
    private let pendingEntries: PendingEntries
    /// Whether this write may carry the call's own entry (its first write does, unless it is
    /// an intermediate step).
    private let mayCarryCallEntry: Bool

    init(connection: PostgresConnection, call: CallContext, entries: PendingEntries, carriesCallEntry: Bool = true) {
        self.connection = connection
        self.call = call
        self.pendingEntries = entries
        self.mayCarryCallEntry = carriesCallEntry
    }

    public var logger: Logger { self.call.logger }

    /// Writes the change to the audit trail: who, what, when, the state before and after.
    public func recordChange(object: String, before: (any SwiftProtobuf.Message)?, after: (any SwiftProtobuf.Message)?) async throws {
        let record = AuditRecord(
            principal: self.call.principal.name,
            action: self.call.method,
            outcome: .write,
            object: object,
            detail: try JSONText.change(before: before, after: after),
            requestID: self.call.requestID
        )
        self.pendingEntries.add(record)
    }

    /// The write's last statement: its audit entries (with the call's own entry when this is
    /// the call's first write), its events and its idempotent answer, in one round trip.
    func finish(answer: WriteRecords.Answer?) async throws {
        var records = self.pendingEntries.take()
        if self.mayCarryCallEntry, self.call.audit.claimForWrite() {
            self.pendingEntries.carriesCallEntry()
            let object = self.call.audit.object.isEmpty ? (records.first?.object ?? "") : self.call.audit.object
            records.append(
                AuditRecord(
                    principal: self.call.principal.name, action: self.call.method, outcome: .succeeded, object: object,
                    requestID: self.call.requestID
                )
            )
        }
        let ids = try await WriteRecords.insert(
            entries: records, events: self.pendingEntries.takeEvents(), answer: answer, on: self.connection, logger: self.logger
        )
        self.pendingEntries.drew(ids)
    }

    /// Says which entry ids a write drew and then lost: verification reports them as a gap,
    /// and this is the record that explains it.
    static func logLost(_ entries: PendingEntries, call: CallContext, _ error: any Error) {
        let ids = entries.drawn
        guard !ids.isEmpty else { return }
        call.logger.error(
            "audit entry ids were drawn but their transaction did not commit; verification reports them as a gap",
            metadata: ["entry_ids": "\(ids)", "error": "\(error)"]
        )
    }

    /// A new record: its audit entry (no state before) and its event, e.g. "customer.created".
    public func recordCreation(of message: any SwiftProtobuf.Message, object: String, event type: String) async throws {
        try await self.recordChange(object: object, before: nil, after: message)
        try await self.publish(type: type, subject: object, payload: message)
    }

    /// Adds an event to the service's feed, visible once this transaction commits. Events go
    /// in with the write's last statement, in the order published.
    public func publish(type: String, subject: String, payload: any SwiftProtobuf.Message) async throws {
        self.pendingEntries.add(OutboxEvent(type: type, subject: subject, payload: try JSONText.message(payload)))
    }

    /// Writes a change and puts it in the feed: its audit entry (the state before, nil when
    /// new, and after) and its event, e.g. "alert.changed" with the state after.
    public func recordChange(
        object: String, before: (any SwiftProtobuf.Message)?, after: any SwiftProtobuf.Message, event type: String
    ) async throws {
        try await self.recordChange(object: object, before: before, after: after)
        try await self.publish(type: type, subject: object, payload: after)
    }
}

extension Principal {
    /// Whose idempotency keys these are: two principals of one name acting for different
    /// customers must never see each other's answers.
    var idempotencyOwner: String {
        self.customerScope.map { "\(self.name)@customer:\($0)" } ?? self.name
    }
}

/// The audit records and events of one write, until it inserts them; the entry ids they
/// drew; whether they carry the call's own entry.
final class PendingEntries: Sendable {
    private struct State {
        var records: [AuditRecord] = []
        var events: [OutboxEvent] = []
        var ids: [Int64] = []
        var carriesCallEntry = false
    }

    private let state = Mutex(State())

    func drew(_ ids: [Int64]) {
        self.state.withLock { $0.ids += ids }
    }

    var drawn: [Int64] {
        self.state.withLock { $0.ids }
    }

    func add(_ record: AuditRecord) {
        self.state.withLock { $0.records.append(record) }
    }

    func add(_ event: OutboxEvent) {
        self.state.withLock { $0.events.append(event) }
    }

    func take() -> [AuditRecord] {
        self.state.withLock { state in
            defer { state.records.removeAll() }
            return state.records
        }
    }

    func takeEvents() -> [OutboxEvent] {
        self.state.withLock { state in
            defer { state.events.removeAll() }
            return state.events
        }
    }

    func carriesCallEntry() {
        self.state.withLock { $0.carriesCallEntry = true }
    }

    /// Tells the call whether its entry, if this write carried it, committed.
    func ended(call: CallContext, committed: Bool) {
        if self.state.withLock({ $0.carriesCallEntry }) {
            call.audit.writeEnded(committed: committed)
        }
    }
}
