public import ConformProtos
public import ConformStorage
public import GRPCCore
import Logging
import ServiceLifecycle

/// `conform.events.v1.EventFeed`: the service's outbox as a resumable stream, in commit order.
public struct EventFeedService: Conform_Events_V1_EventFeed.SimpleServiceProtocol {
    private let database: Database
    private let serviceName: String
    private let pollInterval: Duration
    private let pageSize: Int

    public init(database: Database, serviceName: String, pollInterval: Duration = .milliseconds(250), pageSize: Int = 500) {
        self.database = database
        self.serviceName = serviceName
        self.pollInterval = pollInterval
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
                do {
                    try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.pollInterval) }
                } catch is CancellationError where Task.isShuttingDownGracefully {
                    throw RPCError(
                        code: .unavailable,
                        message: "the \(self.serviceName) service is shutting down; subscribe again after cursor '\(cursor)'"
                    )
                }
            }
        }
    }
}
