import ConformDomain
import ConformProtos
import ConformService
import ConformStorage
import GRPCCore
import Logging
import ServiceLifecycle
import Synchronization
import SwiftProtobuf

/// Why each feed is not being read right now, for `FeedStatus`.
final class FeedProblems: Sendable {
    private let problems = Mutex<[String: String]>([:])

    func set(_ source: String, _ problem: String?) {
        self.problems.withLock { $0[source] = problem }
    }

    func problem(of source: String) -> String? {
        self.problems.withLock { $0[source] }
    }
}

/// Reads one service's event feed into the read model for as long as the reporting service
/// runs. The events that have arrived are applied together in one transaction with the cursor
/// they move, and the journal's key drops an event seen before, so a restart of either side,
/// or a feed that resends, neither loses nor double-counts an event.
struct FeedConsumer: Service {
    let source: PeerService
    let database: Database
    let peers: Peers
    let problems: FeedProblems
    let logger: Logger

    func run() async throws {
        var delay: Duration = .milliseconds(250)
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await cancelWhenGracefulShutdown { try await self.readUntilTheFeedEnds() }
                delay = .milliseconds(250)
            } catch {
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
                self.problems.set(self.source.rawValue, "\(error)")
                self.logger.warning("cannot read the feed; trying again", metadata: ["source": "\(self.source.rawValue)", "error": "\(error)", "in": "\(delay)"])
                do {
                    let wait = delay
                    try await cancelWhenGracefulShutdown { try await Task.sleep(for: wait) }
                } catch {
                    return
                }
                delay = min(delay * 2, .seconds(10))
            }
        }
    }

    private func readUntilTheFeedEnds() async throws {
        let cursor = try await ReadModelStore.cursor(of: self.source.rawValue, in: self.database, logger: self.logger)
        let feed = Conform_Events_V1_EventFeed.Client(wrapping: try self.peers.client(self.source))
        // No deadline: the subscription lasts as long as both services run.
        try await feed.subscribe(.with { $0.afterCursor = cursor }) { response in
            self.problems.set(self.source.rawValue, nil)
            let batches = EventBatches()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    defer { batches.finish() }
                    for try await message in response.messages {
                        let event = FeedEvent(
                            source: self.source.rawValue, cursor: message.cursor, type: message.type, subject: message.subject,
                            payloadJSON: message.payloadJson, occurredAtMicros: message.occurredAtMicros
                        )
                        guard await batches.add(event) else { return }
                    }
                }
                group.addTask {
                    do {
                        while let events = await batches.take() {
                            try await self.apply(events)
                        }
                    } catch {
                        batches.close()
                        throw error
                    }
                }
                // A failure on either side ends both: a reader left waiting on a quiet feed would
                // hold the failed events back until the next one arrived.
                do {
                    while try await group.next() != nil {}
                } catch {
                    group.cancelAll()
                    throw error
                }
            }
        }
    }

    /// Applies `events` (in feed order) and moves the cursor past the last new one, in one
    /// transaction: a burst costs one commit, and a crash keeps all or none of it.
    private func apply(_ events: [FeedEvent]) async throws {
        let prepared = events.map { event in
            let change = self.change(by: event)
            return (event, change, Self.touch(by: event, change: change))
        }
        try await self.database.transaction(logger: self.logger) { connection in
            var applied = 0
            var last: String?
            for (event, change, touch) in prepared {
                guard try await ReadModelStore.apply(event, change: change, on: connection, logger: self.logger) else { continue }
                applied += 1
                last = event.cursor
                if let touch {
                    try await ComplianceModelStore.mark(touch, atMicros: event.occurredAtMicros, on: connection, logger: self.logger)
                }
            }
            if let last {
                try await ReadModelStore.moveCursor(of: self.source.rawValue, to: last, applied: applied, on: connection, logger: self.logger)
            }
        }
    }

    /// Which batch's compliance an event may have changed: read from what the event changes,
    /// so each payload is decoded once.
    private static func touch(by event: FeedEvent, change: ReadModelChange?) -> BatchTouch? {
        if event.source == "batch", event.subject.hasPrefix("batch:") {
            return .batch(String(event.subject.dropFirst("batch:".count)))
        }
        switch change {
        case .evidence(let item, _)?:
            return .itemAttached(item: item.id, batch: item.batch)
        case .signature(_, let target, _)?:
            if target.hasPrefix("batch:") { return .batch(String(target.dropFirst("batch:".count))) }
            if target.hasPrefix("evidence:"), let item = Int64(target.dropFirst("evidence:".count)) { return .item(item) }
            return nil
        case .batch?, nil:
            return nil
        }
    }

    /// What an event changes in the read model besides the journal.
    private func change(by event: FeedEvent) -> ReadModelChange? {
        var options = JSONDecodingOptions()
        options.ignoreUnknownFields = true
        switch (event.source, event.type) {
        case ("batch", _) where Projection.carriesBatch(event):
            return self.batch(in: event).map(ReadModelChange.batch)
        case ("evidence", "evidence.attached"):
            guard let item = try? Conform_Evidence_V1_EvidenceItem(jsonString: event.payloadJSON, options: options) else {
                self.logger.error("an evidence event's payload cannot be read", metadata: ["cursor": "\(event.cursor)"])
                return nil
            }
            return .evidence(
                ArchivedItem(
                    id: Int64(item.id), batch: item.batch, type: item.type, fileName: item.fileName, mediaType: item.mediaType,
                    sha256: item.sha256, size: Int64(item.size), uploadedBy: item.uploadedBy, uploadedAtMicros: item.uploadedAtMicros,
                    // Items from before `concerns` was tagged carried it as `satisfies`.
                    satisfies: [], concerns: item.concerns.isEmpty ? item.satisfies : item.concerns, supersededBy: 0, signatures: []
                ),
                supersedes: Int64(item.supersedes)
            )
        case ("evidence", "signature.applied"):
            guard let signature = try? Conform_Evidence_V1_Signature(jsonString: event.payloadJSON, options: options) else {
                self.logger.error("a signature event's payload cannot be read", metadata: ["cursor": "\(event.cursor)"])
                return nil
            }
            return .signature(
                id: Int64(signature.id), target: signature.target,
                SignatureManifestation(
                    printedName: signature.printedName, signer: signature.signer, signedAtMicros: signature.signedAtMicros,
                    meaning: signature.meaning.word
                )
            )
        default:
            return nil
        }
    }

    /// The batch an event's payload describes, or nil (logged) when it cannot be read.
    private func batch(in event: FeedEvent) -> BatchSummary? {
        var options = JSONDecodingOptions()
        options.ignoreUnknownFields = true
        guard let message = try? Conform_Batch_V1_Batch(jsonString: event.payloadJSON, options: options), let day = Day(message.manufactureDate) else {
            self.logger.error("a batch event's payload cannot be read", metadata: ["cursor": "\(event.cursor)", "type": "\(event.type)"])
            return nil
        }
        let status = switch message.status {
        case .released: "released"
        case .rejected: "rejected"
        default: "open"
        }
        return BatchSummary(number: message.number, customer: message.customer, product: message.product, status: status, manufactureDate: day)
    }
}

extension Conform_Evidence_V1_SignatureMeaning {
    /// As reports print it.
    var word: String {
        switch self {
        case .authored: return "authored"
        case .reviewed: return "reviewed"
        case .approved: return "approved"
        case .responsible: return "responsible"
        case .amended: return "amended"
        case .unspecified, .UNRECOGNIZED: return "unspecified"
        }
    }
}
