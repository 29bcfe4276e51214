import ArgumentParser
import ConformProtos
import Foundation
import GRPCCore

/// The options that describe one version of a requirement.
struct VersionOptions: ParsableArguments {
    @Option(name: .customLong("version"), help: "The version's number, e.g. 1.0.")
    var number: String

    @Option(help: "A short title.")
    var title: String

    @Option(help: "The requirement's full text.")
    var text: String

    @Option(help: "How compliance is judged.")
    var criteria: String = ""

    @Option(help: "Where it came from: email, customer-specification, customer-portal, audit-finding or meeting.")
    var sourceKind: String

    @Option(help: "The source's reference, e.g. the e-mail's subject and sender, or the specification's number.")
    var sourceRef: String

    @Option(help: "When it was received, YYYY-MM-DD.")
    var received: String

    @Option(help: "The first day it holds, YYYY-MM-DD.")
    var effective: String

    @Option(help: "The last day a temporary requirement holds, YYYY-MM-DD.")
    var expires: String = ""

    @Option(help: "A capability that must be validated before this version is enforced, e.g. nfc-tagging (repeatable).")
    var needs: [String] = []

    @Flag(help: "Keep it as a draft: stored, never enforced.")
    var draft = false

    @Option(help: "A JSON file with the version's evidence rules: an array of EvidenceRule objects as protobuf JSON (docs/REQUIREMENTS.md shows every kind).")
    var rules: String?

    var message: Conform_Requirement_V1_RequirementVersion {
        get throws {
            let kinds = Names.sourceKinds
            guard let kind = kinds[self.sourceKind] else {
                throw ValidationError("--source-kind '\(self.sourceKind)' must be one of \(kinds.keys.sorted().joined(separator: ", "))")
            }
            let rules = try self.evidenceRules()
            return .with {
                $0.number = self.number
                $0.title = self.title
                $0.text = self.text
                $0.acceptanceCriteria = self.criteria
                $0.source = .with {
                    $0.kind = kind
                    $0.reference = self.sourceRef
                    $0.receivedOn = self.received
                }
                $0.effectiveFrom = self.effective
                $0.expiresOn = self.expires
                $0.requiredCapabilities = self.needs
                $0.draft = self.draft
                $0.evidenceRules = rules
            }
        }
    }

    private func evidenceRules() throws -> [Conform_Requirement_V1_EvidenceRule] {
        guard let path = self.rules else { return [] }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read the rules file '\(path)'")
        }
        guard let array = try? JSONSerialization.jsonObject(with: data) as? [Any] else {
            throw ValidationError("\(path) must hold a JSON array of evidence rules, e.g. [{\"photos\": {\"kind\": \"ndt\", \"minimumCount\": 4}}]")
        }
        return try array.enumerated().map { index, element in
            let json = try JSONSerialization.data(withJSONObject: element)
            do {
                return try Conform_Requirement_V1_EvidenceRule(jsonUTF8Data: json)
            } catch {
                throw ValidationError("\(path), rule \(index): \(error)")
            }
        }
    }
}

struct RequirementCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "requirement",
        abstract: "Customers' requirements, their versions, and what applies to a product on a date.",
        subcommands: [Add.self, Revise.self, Publish.self, Retire.self, Import.self, Get.self, List.self, Resolve.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a customer's requirement with its first version.",
            discussion: """
                Example: conform requirement add B CSR-B-0156 --category traceability --strength mandatory --scope all \\
                  --version 1.0 --title "QR serialization" --text "..." --source-kind customer-specification \\
                  --source-ref "CSR-B rev A" --received 2024-06-01 --effective 2024-06-15
                """
        )

        @Argument(help: "The customer's code.") var customer: String
        @Argument(help: "The customer's id for it, e.g. CSR-AUTO-0847.") var id: String
        @Option(help: "quality, traceability, documentation, regulatory or special-processing.") var category: String
        @Option(help: "mandatory (blocks release) or preferred (warns).") var strength: String
        @Option(help: "all, family:CODE, or products:CODE,CODE.") var scope: String
        @OptionGroup var version: VersionOptions
        @Option(help: "Makes the call safe to repeat.") var idempotencyKey: String?
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let request = try Conform_Requirement_V1_CreateRequirementRequest.with {
                $0.customer = self.customer
                $0.requirementID = self.id
                $0.category = try Self.category(self.category)
                $0.strength = try Self.strength(self.strength)
                $0.scope = try Self.scope(self.scope)
                $0.firstVersion = try self.version.message
            }
            let requirement = try await self.connection.withClient(.requirement) { client in
                try await Conform_Requirement_V1_RequirementCatalog.Client(wrapping: client).createRequirement(
                    request, metadata: self.connection.metadata(idempotencyKey: self.idempotencyKey), options: self.connection.callOptions()
                )
            }
            if self.connection.json { return try printJSON([requirement], asList: false) }
            print("Added \(requirement.customer)/\(requirement.requirementID) version \(self.version.number) (\(requirement.versions.last?.status ?? "")).")
        }

        static func category(_ text: String) throws -> Conform_Requirement_V1_RequirementCategory {
            guard let category = Names.categories[text] else {
                throw ValidationError("--category must be one of \(Names.categories.keys.sorted().joined(separator: ", "))")
            }
            return category
        }

        static func strength(_ text: String) throws -> Conform_Requirement_V1_RequirementStrength {
            guard let strength = Names.strengths[text] else { throw ValidationError("--strength must be mandatory or preferred") }
            return strength
        }

        static func scope(_ text: String) throws -> Conform_Requirement_V1_RequirementScope {
            if text == "all" { return .with { $0.allProducts = true } }
            if text.hasPrefix("family:") { return .with { $0.family = String(text.dropFirst(7)) } }
            if text.hasPrefix("products:") {
                let codes = text.dropFirst(9).split(separator: ",").map(String.init)
                return .with { $0.products = .with { $0.codes = codes } }
            }
            throw ValidationError("--scope '\(text)' must be all, family:CODE or products:CODE,CODE")
        }
    }

    struct Revise: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a new version of a requirement; it supersedes the previous one from its effective date.",
            discussion: "A version that --needs a capability waits, not enforced, until 'conform validation record' validates it."
        )

        @Argument(help: "The customer's code.") var customer: String
        @Argument(help: "The requirement's id.") var id: String
        @OptionGroup var version: VersionOptions
        @Option(help: "Makes the call safe to repeat.") var idempotencyKey: String?
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let request = try Conform_Requirement_V1_AddRequirementVersionRequest.with {
                $0.customer = self.customer
                $0.requirementID = self.id
                $0.version = try self.version.message
            }
            let requirement = try await self.connection.withClient(.requirement) { client in
                try await Conform_Requirement_V1_RequirementCatalog.Client(wrapping: client).addRequirementVersion(
                    request, metadata: self.connection.metadata(idempotencyKey: self.idempotencyKey), options: self.connection.callOptions()
                )
            }
            if self.connection.json { return try printJSON([requirement], asList: false) }
            print(RequirementCommand.versionsTable(requirement))
        }
    }

    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Publish a draft version: from its effective date it is enforced like any other.",
            discussion: "Accepted contract reviews of open contracts under the requirement are flagged for re-review."
        )
        @Argument(help: "The customer's code.") var customer: String
        @Argument(help: "The requirement's id.") var id: String
        @Option(name: .customLong("version"), help: "The draft version's number, e.g. 2.0.") var number: String
        @Option(help: "Makes the call safe to repeat.") var idempotencyKey: String?
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let requirement = try await self.connection.withClient(.requirement) { client in
                try await Conform_Requirement_V1_RequirementCatalog.Client(wrapping: client).publishVersion(
                    .with { $0.customer = self.customer; $0.requirementID = self.id; $0.number = self.number },
                    metadata: self.connection.metadata(idempotencyKey: self.idempotencyKey), options: self.connection.callOptions()
                )
            }
            if self.connection.json { return try printJSON([requirement], asList: false) }
            print(RequirementCommand.versionsTable(requirement))
        }
    }

    struct Retire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Retire a requirement the customer withdrew: from the date given, no version of it holds.",
            discussion: "Batches made before that date keep the versions they were made under."
        )
        @Argument(help: "The customer's code.") var customer: String
        @Argument(help: "The requirement's id.") var id: String
        @Option(help: "The first day it no longer holds, YYYY-MM-DD.") var on: String
        @Option(help: "Why, e.g. the customer's notice withdrawing it.") var reason: String
        @Option(help: "Makes the call safe to repeat.") var idempotencyKey: String?
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let requirement = try await self.connection.withClient(.requirement) { client in
                try await Conform_Requirement_V1_RequirementCatalog.Client(wrapping: client).retireRequirement(
                    .with { $0.customer = self.customer; $0.requirementID = self.id; $0.retiredOn = self.on; $0.reason = self.reason },
                    metadata: self.connection.metadata(idempotencyKey: self.idempotencyKey), options: self.connection.callOptions()
                )
            }
            if self.connection.json { return try printJSON([requirement], asList: false) }
            print(RequirementCommand.versionsTable(requirement))
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a requirement and where each of its versions stands today.")
        @Argument(help: "The customer's code.") var customer: String
        @Argument(help: "The requirement's id.") var id: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let requirement = try await self.connection.withClient(.requirement) { client in
                try await Conform_Requirement_V1_RequirementCatalog.Client(wrapping: client).getRequirement(
                    .with { $0.customer = self.customer; $0.requirementID = self.id },
                    metadata: self.connection.metadata(), options: self.connection.callOptions()
                )
            }
            if self.connection.json { return try printJSON([requirement], asList: false) }
            print(RequirementCommand.versionsTable(requirement))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a customer's requirements.")
        @Option(help: "The customer's code.") var customer: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            // Every page: a customer's requirements are read as a whole.
            let requirements = try await self.connection.withClient(.requirement) { client in
                try await collectPages(after: "", all: true) { token in
                    let page = try await Conform_Requirement_V1_RequirementCatalog.Client(wrapping: client).listRequirements(
                        .with { $0.customer = self.customer; $0.pageSize = 500; $0.pageToken = token },
                        metadata: self.connection.metadata(), options: self.connection.callOptions()
                    )
                    return (page.requirements, page.nextPageToken)
                }.items
            }
            if self.connection.json { return try printJSON(requirements, asList: true) }
            var table = Table("ID", "CATEGORY", "STRENGTH", "SCOPE", "VERSIONS (STATUS TODAY)")
            for requirement in requirements {
                table.add(
                    requirement.requirementID, requirement.category.label, requirement.strength.label, requirement.scope.label,
                    requirement.versions.map { "\($0.number) (\($0.status))" }.joined(separator: ", ")
                )
            }
            print(table.render())
        }
    }

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Exactly the requirement versions in force for a customer's product on a date, and why."
        )
        @Option(help: "The customer's code.") var customer: String
        @Option(help: "The product's code.") var product: String
        @Option(help: "The date, YYYY-MM-DD (default today, UTC), e.g. a batch's manufacture date.") var date: String = ""
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let response = try await self.connection.withClient(.requirement) { client in
                try await Conform_Requirement_V1_RequirementCatalog.Client(wrapping: client).resolve(
                    .with { $0.customer = self.customer; $0.product = self.product; $0.date = self.date },
                    metadata: self.connection.metadata(), options: self.connection.callOptions()
                )
            }
            if self.connection.json { return try printJSON([response], asList: false) }
            print("In force for \(self.customer.uppercased()) / \(self.product.uppercased()) on \(response.date):")
            print(RequirementCommand.resolvedText(response.requirements))
        }
    }

    static func versionsTable(_ requirement: Conform_Requirement_V1_Requirement) -> String {
        var table = Table("VERSION", "STATUS TODAY", "EFFECTIVE", "EXPIRES", "NEEDS", "TITLE")
        for version in requirement.versions {
            table.add(version.number, version.status, version.effectiveFrom, version.expiresOn, version.requiredCapabilities.joined(separator: ","), version.title)
        }
        let header = "\(requirement.customer)/\(requirement.requirementID): \(requirement.category.label), \(requirement.strength.label), \(requirement.scope.label)"
        var lines = [header, table.render()]
        if !requirement.retiredOn.isEmpty {
            lines.append("Retired from \(requirement.retiredOn): \(requirement.retirementReason)")
        }
        for version in requirement.versions where !version.evidenceRules.isEmpty {
            lines.append("Evidence rules of \(version.number):")
            lines += version.evidenceRules.map { "  - " + $0.summary }
        }
        return lines.joined(separator: "\n")
    }

    static func resolvedText(_ requirements: [Conform_Requirement_V1_ResolvedRequirement]) -> String {
        guard !requirements.isEmpty else { return "  nothing" }
        return requirements.map { resolved in
            let lines = ["  \(resolved.requirementID) v\(resolved.version.number) [\(resolved.strength.label)] \(resolved.version.title)",
                         "    scope: \(resolved.scopeMatch)"] + resolved.reasons.map { "    why: \($0)" }
                + resolved.version.evidenceRules.map { "    needs: \($0.summary)" }
            return lines.joined(separator: "\n")
        }.joined(separator: "\n")
    }
}

extension Conform_Requirement_V1_RequirementCategory {
    var label: String {
        switch self {
        case .quality: return "quality"
        case .traceability: return "traceability"
        case .documentation: return "documentation"
        case .regulatory: return "regulatory"
        case .specialProcessing: return "special-processing"
        case .unspecified, .UNRECOGNIZED: return "?"
        }
    }
}

extension Conform_Requirement_V1_RequirementStrength {
    var label: String { self == .mandatory ? "mandatory" : self == .preferred ? "preferred" : "?" }
}

extension Conform_Requirement_V1_RequirementScope {
    var label: String {
        switch self.appliesTo {
        case .allProducts?: return "all products"
        case .family(let family)?: return "family \(family)"
        case .products(let list)?: return "products \(list.codes.joined(separator: ","))"
        case nil: return "?"
        }
    }
}

extension Conform_Requirement_V1_EvidenceRule {
    /// One line a quality engineer can read.
    var summary: String {
        switch self.rule {
        case .document(let rule)?:
            let fields = rule.requiredFields.isEmpty ? "" : " with \(rule.requiredFields.joined(separator: ", "))"
            let signer = rule.signerRole.isEmpty ? "" : ", signed by \(rule.signerRole)"
            return "document \(rule.type) (\(rule.mediaTypes.joined(separator: " or ")))\(fields)\(signer)"
        case .photos(let rule)?:
            return "at least \(rule.minimumCount) \(rule.kind) photos" + (rule.certification.isEmpty ? "" : " by \(rule.certification)")
        case .signature(let rule)?:
            let who = [rule.role, rule.certification].filter { !$0.isEmpty }.joined(separator: " + ")
            return "signature (\(rule.meaning.label)) by \(who)"
        case .dualSignature(let rule)?:
            return "two signatures (\(rule.meaning.label)) by \(rule.firstRole) and \(rule.secondRole), two different people"
        case .approvedSupplier(let rule)?:
            return "material from approved suppliers audited within \(rule.maxAuditAgeDays) days"
        case .serialization(let rule)?:
            return "every unit serialized by " + rule.methods.map { $0 == .qr ? "QR" : "NFC" }.joined(separator: " and ")
        case .recordFields(let rule)?:
            return "batch record fields: " + rule.fields.map(\.name).joined(separator: ", ")
        case .periodicExport(let rule)?:
            return "\(rule.cadence) \(rule.format) export to \(rule.destination)".lowercased()
        case .part11Controls(let rule)?:
            return "Part 11 controls: " + [rule.lockOnCompletion ? "lock on completion" : "", rule.auditAccess ? "audit every access" : ""].filter { !$0.isEmpty }.joined(separator: ", ")
        case nil:
            return "a rule of a kind this CLI does not know"
        }
    }
}

extension Conform_Requirement_V1_SignatureMeaning {
    var label: String {
        switch self {
        case .authored: return "authored"
        case .reviewed: return "reviewed"
        case .approved: return "approved"
        case .responsible: return "responsible"
        case .unspecified, .UNRECOGNIZED: return "?"
        }
    }
}
