public import ConformProtos
public import ConformStorage
public import GRPCCore
import Logging
import ServiceLifecycle

/// `conform.events.v1.EventFeed`: the service's outbox as a resumable stream, in the order the
/// sealer positioned its events after commit; pushed as soon as they are positioned.
public struct EventFeedService: Conform_Events_V1_EventFeed.SimpleServiceProtocol {
    private let database: Database
    private let serviceName: String
    /// Signalled when the sealer has given new events their positions (`FeedListener`).
    private let changes: ChangeSignal
    /// How long a subscription waits for a signal before it looks anyway: signals are not
    /// guaranteed (a listener reconnecting may miss one), so this bounds a miss.
    private let fallbackPoll: Duration
    private let pageSize: Int

    public init(database: Database, serviceName: String, changes: ChangeSignal, fallbackPoll: Duration = .seconds(2), pageSize: Int = 500) {
        self.database = database
        self.serviceName = serviceName
        self.changes = changes
        self.fallbackPoll = fallbackPoll
        self.pageSize = pageSize
    }

    public func subscribe(
        request: Conform_Events_V1_SubscribeRequest,
        response: RPCWriter<Conform_Events_V1_Event>,
        context: ServerContext
    ) async throws {
        let call = try CallContext.required()
        guard let cursor = OutboxCursor(request.afterCursor) else {
            throw RPCError(
                code: .invalidArgument,
                message: "after_cursor '\(request.afterCursor)' is not a cursor of this feed; pass \"\" or the cursor of an event it sent"
            )
        }
        try await untilCancelled(context) {
            try await self.stream(after: cursor, stopAtEnd: request.stopAtEnd, to: response, logger: call.logger)
        }
    }

    private func stream(
        after start: OutboxCursor,
        stopAtEnd: Bool,
        to response: RPCWriter<Conform_Events_V1_Event>,
        logger: Logger
    ) async throws {
        var cursor = start
        while true {
            // Read before looking, so a signal that comes while the page is read is not lost.
            let seen = self.changes.generation
            let page = try await Outbox.events(after: cursor, limit: self.pageSize, in: self.database, logger: logger)
            for published in page {
                try await response.write(
                    .with {
                        $0.cursor = published.cursor.description
                        $0.type = published.event.type
                        $0.subject = published.event.subject
                        $0.payloadJson = published.event.payload
                        $0.occurredAtMicros = published.occurredAtMicros
                        $0.service = self.serviceName
                    }
                )
                cursor = published.cursor
            }
            if page.count < self.pageSize {
                if stopAtEnd { return }
                // A subscription lives as long as its consumer wants; a draining server must
                // not wait for it, so it ends it and the consumer resumes elsewhere.
                await cancelWhenGracefulShutdown { await self.changes.wait(past: seen, atMost: self.fallbackPoll) }
                if Task.isShuttingDownGracefully {
                    throw RPCError(
                        code: .unavailable,
                        message: "the \(self.serviceName) service is shutting down; subscribe again after cursor '\(cursor)'"
                    )
                }
                try Task.checkCancellation()
            }
        }
    }
}
