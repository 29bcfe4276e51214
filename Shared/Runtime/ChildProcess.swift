#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import Synchronization

/// Runs a program with the signal state a shell would give it, through `posix_spawn`.
///
/// Not Foundation's `Process`: it hands the child the calling thread's signal mask, and this
/// process's threads block nearly every signal (SIGALRM and SIGTERM among them), so pgbench's
/// `-T` (an alarm) never stopped under it; and `Process.run` crashed in its own memcpy when
/// parallel tests started programs at once. Here the child starts with no signal blocked and
/// the usual ones at their default action, and its exit is awaited on a thread of its own.
public enum ChildProcess {
    /// How a child ended.
    public enum Ending: Equatable, Sendable {
        case exited(Int32)
        case signalled(Int32)
    }

    /// Runs `executable` with `arguments` and `environment`, stdin from /dev/null, stdout to
    /// the file `output` and stderr to `errors` (nil: interleaved with stdout in `output`),
    /// and returns how it ended. A child still running after `timeout` is killed (SIGKILL).
    public static func run(
        _ executable: String, arguments: [String], environment: [String: String], output: String, errors: String?, timeout: Duration? = nil
    ) async throws -> Ending {
        let child = try self.start(executable, arguments: arguments, environment: environment, output: output, errors: errors)
        let killer = timeout.map { limit in
            Task {
                try await Task.sleep(for: limit)
                child.signal(SIGKILL)
            }
        }
        defer { killer?.cancel() }
        return try await child.ending()
    }

    /// Starts `executable` as `run` does and returns at once: for a program that runs until
    /// it is told to stop, such as a service.
    public static func start(
        _ executable: String, arguments: [String], environment: [String: String], output: String, errors: String?
    ) throws -> Running {
        Running(pid: try self.spawn(executable, arguments: arguments, environment: environment, output: output, errors: errors), executable: executable)
    }

    /// A child that was started and not yet awaited.
    public final class Running: Sendable {
        /// Its process id; the child's until `ending()` has returned.
        public let pid: Int32
        private let executable: String
        private let reaped = Mutex(false)

        fileprivate init(pid: pid_t, executable: String) {
            self.pid = pid
            self.executable = executable
        }

        /// Sends `signal`, unless the child has been reaped (its pid may belong to another process by then).
        public func signal(_ signal: Int32) {
            self.reaped.withLock { done in if !done { kill(self.pid, signal) } }
        }

        /// Waits until the child ends and says how. Call it once.
        public func ending() async throws -> Ending {
            let pid = self.pid
            let executable = self.executable
            // waitpid blocks: on a thread of its own, never on the cooperative pool.
            return try await withCheckedThrowingContinuation { continuation in
                Thread.detachNewThread {
                    var status: Int32 = 0
                    while true {
                        // Reaped under the lock, so `signal` never reaches a reused pid.
                        let (result, failure) = self.reaped.withLock { done -> (Int32, Int32) in
                            let result = waitpid(pid, &status, WNOHANG)
                            if result == pid { done = true }
                            return (result, errno)
                        }
                        if result == pid { break }
                        guard result == 0 || (result == -1 && failure == EINTR) else {
                            continuation.resume(throwing: ChildProcessError("waitpid for \(executable) failed: errno \(failure)"))
                            return
                        }
                        // Not ended yet: wait for a change of state without holding the lock.
                        var info = siginfo_t()
                        _ = waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT)
                    }
                    let signal = status & 0x7f
                    continuation.resume(returning: signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal))
                }
            }
        }
    }

    private static func spawn(_ executable: String, arguments: [String], environment: [String: String], output: String, errors: String?) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGALRM, SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD, SIGQUIT, SIGUSR1, SIGUSR2] {
            sigaddset(&defaults, signal)
        }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        if let errors {
            posix_spawn_file_actions_addopen(&actions, 2, errors, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        self.closeInheritedDescriptors(&actions)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid = pid_t()
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw ChildProcessError("cannot start \(executable): \(String(cString: strerror(result)))")
        }
        return pid
    }
}

extension ChildProcess {
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which Swift's
    /// Glibc module does not declare.
    private static let closeFrom: CloseFrom? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: CloseFrom.self) }

    /// The child gets stdin, stdout and stderr, nothing else: descriptors opened without
    /// close-on-exec (thousands of sockets, in a test of many connections) would otherwise
    /// count against its own limit; PostgreSQL refused to start with 13 to spare.
    fileprivate static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        if let closeFrom = self.closeFrom, closeFrom(&actions, 3) == 0 {
            return
        }
        // An older C library: close what is open now, as listed by the kernel.
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for descriptor in open.compactMap({ Int32($0) }) where descriptor > 2 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
    }
}

/// A program could not be started or waited for.
public struct ChildProcessError: Error, CustomStringConvertible {
    public var description: String

    init(_ description: String) {
        self.description = description
    }
}
