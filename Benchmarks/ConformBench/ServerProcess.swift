import Foundation

/// The probe server running as a child process, so its CPU time can be read on its own.
final class ServerProcess {
    let process: Process
    let wirePort: Int
    let grpcPort: Int

    private struct Ready: Decodable {
        var wirePort: Int
        var grpcPort: Int
    }

    /// Starts `conform-bench serve` on free ports and waits for it to report them.
    init(tlsDir: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        if !FileManager.default.isExecutableFile(atPath: process.executableURL!.path) {
            process.executableURL = Bundle.main.executableURL
        }
        process.arguments = ["serve", "--wire-port", "0", "--grpc-port", "0", "--tls-dir", tlsDir]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        self.process = process

        // The first line is the ready report; blocking here is fine in a command-line tool.
        var line = Data()
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty {
                throw BenchError("the probe server exited before it was ready (status \(process.terminationStatus))")
            }
            if byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        let ready = try JSONDecoder().decode(Ready.self, from: line)
        self.wirePort = ready.wirePort
        self.grpcPort = ready.grpcPort
    }

    var pid: Int32 { self.process.processIdentifier }

    /// User plus system CPU time process `pid` has used so far.
    static func cpuTime(of pid: Int32) throws -> Duration {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
        guard let close = stat.lastIndex(of: ")") else { throw BenchError("unreadable /proc stat") }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Int64(fields[11]), let system = Int64(fields[12]) else {
            throw BenchError("unreadable /proc stat")
        }
        let ticksPerSecond = Int64(sysconf(Int32(_SC_CLK_TCK)))
        return .milliseconds((user + system) * 1000 / ticksPerSecond)
    }

    func stop() {
        self.process.terminate()
        self.process.waitUntilExit()
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
