import ArgumentParser
import ConformProtos
import Foundation
import GRPCCore

struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Ask services whether they are serving (grpc.health.v1).",
        discussion: "Exits 0 when every service asked is SERVING, 1 otherwise. Used by dev/start.sh and container health checks."
    )

    @Option(help: "One service (\(ServiceName.list)); all when omitted.")
    var service: ServiceName?

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        var healthy = true
        var table = Table("SERVICE", "ADDRESS", "STATUS")
        var report: [[String: String]] = []
        for service in self.service.map({ [$0] }) ?? ServiceName.allCases {
            let (host, port) = try self.connection.endpoint(of: service)
            let status: String
            do {
                let response = try await self.connection.withClient(service) { client in
                    try await Grpc_Health_V1_Health.Client(wrapping: client).check(
                        .init(),
                        metadata: self.connection.metadata(),
                        options: self.connection.callOptions()
                    )
                }
                status = "\(response.status)"
                healthy = healthy && response.status == .serving
            } catch let error as CLIError {
                status = "unreachable (\(error.description.split(separator: "\n").first ?? ""))"
                healthy = false
            }
            table.add(service.rawValue, "\(host):\(port)", status)
            report.append(["service": service.rawValue, "address": "\(host):\(port)", "status": status])
        }
        if self.connection.json {
            let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(table.render())
        }
        if !healthy { throw ExitCode(1) }
    }
}
