import ArgumentParser
import ConformProtos
import Foundation
import GRPCCore

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Every service's append-only, hash-chained audit trail.",
        subcommands: [Verify.self, List.self, Checkpoint.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute a service's audit chain and its signed checkpoints; report the first broken link, any gap, and entries left unsealed.",
            discussion: """
                Exits 0 when intact, 1 when broken or when an entry id is missing (a gap). Needs the auditor, admin or \
                quality-manager role (e.g. --as auditor). --resume walks on from the newest signed checkpoint an earlier \
                verification reached, instead of from the start; the full walk also finds changes made below it.
                """
        )

        @Option(help: "The service: \(ServiceName.list).")
        var service: ServiceName

        @Flag(help: "Walk on from the last verified checkpoint instead of from the start.")
        var resume = false

        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let result = try await self.connection.withClient(self.service) { client in
                try await Conform_Audit_V1_AuditTrail.Client(wrapping: client).verify(
                    .with { $0.resume = self.resume },
                    metadata: self.connection.metadata(),
                    options: self.connection.callOptions()
                )
            }
            if self.connection.json {
                try printJSON([result], asList: false)
            } else {
                let service = self.service.rawValue
                let walked = result.resumedFromSequence > 0 ? "from checkpoint \(result.resumedFromSequence) " : ""
                let checked = "\(result.entriesChecked) entries checked \(walked)to \(result.headSequence), "
                    + "\(result.checkpointsChecked) signed checkpoints; head hash \(result.headHash)"
                if result.intact {
                    print("The \(service) audit trail is intact: \(checked).")
                } else if result.firstBrokenSequence == 0 {
                    print("The \(service) audit chain holds (\(checked)), but entries are missing from the trail:")
                } else {
                    print("The \(service) audit trail is BROKEN at entry \(result.firstBrokenSequence): \(result.problem)")
                    print("\(result.entriesChecked) entries before it hold; the last good hash is \(result.headHash).")
                }
                for gap in result.gaps {
                    let ids = gap.firstEntryID == gap.lastEntryID ? "id \(gap.firstEntryID)" : "ids \(gap.firstEntryID) to \(gap.lastEntryID)"
                    print("GAP: entry \(ids) drawn but not in the trail: a write that failed at commit (the service logged its ids), a database crash, or a deletion.")
                }
                if result.unsealed > 0 {
                    print("\(result.unsealed) \(result.unsealed == 1 ? "entry waits" : "entries wait") for the sealer\(result.unsealedOverdue > 0 ? "; \(result.unsealedOverdue) of them for more than 30 s: is the service's sealer running, and can it reach the database?" : ".")")
                }
            }
            if !result.intact { throw ExitCode(1) }
        }
    }

    struct Checkpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the newest signed checkpoint of a service's audit chain, to keep and compare later.",
            discussion: "The signature is ECDSA P-256 over the text docs/SECURITY.md gives, made with the service's own key."
        )

        @Option(help: "The service: \(ServiceName.list).")
        var service: ServiceName

        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let checkpoint = try await self.connection.withClient(self.service) { client in
                try await Conform_Audit_V1_AuditTrail.Client(wrapping: client).getCheckpoint(
                    .init(), metadata: self.connection.metadata(), options: self.connection.callOptions()
                )
            }
            if self.connection.json { return try printJSON([checkpoint], asList: false) }
            print("\(checkpoint.schema): entries 1 to \(checkpoint.size), head hash \(checkpoint.headHash), signed \(formatMicros(checkpoint.signedAtMicros)) UTC")
            print("signature (DER, base64): \(checkpoint.signature.base64EncodedString())")
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

        @Flag(help: "Also show entries the sealer has not chained yet (it does so within a second).")
        var includeUnsealed = false

        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let page = try await self.connection.withClient(self.service) { client in
                try await Conform_Audit_V1_AuditTrail.Client(wrapping: client).listEntries(
                    .with {
                        $0.afterSequence = self.after
                        $0.limit = self.limit
                        $0.includeUnsealed = self.includeUnsealed
                    },
                    metadata: self.connection.metadata(),
                    options: self.connection.callOptions()
                )
            }
            if self.connection.json { return try printJSON(page.entries, asList: true) }
            var table = Table("SEQ", "TIME (UTC)", "PRINCIPAL", "OUTCOME", "ACTION", "OBJECT")
            for entry in page.entries {
                table.add(
                    entry.sealed ? "\(entry.sequence)" : "(unsealed)", formatMicros(entry.recordedAtMicros), entry.principal.isEmpty ? "-" : entry.principal,
                    entry.outcome.label, entry.action, entry.object
                )
            }
            print(table.render())
        }
    }
}

extension Conform_Audit_V1_AuditOutcome {
    var label: String {
        switch self {
        case .succeeded: return "succeeded"
        case .denied: return "denied"
        case .refused: return "refused"
        case .failed: return "failed"
        case .write: return "write"
        case .allowed: return "allowed"
        case .unspecified, .UNRECOGNIZED: return "?"
        }
    }
}
