import Foundation

/// Runs a program to completion without blocking a thread of the cooperative pool.
///
/// The exit status is written to a file and polled for: Foundation's Process does not report
/// the exit reliably here when the program leaves a daemon behind (dev/postgres.sh does).
enum ProcessRunner {
    struct Result {
        var status: Int32
        /// Standard output and standard error, interleaved.
        var output: String
    }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> Result {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("conform-run-\(UUID().uuidString)").path
        let outputPath = base + ".out"
        let statusPath = base + ".status"
        defer {
            try? FileManager.default.removeItem(atPath: outputPath)
            try? FileManager.default.removeItem(atPath: statusPath)
        }
        func quote(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let command = ([executable] + arguments).map(quote).joined(separator: " ")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "\(command) >\(quote(outputPath)) 2>&1 </dev/null; echo $? >\(quote(statusPath)).tmp; mv \(quote(statusPath)).tmp \(quote(statusPath))"]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        try process.run()
        let deadline = ContinuousClock.now + .seconds(60)
        while !FileManager.default.fileExists(atPath: statusPath) {
            guard ContinuousClock.now < deadline else {
                throw TestSetupError("\(command) did not finish within 60 s")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let status = Int32((try? String(contentsOfFile: statusPath, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? -1
        return Result(status: status, output: (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "")
    }
}
