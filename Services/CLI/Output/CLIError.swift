import GRPCCore

/// A failed call, told the way a person at a terminal can act on it.
struct CLIError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }

    init(rpc error: RPCError, service: ServiceName, host: String, port: Int) {
        let hint: String
        switch error.code {
        case .unavailable:
            hint = "\nIs the \(service.rawValue) service running at \(host):\(port)? 'dev/start.sh' starts everything; 'dev/start.sh status' shows what runs."
        case .deadlineExceeded:
            hint = "\nNo answer in time from \(host):\(port); try again, or raise --timeout."
        case .permissionDenied where error.message.contains(" acts for customer "):
            hint = "\nThis principal acts for one customer only: ask about that customer, or act as a staff principal with --as NAME."
        case .permissionDenied:
            hint = "\nAct as a principal that holds the role with --as NAME (see 'conform certs list')."
        case .unauthenticated:
            hint = "\nThe service did not accept the certificate; issue one from the deployment's CA with 'conform certs issue'."
        default:
            hint = Self.cliHint(for: error.message)
        }
        let requestID = error.message.contains(ConnectionOptions.requestID) ? "" : "\n(request id \(ConnectionOptions.requestID))"
        self.description = "\(error.code): \(error.message)\(hint)\(requestID)"
    }

    /// The CLI's command for each API call a service's message names: services speak the API,
    /// and a person at a terminal is told what to type.
    static let commands: [(call: String, command: String)] = [
        ("ListCustomers", "conform customer list"), ("GetCustomer", "conform customer get CODE"), ("CreateCustomer", "conform customer add"),
        ("ListProducts", "conform product list"), ("GetProduct", "conform product get CODE"), ("CreateProduct", "conform product add"),
        ("LinkProduct", "conform customer link CUSTOMER PRODUCT"), ("ListRequirements", "conform requirement list --customer CODE"),
        ("AddRequirementVersion", "conform requirement revise"), ("PublishVersion", "conform requirement publish"),
        ("ListValidations", "conform validation list"), ("ListOrders", "conform order list"), ("GetOrder", "conform order get REFERENCE"),
        ("CreateOrder", "conform order add"), ("ListBatches", "conform batch list"), ("GetBatch", "conform batch get NUMBER"),
        ("RecordFields", "conform batch record NUMBER --field NAME=VALUE"), ("Compliance", "conform batch compliance NUMBER"),
        ("Amend", "conform batch amend NUMBER --reason ... --field NAME=VALUE"), ("RecordReceipt", "conform receipt record"),
        ("GetReceipt", "conform receipt get LOT"), ("ListReceipts", "conform receipt list"), ("ListSuppliers", "conform supplier list"),
        ("GetSupplier", "conform supplier get CODE"), ("CreateSupplier", "conform supplier add"), ("ListItems", "conform evidence list --batch NUMBER"),
        ("RegisterSignatory", "conform signatory add"), ("GetSignatory", "conform signatory get NAME"), ("ListSignatories", "conform signatory list"),
        ("ListAlerts", "conform alert list"), ("ListExportDefinitions", "conform export definitions"), ("ListExports", "conform export list"),
        ("RequestException", "conform receipt exception LOT"), ("ApproveException", "conform receipt approve LOT"),
    ]

    /// "In the CLI: …" for the calls `message` names, and `--field NAME=VALUE` for a missing
    /// evidence field ("metadata.NAME is required").
    static func cliHint(for message: String) -> String {
        var hints: [String] = []
        for (call, command) in Self.commands where message.range(of: "\\b\(call)\\b", options: .regularExpression) != nil {
            hints.append(command)
        }
        if let field = message.range(of: "metadata\\.[a-z0-9-]+ is required", options: .regularExpression) {
            let name = message[field].dropFirst("metadata.".count).dropLast(" is required".count)
            hints.append("add it with --field \(name)=VALUE")
        }
        return hints.isEmpty ? "" : "\nIn the CLI: " + hints.joined(separator: "; ")
    }
}
