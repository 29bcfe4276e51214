import ArgumentParser
import ConformProtos
import Foundation
import GRPCCore
import SwiftProtobuf

struct AlertCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alert",
        abstract: "Alerts to the quality team and management: non-compliant batches, supplier audits coming due, expired approvals.",
        discussion: """
            A batch alert resolves itself when the requirement is satisfied (or waived, or the batch \
            is released or rejected); a supplier alert when the audit is recorded or the approval renewed. \
            An unresolved alert escalates to management once it is overdue by the policy's days.
            """,
        subcommands: [List.self, Acknowledge.self, Watch.self, Policy.self]
    )

    static func client(_ client: GRPCClient<some ClientTransport>) -> Conform_Reporting_V1_ReportingService.Client<some ClientTransport> {
        Conform_Reporting_V1_ReportingService.Client(wrapping: client)
    }

    static func line(_ alert: Conform_Reporting_V1_Alert) -> String {
        let level = alert.level == .management ? "MANAGEMENT" : "quality team"
        return "#\(alert.id) [\(level)] \(alert.message) (\(Self.state(alert, withNote: true)))"
    }

    /// Open, acknowledged (by whom, and the note when asked) or resolved (and why).
    static func state(_ alert: Conform_Reporting_V1_Alert, withNote: Bool) -> String {
        if alert.resolvedAtMicros != 0 { return "resolved: \(alert.resolution)" }
        if alert.acknowledgedBy.isEmpty { return "open" }
        return "acknowledged by \(alert.acknowledgedBy)" + (withNote ? ": \(alert.acknowledgementNote)" : "")
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Open alerts, newest first (--all: resolved ones too).")
        @Option(help: "Only this customer's batch alerts.") var customer: String = ""
        @Flag(help: "Resolved alerts too.") var all = false
        @Option(help: "Alerts per page (at most 500).") var pageSize: UInt32 = 50
        @Option(help: "Continue from this token (printed after a page).") var pageToken: String = ""
        @Flag(help: "Fetch every page.") var allPages = false
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let (alerts, token) = try await self.connection.withClient(.reporting) { client in
                try await collectPages(after: self.pageToken, all: self.allPages) { token in
                    let page = try await AlertCommand.client(client).listAlerts(
                        .with { $0.customer = self.customer; $0.includeResolved = self.all; $0.pageSize = self.pageSize; $0.pageToken = token },
                        metadata: self.connection.metadata(), options: self.connection.callOptions()
                    )
                    return (page.alerts, page.nextPageToken)
                }
            }
            if self.connection.json { return try printJSON(alerts, asList: true) }
            guard !alerts.isEmpty else { return print(self.all ? "No alerts." : "No open alerts.") }
            var table = Table("ID", "TO", "DAYS OVERDUE", "ALERT", "STATE")
            for alert in alerts {
                table.add(
                    "\(alert.id)", alert.level == .management ? "management" : "quality team", "\(alert.daysOverdue)", alert.message,
                    AlertCommand.state(alert, withNote: false)
                )
            }
            print(table.render())
            if !token.isEmpty { print("More: --page-token \(token) (or --all-pages)") }
        }
    }

    struct Acknowledge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ack", abstract: "Acknowledge an alert, saying what is being done about it.")
        @Argument(help: "The alert's id (`conform alert list`).") var id: UInt64
        @Option(help: "What is being done, e.g. \"CoA requested from HT-STEEL\".") var note: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let alert = try await self.connection.withClient(.reporting) { client in
                try await AlertCommand.client(client).acknowledgeAlert(
                    .with { $0.id = self.id; $0.note = self.note }, metadata: self.connection.metadata(), options: self.connection.callOptions()
                )
            }
            if self.connection.json { return try printJSON([alert], asList: false) }
            print(AlertCommand.line(alert))
        }
    }

    struct Watch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print open alerts, then every alert raised, escalated, acknowledged or resolved, as it happens (Ctrl-C stops).",
            discussion: "--json prints one JSON object per line."
        )
        @Option(help: "Only this customer's batch alerts.") var customer: String = ""
        @Option(help: "Stop after this many seconds (0: never).") var seconds: Int = 0
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let json = self.connection.json
            try await self.connection.withClient(.reporting) { client in
                var options = self.connection.callOptions()
                options.timeout = self.seconds > 0 ? .seconds(self.seconds) : nil
                do {
                    try await AlertCommand.client(client).watchAlerts(
                        .with { $0.customer = self.customer }, metadata: self.connection.metadata(), options: options
                    ) { response in
                        for try await update in response.messages {
                            switch update.update {
                            case .alert(let alert)?:
                                // Unbuffered, so a pipe sees each alert as it comes.
                                let line = json ? try alert.jsonString() : AlertCommand.line(alert)
                                FileHandle.standardOutput.write(Data((line + "\n").utf8))
                            case .caughtUp?:
                                if !json { FileHandle.standardOutput.write(Data("-- watching for changes --\n".utf8)) }
                            case nil:
                                break
                            }
                        }
                    }
                } catch let error as RPCError where error.code == .deadlineExceeded && self.seconds > 0 {
                    return
                }
            }
        }
    }

    struct Policy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the alert policy, or set it (quality managers): when alerts escalate, how early audits alert."
        )
        @Option(help: "Escalate to management once an alert is this many days overdue.") var escalateAfterDays: UInt32?
        @Option(help: "Alert this many days before a supplier's audit falls due.") var auditDueWithinDays: UInt32?
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let policy = try await self.connection.withClient(.reporting) { client in
                let reporting = AlertCommand.client(client)
                let current = try await reporting.getAlertPolicy(.init(), metadata: self.connection.metadata(), options: self.connection.callOptions())
                guard self.escalateAfterDays != nil || self.auditDueWithinDays != nil else { return current }
                return try await reporting.setAlertPolicy(
                    .with {
                        $0.escalateAfterDays = self.escalateAfterDays ?? current.escalateAfterDays
                        $0.auditDueWithinDays = self.auditDueWithinDays ?? current.auditDueWithinDays
                    },
                    metadata: self.connection.metadata(), options: self.connection.callOptions()
                )
            }
            if self.connection.json { return try printJSON([policy], asList: false) }
            let by = policy.setBy.isEmpty ? "the standard policy" : "set by \(policy.setBy) at \(formatMicros(policy.setAtMicros))"
            print("Escalate after \(policy.escalateAfterDays) day(s) overdue; audits alert \(policy.auditDueWithinDays) day(s) ahead (\(by)).")
        }
    }
}
