import ArgumentParser
import ConformProtos
import Foundation
import GRPCCore

extension RequirementCommand {
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a customer's requirements from a YAML or JSON file: everything is checked first, then all of it is written or none.",
            discussion: """
                The file names the customer and lists its requirements, each with the versions the customer issued:

                  customer: B
                  requirements:
                    - requirement_id: CSR-B-0156
                      category: traceability
                      strength: mandatory
                      scope: all
                      versions:
                        - number: "1.0"
                          title: QR serialization of every unit
                          text: Every unit carries a QR code linking to its batch.
                          source:
                            kind: customer-specification
                            reference: CSR-B rev A
                            received_on: 2024-05-20
                          effective_from: 2024-06-15
                          evidence_rules:
                            - serialization: {methods: [qr]}

                category: quality, traceability, documentation, regulatory or special-processing. \
                strength: mandatory (blocks release) or preferred (warns). \
                scope: all, {family: CODE} or {products: [CODE, ...]}. \
                A version may also have acceptance_criteria, expires_on, required_capabilities and draft.

                An import only adds: new requirements, and new versions of stored ones. A version already \
                stored must be in the file exactly as stored, so importing the same file twice changes nothing. \
                Every problem is listed with its line and column; if there is any, nothing is written. \
                docs/REQUIREMENTS.md describes every field and rule kind.
                """
        )

        @Argument(help: "The YAML or JSON file.") var file: String
        @Option(help: "The customer's code, when the file does not name it.") var customer: String?
        @Flag(help: "Check the file against the service's rules and what is stored, and write nothing.") var check = false
        @Flag(help: "Show no progress, however large the file.") var quiet = false
        @OptionGroup var connection: ConnectionOptions

        /// Files with at least this many requirements show progress.
        static let progressThreshold = 100

        func run() async throws {
            let file = try RequirementFile(path: self.file, customer: self.customer)
            // Requirements that could not be read are not sent; the service still checks the
            // rest, so that one run reports every problem in the file.
            let sent = file.entries.indices.filter { file.entries[$0] != nil }
            let validateOnly = self.check || !file.problems.isEmpty
            let progress = ImportProgressDisplay(enabled: !self.quiet && file.entries.count >= Self.progressThreshold)
            progress.show("read \(file.entries.count) requirements from \(self.file)")
            let header = Conform_Requirement_V1_ImportHeader.with {
                $0.customer = file.customer
                $0.validateOnly = validateOnly
                $0.expectedCount = UInt32(sent.count)
            }
            let entries = sent.map { file.entries[$0]! }
            let outcome = try await self.connection.withClient(.requirement) { client in
                try await Conform_Requirement_V1_RequirementCatalog.Client(wrapping: client).importRequirements(
                    metadata: self.connection.metadata(), options: self.callOptions(count: entries.count)
                ) { writer in
                    try await writer.write(.with { $0.header = header })
                    for entry in entries { try await writer.write(.with { $0.requirement = entry }) }
                } onResponse: { response in
                    var outcome: Conform_Requirement_V1_ImportOutcome?
                    for try await message in response.messages {
                        switch message.part {
                        case .progress(let step)?: progress.show(step)
                        case .outcome(let result)?: outcome = result
                        case nil: break
                        }
                    }
                    guard let outcome else { throw CLIError("the service ended the import without saying how it went; nothing is known to be written") }
                    return outcome
                }
            }
            try self.report(outcome, file: file, sent: sent)
        }

        /// An import's deadline grows with its size: --timeout, plus 200 ms per requirement
        /// (a loaded server writes a few hundred a minute; progress shows it is moving).
        private func callOptions(count: Int) -> CallOptions {
            var options = self.connection.callOptions()
            options.timeout = .milliseconds(Int64(self.connection.timeout * 1000) + Int64(count) * 200)
            return options
        }

        private func report(_ outcome: Conform_Requirement_V1_ImportOutcome, file: RequirementFile, sent: [Int]) throws {
            var problems = file.problems.map { problem in
                (mark: problem.mark, entry: problem.entry, text: problem.message)
            }
            for problem in outcome.problems {
                let entry = sent.indices.contains(Int(problem.entry)) ? sent[Int(problem.entry)] : Int(problem.entry)
                let field = problem.field.isEmpty ? "" : "\(problem.field): "
                problems.append((file.mark(entry: entry, field: problem.field), entry, field + problem.reason))
            }
            problems.sort { ($0.mark?.line ?? 0, $0.mark?.column ?? 0) < ($1.mark?.line ?? 0, $1.mark?.column ?? 0) }
            if self.connection.json {
                try self.printOutcome(outcome, problems: problems.map { problem in
                    ["location": file.place(problem.mark), "entry": problem.entry.map { $0 + 1 as Any } ?? NSNull(), "problem": problem.text]
                })
            } else if !problems.isEmpty {
                for problem in problems {
                    let entry = problem.entry.map { " (requirement \($0 + 1))" } ?? ""
                    print("\(file.place(problem.mark)):\(entry) \(problem.text)")
                }
            }
            guard problems.isEmpty else {
                let entries = Set(problems.compactMap(\.entry)).count
                throw CLIError("\(problems.count) problem(s) in \(entries) requirement(s) of \(self.file); nothing was imported")
            }
            guard !self.connection.json else { return }
            let counts = "\(outcome.requirementsCreated) new requirement(s), \(outcome.versionsAdded) new version(s), \(outcome.versionsUnchanged) version(s) already stored"
            if outcome.written {
                print("Imported \(self.file) for \(file.customer.uppercased()): \(counts).")
            } else {
                print("\(self.file) is fine; importing it would write \(counts). Nothing was written (--check).")
            }
        }

        private func printOutcome(_ outcome: Conform_Requirement_V1_ImportOutcome, problems: [[String: Any]]) throws {
            let object: [String: Any] = [
                "written": outcome.written,
                "requirements_created": outcome.requirementsCreated,
                "versions_added": outcome.versionsAdded,
                "versions_unchanged": outcome.versionsUnchanged,
                "problems": problems,
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }
}

/// Progress of a large import on standard error, so that standard output stays the result.
struct ImportProgressDisplay: Sendable {
    let enabled: Bool

    func show(_ line: String) {
        guard self.enabled else { return }
        FileHandle.standardError.write(Data("import: \(line)\n".utf8))
    }

    func show(_ progress: Conform_Requirement_V1_ImportProgress) {
        switch progress.stage {
        case .received: self.show("service received \(progress.done) of \(progress.total)")
        case .checked: self.show("service checked \(progress.done) requirements")
        case .written: self.show("written \(progress.done) of \(progress.total)")
        case .unspecified, .UNRECOGNIZED: break
        }
    }
}
