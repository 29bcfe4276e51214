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
            hint = ""
        }
        let requestID = error.message.contains(ConnectionOptions.requestID) ? "" : "\n(request id \(ConnectionOptions.requestID))"
        self.description = "\(error.code): \(error.message)\(hint)\(requestID)"
    }
}
