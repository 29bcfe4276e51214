import ArgumentParser
import ConformProtos
import GRPCCore

/// A review decision as typed on the command line.
enum ReviewDecisionArgument: String, ExpressibleByArgument, CaseIterable {
    case canMeet = "can-meet"
    case cannotMeet = "cannot-meet"
    case deviationAgreed = "deviation-agreed"

    var message: Conform_Requirement_V1_ReviewDecision {
        switch self {
        case .canMeet: return .canMeet
        case .cannotMeet: return .cannotMeet
        case .deviationAgreed: return .deviationAgreed
        }
    }
}

struct ReviewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review",
        abstract: "Contract review (ISO 9001 8.2.2 / 8.2.3): can we meet every requirement of an order before accepting it?",
        discussion: """
            Start a review for a customer's contract, decide each requirement (can-meet, cannot-meet, \
            deviation-agreed with a note), add what the customer stated but did not document, then a \
            quality manager accepts it. A new version of a reviewed requirement flags an accepted, \
            still-open contract for re-review.
            """,
        subcommands: [Start.self, Decide.self, State.self, Accept.self, Get.self, Close.self]
    )

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Open a review of every requirement that applies to a contract's products.")
        @Option(help: "The customer's code.") var customer: String
        @Option(help: "The contract or order reference the products are linked under.") var contract: String
        @Option(help: "Review the requirements in force on this date, YYYY-MM-DD (default today, UTC).") var date: String = ""
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await ReviewCommand.show(self.connection) { client, metadata, options in
                try await client.startContractReview(
                    .with { $0.customer = self.customer; $0.contractReference = self.contract; $0.date = self.date }, metadata: metadata, options: options
                )
            }
        }
    }

    struct Decide: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record the decision for one item of an open review.")
        @Argument(help: "The review's id.") var review: UInt64
        @Argument(help: "The item's position.") var position: UInt32
        @Argument(help: "can-meet, cannot-meet or deviation-agreed.") var decision: ReviewDecisionArgument
        @Option(help: "Why; required for an agreed deviation (what, with whom, where recorded).") var note: String = ""
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await ReviewCommand.show(self.connection) { client, metadata, options in
                try await client.decideReviewItem(
                    .with { $0.reviewID = self.review; $0.position = self.position; $0.decision = self.decision.message; $0.note = self.note },
                    metadata: metadata, options: options
                )
            }
        }
    }

    struct State: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a requirement the customer stated but did not document, with its decision.")
        @Argument(help: "The review's id.") var review: UInt64
        @Argument(help: "What the customer stated.") var statement: String
        @Option(help: "can-meet, cannot-meet or deviation-agreed.") var decision: ReviewDecisionArgument
        @Option(help: "Why; required for an agreed deviation.") var note: String = ""
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await ReviewCommand.show(self.connection) { client, metadata, options in
                try await client.addStatedRequirement(
                    .with { $0.reviewID = self.review; $0.statement = self.statement; $0.decision = self.decision.message; $0.note = self.note },
                    metadata: metadata, options: options
                )
            }
        }
    }

    struct Accept: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Accept (sign) a review: refused while any item is undecided or a mandatory one cannot be met.",
            discussion: "Needs the quality-manager role; the principal is recorded as the signer and in the audit trail."
        )
        @Argument(help: "The review's id.") var review: UInt64
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await ReviewCommand.show(self.connection) { client, metadata, options in
                try await client.acceptContractReview(.with { $0.reviewID = self.review }, metadata: metadata, options: options)
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a review.")
        @Argument(help: "The review's id.") var review: UInt64
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await ReviewCommand.show(self.connection) { client, metadata, options in
                try await client.getContractReview(.with { $0.reviewID = self.review }, metadata: metadata, options: options)
            }
        }
    }

    struct Close: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark the reviewed contract fulfilled: new requirement versions no longer flag it.")
        @Argument(help: "The review's id.") var review: UInt64
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await ReviewCommand.show(self.connection) { client, metadata, options in
                try await client.closeContract(.with { $0.reviewID = self.review }, metadata: metadata, options: options)
            }
        }
    }

    /// Makes the call and prints the review it answers with.
    static func show(
        _ connection: ConnectionOptions,
        _ call: @escaping (Conform_Requirement_V1_RequirementCatalog.Client<ConformWireClientTransport>, Metadata, CallOptions) async throws -> Conform_Requirement_V1_ContractReview
    ) async throws {
        let review = try await connection.withClient(.requirement) { client in
            try await call(Conform_Requirement_V1_RequirementCatalog.Client(wrapping: client), connection.metadata(), connection.callOptions())
        }
        if connection.json { return try printJSON([review], asList: false) }
        var header = "Contract review \(review.id): customer \(review.customer), \(review.contractReference), requirements in force on \(review.reviewDate); \(review.status == .accepted ? "accepted" : "open")"
        if !review.acceptedBy.isEmpty { header += " by \(review.acceptedBy) at \(formatMicros(review.acceptedAtMicros))" }
        if !review.contractOpen { header += "; contract closed" }
        var lines = [header]
        if !review.needsRereview.isEmpty { lines.append("NEEDS RE-REVIEW: \(review.needsRereview)") }
        var table = Table("#", "REQUIREMENT", "STRENGTH", "DECISION", "STATEMENT", "NOTE")
        for item in review.items {
            table.add(
                "\(item.position)", item.requirementID.isEmpty ? "(stated)" : "\(item.requirementID) v\(item.version)",
                item.strength.label, item.decision.label, item.statement, item.note
            )
        }
        lines.append(table.render())
        print(lines.joined(separator: "\n"))
    }
}

extension Conform_Requirement_V1_ReviewDecision {
    var label: String {
        switch self {
        case .pending: return "pending"
        case .canMeet: return "can-meet"
        case .cannotMeet: return "cannot-meet"
        case .deviationAgreed: return "deviation-agreed"
        case .unspecified, .UNRECOGNIZED: return "?"
        }
    }
}

import ConformWire
