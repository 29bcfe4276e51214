import ArgumentParser
import ConformProtos
import GRPCCore

struct ProductCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "product",
        abstract: "Products the supplier makes.",
        subcommands: [Add.self, Get.self, List.self, ProductRequirementsCommand.self, ProductConsolidatedCommand.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a product.",
            discussion: "Example: conform product add ABC --name 'Bracket assembly ABC' --family BRACKETS"
        )

        @Argument(help: "The product's code or part number (letters, digits, '.', '_', '-'; at most 64).")
        var code: String

        @Option(help: "The product's name.")
        var name: String

        @Option(help: "Its product family, e.g. FASTENERS.")
        var family: String = ""

        @Option(help: "A description.")
        var description: String = ""

        @Option(help: "Makes the call safe to repeat: the same key and request return the first answer.")
        var idempotencyKey: String?

        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let request = Conform_Requirement_V1_CreateProductRequest.with {
                $0.code = self.code
                $0.name = self.name
                $0.family = self.family
                $0.description_p = self.description
            }
            let product = try await self.connection.withClient(.requirement) { client in
                try await Conform_Requirement_V1_RequirementService.Client(wrapping: client).createProduct(
                    request,
                    metadata: self.connection.metadata(idempotencyKey: self.idempotencyKey),
                    options: self.connection.callOptions()
                )
            }
            if self.connection.json { return try printJSON([product], asList: false) }
            print("Added product \(product.code) (\(product.name)).")
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one product.")

        @Argument(help: "The product's code.")
        var code: String

        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let product = try await self.connection.withClient(.requirement) { client in
                try await Conform_Requirement_V1_RequirementService.Client(wrapping: client).getProduct(
                    .with { $0.code = self.code },
                    metadata: self.connection.metadata(),
                    options: self.connection.callOptions()
                )
            }
            if self.connection.json { return try printJSON([product], asList: false) }
            print(describe([
                ("code", product.code),
                ("name", product.name),
                ("family", product.family),
                ("description", product.description_p),
                ("created", "\(formatMicros(product.createdAtMicros)) by \(product.createdBy)"),
            ]))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List products, ordered by code.")

        @Option(help: "Only this product family.")
        var family: String = ""

        @OptionGroup var paging: PageOptions

        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let (products, token) = try await self.paging.collect { pageSize, token in
                let page = try await self.connection.withClient(.requirement) { client in
                    try await Conform_Requirement_V1_RequirementService.Client(wrapping: client).listProducts(
                        .with {
                            $0.pageSize = pageSize
                            $0.pageToken = token
                            $0.family = self.family
                        },
                        metadata: self.connection.metadata(),
                        options: self.connection.callOptions()
                    )
                }
                return (page.products, page.nextPageToken)
            }
            if self.connection.json { return try printJSON(products, asList: true) }
            var table = Table("CODE", "NAME", "FAMILY")
            for product in products {
                table.add(product.code, product.name, product.family)
            }
            print(table.render())
            PageOptions.printMore(token)
        }
    }
}
