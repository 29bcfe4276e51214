import ArgumentParser
import ConformProtos
import Foundation
import GRPCCore

struct OrderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "order",
        abstract: "Customers' orders and contracts: what each ordered, how many.",
        subcommands: [Add.self, Get.self, List.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a customer's order for a product.",
            discussion: "Example: conform order add PO-A-2025-031 --customer A --product FAST-M8-12.9 --quantity 5000"
        )
        @Argument(help: "The customer's order or contract reference.") var reference: String
        @Option(help: "The customer's code.") var customer: String
        @Option(help: "The product's code.") var product: String
        @Option(help: "How many units were ordered.") var quantity: UInt32
        @Option(help: "Makes the call safe to repeat.") var idempotencyKey: String?
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let order = try await self.connection.withClient(.batch) { client in
                try await Conform_Batch_V1_BatchService.Client(wrapping: client).createOrder(
                    .with { $0.reference = self.reference; $0.customer = self.customer; $0.product = self.product; $0.quantity = self.quantity },
                    metadata: self.connection.metadata(idempotencyKey: self.idempotencyKey), options: self.connection.callOptions()
                )
            }
            if self.connection.json { return try printJSON([order], asList: false) }
            print("Added order \(order.reference): \(order.quantity) × \(order.product) for \(order.customer).")
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an order.")
        @Argument(help: "The order's reference.") var reference: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let order = try await self.connection.withClient(.batch) { client in
                try await Conform_Batch_V1_BatchService.Client(wrapping: client).getOrder(
                    .with { $0.reference = self.reference }, metadata: self.connection.metadata(), options: self.connection.callOptions()
                )
            }
            if self.connection.json { return try printJSON([order], asList: false) }
            print(OrderCommand.table([order]))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List orders, of one customer or all.")
        @Option(help: "Only this customer's.") var customer: String = ""
        @OptionGroup var paging: PageOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let (orders, token) = try await self.paging.collect { size, token in
                let page = try await self.connection.withClient(.batch) { client in
                    try await Conform_Batch_V1_BatchService.Client(wrapping: client).listOrders(
                        .with { $0.customer = self.customer; $0.pageSize = size; $0.pageToken = token },
                        metadata: self.connection.metadata(), options: self.connection.callOptions()
                    )
                }
                return (page.orders, page.nextPageToken)
            }
            if self.connection.json { return try printJSON(orders, asList: true) }
            print(OrderCommand.table(orders))
            PageOptions.printMore(token)
        }
    }

    static func table(_ orders: [Conform_Batch_V1_Order]) -> String {
        var table = Table("REFERENCE", "CUSTOMER", "PRODUCT", "QUANTITY", "BY")
        for order in orders { table.add(order.reference, order.customer, order.product, "\(order.quantity)", order.createdBy) }
        return table.render()
    }
}
