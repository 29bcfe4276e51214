#if canImport(Glibc)
import Glibc
#endif
import Testing

@Suite("Programs started by the project")
struct ChildProcessTests {
    @Test("a child gets stdin, stdout and stderr only, not this process's other descriptors")
    func noInheritedDescriptors() async throws {
        // Opened without close-on-exec, as a socket of some library may be.
        let descriptor = open("/dev/null", O_RDONLY)
        try #require(descriptor > 2)
        defer { close(descriptor) }
        let result = try await ProcessRunner.run("/bin/sh", ["-c", "ls /proc/$$/fd"])
        let inherited = result.output.split(separator: "\n").compactMap { Int32($0) }
        #expect(result.status == 0)
        #expect(!inherited.contains(descriptor), "the child inherited descriptor \(descriptor): \(inherited)")
        #expect(inherited.filter { $0 > 2 }.count <= 1, "only the listing's own descriptor may be open beyond 0-2: \(inherited)")
    }
}
