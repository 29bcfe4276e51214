import ArgumentParser
import ConformProtos
import Foundation
import GRPCCore

struct CustomerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "customer",
        abstract: "Customers whose requirements Conform keeps.",
        subcommands: [Add.self, Get.self, List.self, LinkCommand.self, CustomerProductsCommand.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a customer.",
            discussion: "Example: conform customer add A --name 'Customer A (Automotive OEM)' --industry automotive --contact 'Jo Park <jo.park@customer-a.example> SQE'"
        )

        @Argument(help: "The customer's code, e.g. A or ACME-AUTO (letters, digits, '.', '_', '-'; at most 32).")
        var code: String

        @Option(help: "The customer's name.")
        var name: String

        @Option(help: "automotive, aerospace, medical-device or other.")
        var industry: String

        @Option(help: "A contact as 'Name <email> role' (repeatable).")
        var contact: [String] = []

        @Option(help: "Free-text notes.")
        var notes: String = ""

        @Option(help: "Makes the call safe to repeat: the same key and request return the first answer.")
        var idempotencyKey: String?

        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let request = try Conform_Requirement_V1_CreateCustomerRequest.with {
                $0.code = self.code
                $0.name = self.name
                $0.industry = try Self.industry(self.industry)
                $0.contacts = try self.contact.map(Self.contact)
                $0.notes = self.notes
            }
            let customer = try await self.connection.withClient(.requirement) { client in
                try await Conform_Requirement_V1_RequirementService.Client(wrapping: client).createCustomer(
                    request,
                    metadata: self.connection.metadata(idempotencyKey: self.idempotencyKey),
                    options: self.connection.callOptions()
                )
            }
            if self.connection.json { return try printJSON([customer], asList: false) }
            print("Added customer \(customer.code) (\(customer.name)).")
        }

        static func industry(_ text: String) throws -> Conform_Requirement_V1_Industry {
            switch text.lowercased() {
            case "automotive": return .automotive
            case "aerospace": return .aerospace
            case "medical-device", "medical_device", "medical": return .medicalDevice
            case "other": return .other
            default: throw ValidationError("--industry '\(text)' must be automotive, aerospace, medical-device or other")
            }
        }

        /// Parses "Name <email> role".
        static func contact(_ text: String) throws -> Conform_Requirement_V1_Contact {
            guard let open = text.firstIndex(of: "<"), let close = text.firstIndex(of: ">"), open < close else {
                throw ValidationError("--contact '\(text)' must look like 'Name <email> role', e.g. 'Jo Park <jo@example.com> SQE'")
            }
            return .with {
                $0.name = text[..<open].trimmingCharacters(in: .whitespaces)
                $0.email = text[text.index(after: open)..<close].trimmingCharacters(in: .whitespaces)
                $0.role = text[text.index(after: close)...].trimmingCharacters(in: .whitespaces)
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one customer.")

        @Argument(help: "The customer's code.")
        var code: String

        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let customer = try await self.connection.withClient(.requirement) { client in
                try await Conform_Requirement_V1_RequirementService.Client(wrapping: client).getCustomer(
                    .with { $0.code = self.code },
                    metadata: self.connection.metadata(),
                    options: self.connection.callOptions()
                )
            }
            if self.connection.json { return try printJSON([customer], asList: false) }
            var fields = [
                ("code", customer.code),
                ("name", customer.name),
                ("industry", customer.industry.label),
                ("notes", customer.notes),
                ("created", "\(formatMicros(customer.createdAtMicros)) by \(customer.createdBy)"),
            ]
            for contact in customer.contacts {
                fields.append(("contact", "\(contact.name) <\(contact.email)> \(contact.role)"))
            }
            print(describe(fields))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List customers, ordered by code.")

        @OptionGroup var paging: PageOptions

        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let (customers, token) = try await self.paging.collect { pageSize, token in
                let page = try await self.connection.withClient(.requirement) { client in
                    try await Conform_Requirement_V1_RequirementService.Client(wrapping: client).listCustomers(
                        .with {
                            $0.pageSize = pageSize
                            $0.pageToken = token
                        },
                        metadata: self.connection.metadata(),
                        options: self.connection.callOptions()
                    )
                }
                return (page.customers, page.nextPageToken)
            }
            if self.connection.json { return try printJSON(customers, asList: true) }
            var table = Table("CODE", "NAME", "INDUSTRY", "CONTACTS")
            for customer in customers {
                table.add(customer.code, customer.name, customer.industry.label, "\(customer.contacts.count)")
            }
            print(table.render())
            PageOptions.printMore(token)
        }
    }
}

extension Conform_Requirement_V1_Industry {
    var label: String {
        switch self {
        case .automotive: return "automotive"
        case .aerospace: return "aerospace"
        case .medicalDevice: return "medical-device"
        case .other: return "other"
        case .unspecified, .UNRECOGNIZED: return "unspecified"
        }
    }
}
