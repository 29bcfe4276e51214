import ArgumentParser
import ConformProtos
import GRPCCore

/// `conform customer link`: a customer orders a product.
struct LinkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "link",
        abstract: "Record that a customer orders a product, under a contract or order reference."
    )
    @Argument(help: "The customer's code.") var customer: String
    @Argument(help: "The product's code.") var product: String
    @Option(help: "The contract or order reference, e.g. PO-2024-118.") var contract: String = ""
    @Option(help: "Makes the call safe to repeat.") var idempotencyKey: String?
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let link = try await self.connection.withClient(.requirement) { client in
            try await Conform_Requirement_V1_RequirementCatalog.Client(wrapping: client).linkProduct(
                .with { $0.customer = self.customer; $0.product = self.product; $0.contractReference = self.contract },
                metadata: self.connection.metadata(idempotencyKey: self.idempotencyKey), options: self.connection.callOptions()
            )
        }
        if self.connection.json { return try printJSON([link], asList: false) }
        print("Customer \(link.customer) orders \(link.product)\(link.contractReference.isEmpty ? "" : " under \(link.contractReference)").")
    }
}

/// `conform customer products`: what a customer orders.
struct CustomerProductsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "products", abstract: "List the products a customer orders.")
    @Argument(help: "The customer's code.") var customer: String
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let links = try await self.connection.withClient(.requirement) { client in
            try await collectPages(after: "", all: true) { token in
                let page = try await Conform_Requirement_V1_RequirementCatalog.Client(wrapping: client).listCustomerProducts(
                    .with { $0.customer = self.customer; $0.pageSize = 500; $0.pageToken = token },
                    metadata: self.connection.metadata(), options: self.connection.callOptions()
                )
                return (page.links, page.nextPageToken)
            }.items
        }
        if self.connection.json { return try printJSON(links, asList: true) }
        var table = Table("PRODUCT", "CONTRACT")
        for link in links { table.add(link.product, link.contractReference) }
        print(table.render())
    }
}

/// `conform product requirements`: which customers order a product and what each requires.
struct ProductRequirementsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "requirements",
        abstract: "Which customers order a product, and every requirement of each that applies to it on a date."
    )
    @Argument(help: "The product's code.") var product: String
    @Option(help: "The date, YYYY-MM-DD (default today, UTC).") var date: String = ""
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let view = try await self.connection.withClient(.requirement) { client in
            try await Conform_Requirement_V1_RequirementCatalog.Client(wrapping: client).describeProduct(
                .with { $0.product = self.product; $0.date = self.date }, metadata: self.connection.metadata(), options: self.connection.callOptions()
            )
        }
        if self.connection.json { return try printJSON([view], asList: false) }
        let customers = view.customers.map(\.customer)
        print("Product \(view.product.code) (\(view.product.name)) on \(view.date) is ordered by \(customers.isEmpty ? "no customer" : customers.joined(separator: ", ")).")
        for customer in view.customers {
            let contracts = customer.contractReferences.isEmpty ? "" : " (\(customer.contractReferences.joined(separator: ", ")))"
            print("Customer \(customer.customer)\(contracts) requires:")
            print(RequirementCommand.resolvedText(customer.requirements))
        }
    }
}

/// `conform product consolidated`: one set of rules that satisfies every customer of a product.
struct ProductConsolidatedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consolidated",
        abstract: "The union of every customer's requirements for a product, the most stringent rule winning.",
        discussion: "Each merged rule names the requirement versions it came from; docs/REQUIREMENTS.md gives the merge per kind."
    )
    @Argument(help: "The product's code.") var product: String
    @Option(help: "The date, YYYY-MM-DD (default today, UTC).") var date: String = ""
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let view = try await self.connection.withClient(.requirement) { client in
            try await Conform_Requirement_V1_RequirementCatalog.Client(wrapping: client).consolidateProduct(
                .with { $0.product = self.product; $0.date = self.date }, metadata: self.connection.metadata(), options: self.connection.callOptions()
            )
        }
        if self.connection.json { return try printJSON([view], asList: false) }
        print("Product \(view.product.code) on \(view.date): \(view.requirements.count) requirements from \(Set(view.requirements.map(\.customer)).sorted().joined(separator: ", ")).")
        var table = Table("STRENGTH", "RULE", "FROM")
        for rule in view.rules {
            table.add(rule.strength.label, rule.rule.summary, rule.sources.joined(separator: ", "))
        }
        print(table.render())
    }
}

struct ValidationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validation",
        abstract: "Quality engineering's validations of new capabilities (e.g. nfc-tagging).",
        subcommands: [Record.self, List.self]
    )

    struct Record: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record that a capability is validated; requirement versions needing it are enforced from that day.",
            discussion: "Needs the quality-engineer role. The principal recording it is stored as the validator, and the record is in the audit trail."
        )
        @Argument(help: "The capability, e.g. nfc-tagging.") var capability: String
        @Option(help: "The day it was validated, YYYY-MM-DD.") var on: String
        @Option(help: "The validation report or other evidence, e.g. VAL-2025-004.") var evidence: String
        @Option(help: "Makes the call safe to repeat.") var idempotencyKey: String?
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let validation = try await self.connection.withClient(.requirement) { client in
                try await Conform_Requirement_V1_RequirementCatalog.Client(wrapping: client).recordValidation(
                    .with { $0.capability = self.capability; $0.validatedOn = self.on; $0.evidenceReference = self.evidence },
                    metadata: self.connection.metadata(idempotencyKey: self.idempotencyKey), options: self.connection.callOptions()
                )
            }
            if self.connection.json { return try printJSON([validation], asList: false) }
            print("Validated \(validation.capability) on \(validation.validatedOn) by \(validation.validatedBy) (\(validation.evidenceReference)).")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List validated capabilities.")
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let validations = try await self.connection.withClient(.requirement) { client in
                try await collectPages(after: "", all: true) { token in
                    let page = try await Conform_Requirement_V1_RequirementCatalog.Client(wrapping: client).listValidations(
                        .with { $0.pageSize = 500; $0.pageToken = token }, metadata: self.connection.metadata(), options: self.connection.callOptions()
                    )
                    return (page.validations, page.nextPageToken)
                }.items
            }
            if self.connection.json { return try printJSON(validations, asList: true) }
            var table = Table("CAPABILITY", "VALIDATED ON", "BY", "EVIDENCE")
            for validation in validations {
                table.add(validation.capability, validation.validatedOn, validation.validatedBy, validation.evidenceReference)
            }
            print(table.render())
        }
    }
}
