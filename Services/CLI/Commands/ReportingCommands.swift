import ArgumentParser
import ConformProtos
import Foundation
import GRPCCore

struct ReportingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reporting",
        abstract: "The reporting service's read model.",
        subcommands: [Feeds.self]
    )

    struct Feeds: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "How far the read model has read each service's event feed, and what it knows of batches.")
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let status = try await self.connection.withClient(.reporting) { client in
                try await Conform_Reporting_V1_ReportingService.Client(wrapping: client).feedStatus(
                    .init(), metadata: self.connection.metadata(), options: self.connection.callOptions()
                )
            }
            if self.connection.json { return try printJSON([status], asList: false) }
            var table = Table("FEED", "EVENTS APPLIED", "CURSOR", "UPDATED", "PROBLEM")
            for feed in status.feeds {
                table.add(feed.source, "\(feed.applied)", feed.cursor, feed.updatedAtMicros == 0 ? "-" : formatMicros(feed.updatedAtMicros), feed.problem)
            }
            print(table.render())
            print("Batches: \(status.batchesOpen) open, \(status.batchesReleased) released, \(status.batchesRejected) rejected.")
        }
    }
}
