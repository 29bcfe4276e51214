import ConformStorage
import Foundation

/// A second, private PostgreSQL cluster a test may stop and start at will, made with the
/// project's own dev/postgres.sh (the shared test cluster must stay up for other suites).
struct PostgresCluster: Sendable {
    let directory: String
    let postgres: TestPostgres

    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("dev/postgres.sh").path

    static func start() async throws -> PostgresCluster {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("conform-pg-\(UUID().uuidString.prefix(8))").path
        var lastError: (any Error)?
        for _ in 0..<5 {
            let port = Int.random(in: 30_000...39_999)
            do {
                _ = try await Self.run("start", directory, "\(port)")
                let environment = try await Self.run("env", directory)
                var values: [String: String] = [:]
                for line in environment.split(separator: "\n") {
                    let text = line.replacingOccurrences(of: "export ", with: "")
                    guard let equals = text.firstIndex(of: "=") else { continue }
                    values[String(text[..<equals])] = String(text[text.index(after: equals)...]).trimmingCharacters(in: CharacterSet(charactersIn: "'\""))
                }
                let admin = AdministratorSettings(
                    host: "127.0.0.1",
                    port: port,
                    username: values["CONFORM_PG_ADMIN_USER"] ?? "conform_admin",
                    password: values["CONFORM_PG_ADMIN_PASSWORD"]
                )
                return PostgresCluster(directory: directory, postgres: TestPostgres(admin: admin, directory: directory))
            } catch {
                lastError = error
            }
        }
        throw lastError ?? TestSetupError("could not start a PostgreSQL cluster")
    }

    func stop() async throws { _ = try await Self.run("stop", self.directory) }
    func startAgain() async throws { _ = try await Self.run("start", self.directory) }
    func destroy() async throws { _ = try await Self.run("destroy", self.directory) }

    @discardableResult
    static func run(_ arguments: String...) async throws -> String {
        let result = try await ProcessRunner.run(Self.script, arguments)
        guard result.status == 0 else {
            throw TestSetupError("dev/postgres.sh \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.output)")
        }
        return result.output
    }
}
