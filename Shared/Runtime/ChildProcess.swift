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
        let pid = try self.spawn(executable, arguments: arguments, environment: environment, output: output, errors: errors)
        // Until it is reaped the pid is the child's, so killing it cannot hit another process.
        let reaped = Reaped()
        let killer = timeout.map { limit in
            Task {
                try await Task.sleep(for: limit)
                reaped.state.withLock { done in if !done { kill(pid, SIGKILL) } }
            }
        }
        defer { killer?.cancel() }
        // waitpid blocks: on a thread of its own, never on the cooperative pool.
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                var status: Int32 = 0
                while true {
                    // Reaped under the lock, so the killer never signals a reused pid.
                    let result = reaped.state.withLock { done -> Int32 in
                        let result = waitpid(pid, &status, WNOHANG)
                        if result == pid { done = true }
                        return result
                    }
                    if result == pid { break }
                    guard result == 0 || (result == -1 && errno == EINTR) else {
                        continuation.resume(throwing: ChildProcessError("waitpid for \(executable) failed: errno \(errno)"))
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

/// Whether a child has been reaped, shared by its waiter and its killer.
private final class Reaped: Sendable {
    let state = Mutex(false)
}

/// A program could not be started or waited for.
public struct ChildProcessError: Error, CustomStringConvertible {
    public var description: String

    init(_ description: String) {
        self.description = description
    }
}
