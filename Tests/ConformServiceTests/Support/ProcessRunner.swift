import ConformRuntime
import Foundation

/// Runs a program to completion without blocking a thread of the cooperative pool.
enum ProcessRunner {
    /// A hang guard, not a speed test: the whole suite in parallel on two cores can keep a
    /// CLI waiting for CPU for a minute.
    static let limit: Duration = .seconds(180)

    struct Result {
        var status: Int32
        /// Standard output and standard error, interleaved.
        var output: String
    }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> Result {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("conform-run-\(UUID().uuidString).out").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        // A script that leaves a daemon behind (dev/postgres.sh) ends when the script does:
        // the daemon's output goes to the same file, not to a pipe anyone waits on.
        let ending = try await ChildProcess.run(
            executable, arguments: arguments,
            environment: ProcessInfo.processInfo.environment.merging(environment) { _, new in new },
            output: outputPath, errors: nil, timeout: Self.limit
        )
        let status: Int32
        switch ending {
        case .exited(let code): status = code
        case .signalled(let signal):
            if signal == SIGKILL { throw TestSetupError("\(executable) \(arguments.joined(separator: " ")) did not finish within \(Self.limit) and was killed") }
            status = 128 + signal
        }
        return Result(status: status, output: (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "")
    }
}
