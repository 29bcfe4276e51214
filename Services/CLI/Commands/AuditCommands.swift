import ArgumentParser
import ConformProtos
import GRPCCore

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Every service's append-only, hash-chained audit trail.",
        subcommands: [Verify.self, List.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute a service's audit chain and report the first broken link.",
            discussion: "Exits 0 when intact, 1 when broken. Needs the auditor, admin or quality-manager role (e.g. --as auditor)."
        )

        @Option(help: "The service: \(ServiceName.list).")
        var service: ServiceName

        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let result = try await self.connection.withClient(self.service) { client in
                try await Conform_Audit_V1_AuditTrail.Client(wrapping: client).verify(
                    .init(),
                    metadata: self.connection.metadata(),
                    options: self.connection.callOptions()
                )
            }
            if self.connection.json {
                try printJSON([result], asList: false)
            } else if result.intact {
                print("The \(self.service.rawValue) audit trail is intact: \(result.entriesChecked) entries checked; head hash \(result.headHash).")
            } else {
                print("The \(self.service.rawValue) audit trail is BROKEN at entry \(result.firstBrokenSequence): \(result.problem)")
                print("\(result.entriesChecked) entries before it hold; the last good hash is \(result.headHash).")
            }
            if !result.intact { throw ExitCode(1) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a service's audit entries in order.")

        @Option(help: "The service: \(ServiceName.list).")
        var service: ServiceName

        @Option(help: "Entries after this sequence number.")
        var after: UInt64 = 0

        @Option(help: "At most this many (up to 1000).")
        var limit: UInt32 = 50

        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let page = try await self.connection.withClient(self.service) { client in
                try await Conform_Audit_V1_AuditTrail.Client(wrapping: client).listEntries(
                    .with {
                        $0.afterSequence = self.after
                        $0.limit = self.limit
                    },
                    metadata: self.connection.metadata(),
                    options: self.connection.callOptions()
                )
            }
            if self.connection.json { return try printJSON(page.entries, asList: true) }
            var table = Table("SEQ", "TIME (UTC)", "PRINCIPAL", "OUTCOME", "ACTION", "OBJECT")
            for entry in page.entries {
                table.add(
                    "\(entry.sequence)", formatMicros(entry.recordedAtMicros), entry.principal.isEmpty ? "-" : entry.principal,
                    entry.outcome, entry.action, entry.object
                )
            }
            print(table.render())
        }
    }
}
